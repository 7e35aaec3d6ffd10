"""Docker's multiplexed attach stream split back into stdout, whatever the reads cut."""

from __future__ import annotations

import io
import itertools

from runner import demux


def frame(stream: int, payload: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


WIRE = b"".join(
    [
        frame(1, b'{"type":"system"}\n'),
        frame(2, b"a warning on stderr\n"),
        frame(1, b""),
        frame(1, b"half a li"),
        frame(1, b"ne\n" + b"x" * 70_000 + b"\n"),  # a frame longer than one read
        frame(2, b"more stderr"),
        frame(1, b"last\n"),
    ]
)
STDOUT = b'{"type":"system"}\nhalf a line\n' + b"x" * 70_000 + b"\nlast\n"


class Cut:
    """A socket whose every read returns at most ``size`` bytes."""

    def __init__(self, data: bytes, size: int) -> None:
        self.wire, self.size = io.BytesIO(data), size

    def read(self, n: int) -> bytes:
        return self.wire.read(min(n, self.size))


def test_stdout_is_kept_and_stderr_dropped_wherever_the_reads_cut() -> None:
    for size in itertools.chain(range(1, 20), (4096, demux.CHUNK)):
        assert b"".join(demux.stdout(Cut(WIRE, size).read)) == STDOUT, size


def test_a_read_of_many_frames_comes_out_as_one_chunk() -> None:
    lines = b"".join(frame(1, b"line %d\n" % n) for n in range(100))
    assert list(demux.stdout(io.BytesIO(lines).read)) == [
        b"".join(b"line %d\n" % n for n in range(100))
    ]


def test_a_stream_cut_mid_frame_ends_with_what_came() -> None:
    assert b"".join(demux.stdout(io.BytesIO(frame(1, b"complete\n") + WIRE[:5]).read)) == (
        b"complete\n"
    )
