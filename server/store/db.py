"""The store's SQLite connection: opening it, its lock, its transactions and its schema.

One connection in WAL mode, guarded by a lock, used from worker threads (never
from the event loop). Each part of the store inherits it from ``Database``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from server.errors import InsufficientStorage

# Forward-only, numbered 0001_*.sql on: PRAGMA user_version counts how many
# have run. Found next to this module, in a wheel and in the PyInstaller bundle alike.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(db: sqlite3.Connection, directory: Path = MIGRATIONS) -> None:
    """Run the migrations the database has not had, each whole in its own transaction.

    Each file goes to SQLite as one script, so triggers and literals holding ";"
    survive. ``executescript`` stops at the first error with the script's
    transaction still open: rolling it back leaves the database at the version
    before. (It also commits any open transaction first, so none may be open.)
    """
    scripts = _scripts(directory)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, sql in enumerate(scripts[version:], start=version + 1):
        try:
            db.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n;\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except BaseException:
            if db.in_transaction:  # SQLite has already rolled back after some errors
                db.execute("ROLLBACK")
            raise


def _scripts(directory: Path) -> list[str]:
    """The migrations in number order; a gap or a repeated number would make
    user_version miscount, so it stops the store from opening."""
    numbered = sorted((int(f.name.partition("_")[0]), f) for f in directory.glob("*.sql"))
    if [number for number, _ in numbered] != list(range(1, len(numbered) + 1)):
        names = [f.name for _, f in numbered]
        raise ValueError(f"migrations in {directory} must be numbered 1 to {len(names)}: {names}")
    return [f.read_text(encoding="utf-8") for _, f in numbered]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_private(path: Path) -> None:
    """Owner-only, like the token and env files: the store holds prompts and
    credential hashes. Made so before SQLite opens it (its -wal and -shm files
    take the store's mode), and tightened if an older version made it 0644."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with suppress(FileNotFoundError):
            os.chmod(file, 0o600)


class Database:
    """The connection and lock every part of the store queries through."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        make_private(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Debian's SQLite zeroes every deleted row, which wrote a run's dropped output
        # (90 MB at a time past the cap) once more: 514 against 329 MB written per
        # 100 MB of output, 0.39 against 0.17 s per drop. FAST still zeroes what it
        # can without more I/O; freed pages keep their old bytes until reused.
        self._db.execute("PRAGMA secure_delete=FAST")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            migrate(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:  # SQLite may have rolled back already
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and (
                    exc.sqlite_errorcode == sqlite3.SQLITE_FULL
                ):
                    raise InsufficientStorage(self.path.parent) from exc
                raise

    def flush(self) -> None:
        """Write what was committed through to the database file, synced: committed
        writes outlive a crash of the app as they are (WAL), this a power cut too."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(FULL)")

    def writable(self) -> bool:
        """Readiness: can the store still commit a write (disk full, read-only fs)?"""
        try:
            with self._tx() as db:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS _probe(x)")
        except sqlite3.Error:
            return False
        return True
