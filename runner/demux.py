"""A container's attach stream (Docker's multiplexed frames) read 64 KB at a time.

Each frame is an 8-byte header (the stream: 1 stdout, 2 stderr; then the
payload's length, big-endian) and its payload. The SDK reads a frame in two
reads, each a poll and a recv; an agent that prints a line per write makes a
frame per line, so ten chatty runs made ten threads take turns on the GIL
after every few hundred bytes. Here one read takes as many frames as have
arrived, and their stdout comes out as one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from runner.lines import split_lines

CHUNK = 64 * 1024
HEADER = 8
STDOUT = 1


def stdout(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """The stdout payloads of a multiplexed stream, joined per read, to its end."""
    head = b""  # a frame header split across reads
    left = 0  # bytes of the current frame's payload still to come
    keep = False  # whether the current frame is stdout
    while data := read(CHUNK):
        out: list[bytes] = []
        pos, end = 0, len(data)
        while pos < end:
            if left:
                take = min(left, end - pos)
                if keep:
                    out.append(data[pos : pos + take])
                pos += take
                left -= take
                continue
            need = HEADER - len(head)
            head += data[pos : pos + need]
            pos += need
            if len(head) == HEADER:
                keep, left, head = head[0] == STDOUT, int.from_bytes(head[4:], "big"), b""
        if out:
            yield b"".join(out)


def lines(api: Any, stream: Any) -> Iterator[str]:
    """An attach stream's stdout lines (``stream`` the SDK's CancellableStream, not
    yet read), its response closed once they are read: the SDK leaves that to its
    caller (see ``containers._lines``)."""
    sock = api._get_raw_response_socket(stream._response)
    api._disable_socket_timeout(sock)  # an agent may print nothing for an hour
    try:
        yield from split_lines(stdout(getattr(sock, "recv", None) or sock.read))
    finally:
        stream._response.close()
