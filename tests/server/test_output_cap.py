"""A task's stored output: capped, cut where a line is too long, read by pages, on real SQLite."""

from __future__ import annotations

import json
import random
import threading
import uuid
from pathlib import Path

import pytest

from runner.agents import Usage, adapter
from runner.lines import split_lines
from server.config import ConfigStore, RuntimeConfig
from server.model import Task
from server.output import MAX_STORED_LINE, Recorder, RunState
from server.redact import Redactor
from server.states import Status
from server.store import Output, Store
from server.store import log as store_log

SESSION = "s1"


def new_task(store: Store) -> str:
    return store.create_task(Task(str(uuid.uuid4()), "p", Status.IN_PROGRESS, "/r")).id


def line(n: int, size: int = 1000) -> Output:
    """An output entry of exactly ``size`` bytes of JSON."""
    pad = size - len(json.dumps({"n": n, "pad": ""}))
    return Output(json.dumps({"n": n, "pad": "x" * pad}))


def result(n: int) -> Output:
    return Output(json.dumps({"n": n, "result": True}), SESSION, Usage(100, 10, cost_usd=0.5))


def whole_log(store: Store, task_id: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    events, more = store.events(task_id, limit=100_000, max_bytes=2**40)
    assert not more
    return [(e.type, e.data) for e in events]


@pytest.mark.parametrize("slice_bytes", [store_log.DROP_SLICE, 3_000], ids=["one slice", "many"])
def test_past_its_cap_a_task_keeps_its_newest_output_and_a_marker_of_what_went(
    store: Store, slice_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropped in one transaction or in slices (each its own), the log ends the same."""
    monkeypatch.setattr(store_log, "DROP_SLICE", slice_bytes)
    task_id = new_task(store)
    store.append_event(task_id, "state", {"to": "in_progress"})
    for n in range(0, 100, 10):  # 100 lines of 1000 bytes, ten per transaction
        store.append_outputs(task_id, [line(i) for i in range(n, n + 10)], n + 10, 20_000)
    log = whole_log(store, task_id)
    kept = [data["n"] for kind, data in log if kind == "output"]
    # Each drop leaves the newest tenth of the cap (2,000 bytes) and the line after it.
    assert kept == list(range(100 - len(kept), 100)) and 2 <= len(kept) <= 20
    assert log[0] == ("state", {"to": "in_progress"}), "a state change is never dropped"
    assert log[1] == ("dropped", {"bytes": 1000 * (100 - len(kept)), "lines": 100 - len(kept)})
    assert [kind for kind, _ in log[2:]] == ["output"] * len(kept), "the marker is where they were"
    assert store.get_task(task_id).run_lines == 100  # type: ignore[union-attr]


def test_results_and_their_usage_are_never_dropped(store: Store) -> None:
    task_id = new_task(store)
    for run in range(3):
        lines = [line(n) for n in range(run * 100, run * 100 + 99)] + [result(run * 100 + 99)]
        store.append_outputs(task_id, lines, 100, 5_000)
    log = whole_log(store, task_id)
    assert [data["n"] for _, data in log if data.get("result")] == [99, 199, 299]
    task = store.get_task(task_id)
    assert task is not None
    assert (task.usage.input_tokens, task.usage.cost_usd) == (300, 1.5)
    assert store.session_usage(task_id, SESSION).input_tokens == 300
    dropped = [data for kind, data in log if kind == "dropped"]
    outputs = [data for kind, data in log if kind == "output" and not data.get("result")]
    assert len(dropped) == 1 and dropped[0]["lines"] + len(outputs) == 297


def test_the_database_file_stops_growing_once_output_is_dropped(tmp_path: Path) -> None:
    """SQLite reuses the pages freed by each drop: 40 caps of output take no more
    room than 10 did, with no vacuum."""
    store = Store(tmp_path / "wallfacer.db")
    task_id = new_task(store)
    rng = random.Random(1)
    cap = 1024 * 1024

    def push(megabytes: int) -> None:
        for _ in range(megabytes * 16):  # batches of 64 KiB, in lines that do not compress
            noise = [f"{rng.getrandbits(4096):x}" for _ in range(64)]
            lines = [Output(json.dumps({"noise": text})) for text in noise]
            store.append_outputs(task_id, lines, 0, cap)

    def size() -> int:
        return sum(p.stat().st_size for p in tmp_path.glob("wallfacer.db*"))

    push(10)
    after_ten = size()
    push(30)
    assert size() <= after_ten * 1.1
    # The write-ahead log stays at SQLite's checkpoint size (about 4 MiB), whatever
    # passed through; the database holds the cap, with room to spare in its pages.
    assert (tmp_path / "wallfacer.db").stat().st_size < 2 * cap
    store.close()


def test_a_page_is_cut_by_count_and_by_bytes_and_says_whether_more_lie_beyond(
    store: Store,
) -> None:
    task_id = new_task(store)
    store.append_outputs(task_id, [line(n, 100_000) for n in range(50)], 50, 2**40)
    newest, more = store.events(task_id, before=0, limit=10)
    assert [e.data["n"] for e in newest] == list(range(40, 50)) and more
    older, more = store.events(task_id, before=newest[0].id, limit=10, max_bytes=250_000)
    assert [e.data["n"] for e in older] == [37, 38, 39] and more
    first, more = store.events(task_id, before=older[0].id, limit=100, max_bytes=2**40)
    assert [e.data["n"] for e in first] == list(range(37)) and not more
    forward, more = store.events(task_id, after=newest[-2].id, limit=10)
    assert [e.data["n"] for e in forward] == [49] and not more


def record(store: Store, task_id: str, chunks: list[bytes], data_dir: Path) -> RunState:
    """Chunks of Claude Code output through the ingest path a run takes."""
    state = RunState()
    recorder = Recorder(store, task_id, adapter("claude", {}).parser(), state)
    config = ConfigStore(data_dir, RuntimeConfig())
    assert recorder.follow(split_lines(chunks), config, threading.Event(), lambda: None)
    return state


def assistant(text: bytes, message_id: str = "msg_1") -> bytes:
    usage = b'"usage":{"input_tokens":7,"output_tokens":3}'
    return (
        b'{"type":"assistant","session_id":"s1","message":{"id":"' + message_id.encode() + b'",'
        b'"content":[{"type":"text","text":"' + text + b'"}],' + usage + b"}}\n"
    )


def test_a_10_mb_line_is_counted_whole_and_stored_cut_saying_how_much(
    store: Store, tmp_path: Path
) -> None:
    task_id = new_task(store)
    big = assistant(b"x" * (10 * 1024 * 1024))
    chunks = [big[i : i + 65536] for i in range(0, len(big), 65536)]
    state = record(store, task_id, chunks, tmp_path)
    assert state.replies["msg_1"] == Usage(7, 3), "its usage counts, though it is not all stored"
    (entry,) = [e.data for e in store.events(task_id)[0]]
    assert entry["truncated"] and len(entry["line"]) == MAX_STORED_LINE
    assert entry["omitted"] == len(big) - 1 - MAX_STORED_LINE
    (text,) = [e["text"] for e in entry["events"] if e["kind"] == "text"]
    assert text.startswith("x" * 1000) and text.endswith(
        f"({9 * 1024 * 1024} characters not stored)"
    )
    assert len(text) < MAX_STORED_LINE + 100


def test_bytes_that_are_not_utf8_are_stored_replaced(store: Store, tmp_path: Path) -> None:
    task_id = new_task(store)
    record(store, task_id, [assistant(b"bad \xff\xfe bytes"), b"raw \xff\xc0 junk\n"], tmp_path)
    text, junk = (e.data for e in store.events(task_id)[0])
    assert [e["text"] for e in text["events"] if e["kind"] == "text"] == ["bad \ufffd\ufffd bytes"]
    assert junk["line"] == "raw \ufffd\ufffd junk" and junk["events"] == []


def test_a_line_that_never_ends_is_stored_cut_with_all_it_dropped_counted(
    store: Store, tmp_path: Path
) -> None:
    task_id = new_task(store)
    endless = [assistant(b"before")] + [b"y" * 65536] * 400  # 25 MiB with no newline
    record(store, task_id, endless, tmp_path)
    before, cut = (e.data for e in store.events(task_id)[0])
    assert before["events"][0]["text"] == "before"
    assert cut["truncated"] and cut["line"] == "y" * MAX_STORED_LINE and cut["events"] == []
    assert cut["omitted"] == 400 * 65536 - MAX_STORED_LINE


def test_a_secret_is_redacted_in_the_stored_line_and_its_events(store: Store) -> None:
    task_id = new_task(store)
    secret = "sk-ant-api03-abcdefghij0123456789"
    recorder = Recorder(store, task_id, adapter("claude", {}).parser(), RunState())
    recorder.record([assistant(secret.encode()).decode()], Redactor({"API_KEY": secret}), 2**40)
    (entry,) = [e.data for e in store.events(task_id)[0]]
    assert secret not in json.dumps(entry)
    assert entry["events"][0]["text"] == "[redacted]"
