"""An agent's worst output through the real server and engine: a task ends truthfully,
its usage counted whole, its log capped and cut where a line is too long."""

from __future__ import annotations

from typing import Any

from server.output import MAX_STORED_LINE
from tests.server_process import ServerProcess

MIB = 1024 * 1024


def outputs(server: ServerProcess, task_id: str) -> list[dict[str, Any]]:
    return [e["data"] for e in server.events(task_id) if e["type"] == "output"]


def kinds(entry: dict[str, Any]) -> list[str]:
    return [event["kind"] for event in entry["events"]]


def test_a_10_mb_line_is_stored_cut_and_the_run_ends_with_its_usage(server: ServerProcess) -> None:
    task = server.create("bigline 10")
    server.act(task["id"], "start")
    done = server.wait_for(task["id"], "waiting")
    assert (done["usage"]["input_tokens"], done["usage"]["cost_usd"]) == (100, 0.0125)
    big = [entry for entry in outputs(server, task["id"]) if entry["truncated"]]
    assert len(big) == 1 and len(big[0]["line"]) == MAX_STORED_LINE
    assert big[0]["omitted"] > 9 * MIB
    assert "characters not stored" in big[0]["events"][0]["text"]
    assert kinds(outputs(server, task["id"])[-1]) == ["result"]


def test_bytes_that_are_not_utf8_are_stored_replaced(server: ServerProcess) -> None:
    task = server.create("badutf8")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    lines = [entry["line"] for entry in outputs(server, task["id"])]
    assert "raw \ufffd\ufffd junk" in lines
    texts = [e.get("text") for entry in outputs(server, task["id"]) for e in entry["events"]]
    assert "bad \ufffd\ufffd bytes" in texts


def test_a_line_that_never_ends_is_stored_cut_and_the_task_fails_for_what_it_was(
    server: ServerProcess,
) -> None:
    task = server.create("endless 20")
    server.act(task["id"], "start")
    failed = server.wait_for(task["id"], "failed")
    assert failed["error"] == "the agent exited without a result"
    last = outputs(server, task["id"])[-1]
    assert last["truncated"] and last["line"] == "y" * MAX_STORED_LINE
    assert last["omitted"] == 20 * MIB - MAX_STORED_LINE


def test_past_the_cap_the_log_keeps_its_newest_output_and_every_result(
    server: ServerProcess,
) -> None:
    server.api("PUT", "/api/config", {"output_cap_mb": 1})
    task = server.create("flood 3")
    server.act(task["id"], "start")
    first = server.wait_for(task["id"], "waiting")
    server.act(task["id"], "feedback", {"message": "flood 3"})
    done = server.wait_for(task["id"], "waiting")
    assert first["usage"]["input_tokens"] == 100
    assert (done["usage"]["input_tokens"], done["usage"]["cost_usd"]) == (200, 0.025)

    log = server.events(task["id"])
    (marker,) = [e["data"] for e in log if e["type"] == "dropped"]
    kept = [e["data"] for e in log if e["type"] == "output"]
    assert [kinds(entry) for entry in kept if "result" in kinds(entry)] == [["result"]] * 2
    assert marker["bytes"] > 4 * MIB
    flood = next(len(entry["line"]) for entry in kept if "Flooding" in entry["line"])
    lines = 2 * (1 + 3 * MIB // (flood + 1) + 1) + 1  # init, flood, result; "Resuming"
    assert marker["lines"] + len(kept) == lines, "every line is either kept or counted"
    assert [e["type"] for e in log].count("state") >= 4, "state changes are never dropped"

    newest = server.api("GET", f"/api/tasks/{task['id']}/events?before=0&limit=10")
    assert [e["id"] for e in newest["events"]] == [e["id"] for e in log[-10:]]
    assert newest["earlier"] == log[-10]["id"] and "next" not in newest


def test_a_page_of_the_log_is_asked_for_in_range(server: ServerProcess) -> None:
    task = server.create("say hi")
    for query in ("before=-1", "limit=5001", "limit=0", "before=x"):
        response = server.request("GET", f"/api/tasks/{task['id']}/events?{query}")
        assert response.status_code == 400, (query, response.text)
        assert "error" in response.json()
