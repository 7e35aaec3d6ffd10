"""Schema migrations: numbered .sql files, each run whole and atomically, on real SQLite files."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from server.states import Status
from server.store import Store
from server.store.db import MIGRATIONS, migrate


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection opened the way the store opens its own."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        yield db


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql, encoding="utf-8")
    return directory


def test_a_database_from_the_first_schema_reaches_the_latest_with_its_data(
    tmp_path: Path,
) -> None:
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(next(MIGRATIONS.glob("0001_*.sql")), first)
    path = tmp_path / "wallfacer.db"
    with connect(path) as db:
        migrate(db, first)
        assert version(db) == 1
        db.execute(
            "INSERT INTO tasks (id, title, prompt, status, repo, run_lines, input_tokens,"
            " cost_usd, created_at, updated_at) VALUES ('t1', 'Old', 'fix the bug', 'waiting',"
            " '/repo', 2, 120, 0.5, '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')"
        )
        db.executemany(
            "INSERT INTO task_events (task_id, type, data, at) VALUES ('t1', ?, ?, ?)",
            [
                ("state", '{"from": "backlog", "to": "in_progress"}', "2024-01-01T00:00:01Z"),
                ("output", '{"line": "done; all good"}', "2024-01-01T00:00:02Z"),
            ],
        )

    store = Store(path)
    try:
        task = store.get_task("t1")
        assert task is not None
        assert (task.title, task.prompt, task.status, task.repo) == (
            "Old",
            "fix the bug",
            Status.WAITING,
            "/repo",
        )
        assert (task.run_lines, task.usage.input_tokens, task.usage.cost_usd) == (2, 120, 0.5)
        assert (task.agent, task.model) == ("claude", ""), "new columns take their defaults"
        events, _ = store.events("t1")
        assert [(e.type, e.data) for e in events] == [
            ("state", {"from": "backlog", "to": "in_progress"}),
            ("output", {"line": "done; all good"}),
        ]
        assert store.tokens() == [] and store.password_hash() is None, "later tables exist"
    finally:
        store.close()
    with connect(path) as db:
        assert version(db) == len(list(MIGRATIONS.glob("*.sql")))


def test_a_migration_with_a_trigger_and_semicolons_in_literals_runs_whole(
    tmp_path: Path,
) -> None:
    migrations = write(
        tmp_path / "migrations",
        {
            "0001_notes.sql": """
                CREATE TABLE notes (body TEXT NOT NULL);
                CREATE TABLE audit (what TEXT NOT NULL);
                CREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN
                    INSERT INTO audit (what) VALUES ('added; ' || new.body);
                    INSERT INTO audit (what) VALUES ('second statement; of the trigger');
                END;
                INSERT INTO notes (body) VALUES ('one; two');
                -- a comment; then no newline at the end""",
        },
    )
    with connect(tmp_path / "db.sqlite") as db:
        migrate(db, migrations)
        assert version(db) == 1
        assert db.execute("SELECT body FROM notes").fetchall() == [("one; two",)]
        assert db.execute("SELECT what FROM audit ORDER BY rowid").fetchall() == [
            ("added; one; two",),
            ("second statement; of the trigger",),
        ]


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    migrations = write(
        tmp_path / "migrations",
        {
            "0001_notes.sql": "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept');",
            "0002_broken.sql": """
                INSERT INTO notes VALUES ('half done');
                ALTER TABLE notes ADD COLUMN extra TEXT;
                INSERT INTO no_such_table VALUES (1);
            """,
        },
    )
    path = tmp_path / "db.sqlite"
    with connect(path) as db:
        with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
            migrate(db, migrations)
        assert not db.in_transaction
        assert version(db) == 1
    with connect(path) as db:
        assert db.execute("SELECT * FROM notes").fetchall() == [("kept",)], "nothing of 0002"

        write(migrations, {"0002_broken.sql": "ALTER TABLE notes ADD COLUMN extra TEXT;"})
        migrate(db, migrations)
        assert version(db) == 2
        assert db.execute("SELECT * FROM notes").fetchall() == [("kept", None)]


def test_a_gap_in_the_numbers_stops_the_migrations(tmp_path: Path) -> None:
    migrations = write(
        tmp_path / "migrations",
        {"0001_a.sql": "CREATE TABLE a (x);", "0003_c.sql": "CREATE TABLE c (x);"},
    )
    with connect(tmp_path / "db.sqlite") as db:
        with pytest.raises(ValueError, match="numbered 1 to 2"):
            migrate(db, migrations)
        assert version(db) == 0
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
