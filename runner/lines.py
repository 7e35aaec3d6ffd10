"""Split a stream of byte chunks into text lines without unbounded buffering.

Containers print arbitrary chunks; a runaway line (a 50 MB tool result, a
binary dump, output that never prints a newline) must not grow memory without
limit, so a line longer than ``max_bytes`` is cut there and the rest of it, up
to the next newline, is dropped and counted. The limit is far above what the
log stores of a line: the whole of a long JSON line still reaches the parser,
which counts its usage and reads its result.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

MAX_LINE_BYTES = 16 * 1024 * 1024


class CutLine(str):
    """A line cut at the reading limit; ``dropped`` bytes of it were never kept."""

    dropped: int = 0


def split_lines(
    chunks: Iterable[bytes], max_bytes: int = MAX_LINE_BYTES, partial: bool = True
) -> Iterator[str]:
    """``partial=False`` holds back a last line without its newline: for a stream
    that may end before the line does, and whose rest is read again."""
    buf = bytearray()
    dropped = 0
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            stop = len(chunk) if end < 0 else end
            room = max(0, max_bytes - len(buf))
            buf += chunk[start : min(stop, start + room)]
            dropped += max(0, stop - start - room)
            if end < 0:
                break
            yield _line(buf, dropped)
            buf.clear()
            dropped = 0
            start = end + 1
    if partial and (buf or dropped):  # a last line cut off mid-way, e.g. by a kill
        yield _line(buf, dropped)


def _line(buf: bytearray, dropped: int) -> str:
    text = buf.decode("utf-8", errors="replace").rstrip("\r")
    if not dropped:
        return text
    cut = CutLine(text)
    cut.dropped = dropped
    return cut
