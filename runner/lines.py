"""Split a stream of byte chunks into text lines without unbounded buffering.

Containers print arbitrary chunks; a runaway line (a 50 MB tool result, a
binary dump) must not grow memory without limit, so a line longer than
``max_bytes`` is cut there and the rest of it is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

MAX_LINE_BYTES = 16 * 1024 * 1024


def split_lines(chunks: Iterable[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[str]:
    buf = bytearray()
    overflow = False
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not overflow:
                room = max_bytes - len(buf)
                buf += piece[:room]
                overflow = len(piece) > room
            if end < 0:
                break
            yield _decode(buf)
            buf.clear()
            overflow = False
            start = end + 1
    if buf:  # a last line cut off mid-way, e.g. by a kill
        yield _decode(buf)


def _decode(buf: bytearray) -> str:
    return buf.decode("utf-8", errors="replace").rstrip("\r")
