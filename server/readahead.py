"""A run's output lines read ahead on a thread of their own, taken in batches.

The store writes a batch of lines per transaction. Reading ahead lets the
writer take every line that arrived while it wrote the last batch: batches
grow with the rate of output (group commit) and a lone line is still written
at once, with no timer. What is read ahead is bounded in bytes, so a stalled
writer holds the reader back rather than filling memory.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator

# Read ahead no further than this; a batch takes about as much at most. Larger
# batches write no faster (measured from 32 KB to 1 MB); ten runs at 1 MB each
# took 26 MB more memory at their peak than at 256 KB.
READ_AHEAD_BYTES = 256 * 1024


class ReadAhead:
    def __init__(self, lines: Iterator[str], name: str, limit: int = READ_AHEAD_BYTES) -> None:
        self._lines = lines
        self._limit = limit
        self._ready: deque[str] = deque()
        self._bytes = 0
        self._ended = False
        self._stopped = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        threading.Thread(target=self._read, name=name, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self._lines:
                with self._changed:
                    while self._bytes >= self._limit and not self._stopped:
                        self._changed.wait()
                    if self._stopped:
                        return
                    self._ready.append(line)
                    self._bytes += len(line)
                    self._changed.notify_all()
        except BaseException as exc:  # the engine went away: the taker raises it
            self._error = exc
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def take(self) -> list[str]:
        """The lines read so far (waiting for one), up to about the limit in bytes;
        [] once the stream has ended, or its error after the last line."""
        with self._changed:
            while not self._ready and not self._ended:
                self._changed.wait()
            batch: list[str] = []
            size = 0
            while self._ready and size < self._limit:
                line = self._ready.popleft()
                batch.append(line)
                size += len(line)
            self._bytes -= size
            self._changed.notify_all()
        if not batch and self._error is not None:
            raise self._error
        return batch

    def stop(self) -> None:
        """Read no further (a line the reader is waiting for is dropped when it comes)."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
