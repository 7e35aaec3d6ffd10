"""The board's live stream: sequence ids, and replay after a reconnect or a restart."""

from __future__ import annotations

import time

from tests.server_process import ServerProcess


def test_board_changes_stream_and_replay_after_last_event_id(server: ServerProcess) -> None:
    hello = server.sse("/api/stream", until=lambda evs: evs[-1]["event"] == "ready", timeout=5)
    start_seq = hello[-1]["id"]

    task = server.create("say hi")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    other = server.create("to be deleted")
    server.api("DELETE", f"/api/tasks/{other['id']}")

    # A client that was away since start_seq catches up on everything, in order.
    replay = server.sse(
        "/api/stream",
        headers={"Last-Event-ID": str(start_seq)},
        until=lambda evs: any(e["event"] == "task-deleted" for e in evs),
    )
    ids = [e["id"] for e in replay]
    assert ids == sorted(ids) and ids[0] == start_seq + 1
    statuses = [
        e["data"]["status"]
        for e in replay
        if e["event"] == "task-updated" and e["data"]["id"] == task["id"]
    ]
    assert statuses[0] == "backlog" and statuses[-1] == "waiting"
    assert "in_progress" in statuses
    assert replay[-1]["data"] == {"id": other["id"]}


def test_a_listing_says_the_sequence_its_stream_resumes_from(server: ServerProcess) -> None:
    listed = server.api("GET", "/api/tasks")
    late = server.create("made after the listing, before the stream")
    replay = server.sse(
        "/api/stream",
        headers={"Last-Event-ID": str(listed["seq"])},
        until=lambda evs: any(e["data"].get("id") == late["id"] for e in evs),
        timeout=10,
    )
    assert all(e["id"] > listed["seq"] for e in replay)
    assert late["id"] not in [t["id"] for t in listed["tasks"]]


def test_replay_survives_a_server_restart(server: ServerProcess) -> None:
    first = server.create("one")
    mine = lambda evs: any(e["data"].get("id") == first["id"] for e in evs)  # noqa: E731
    seen = server.sse("/api/stream", headers={"Last-Event-ID": "0"}, until=mine, timeout=5)
    # Its own event, not the stream's last: image news may come after it.
    seq = next(e["id"] for e in seen if e["data"].get("id") == first["id"])
    server.stop()
    server.start()
    second = server.create("two")
    replay = server.sse(
        "/api/stream",
        headers={"Last-Event-ID": str(seq - 1)},
        until=lambda evs: any(e["data"].get("id") == second["id"] for e in evs),
    )
    tasks = [e["data"]["id"] for e in replay if e["event"] == "task-updated"]
    assert tasks == [first["id"], second["id"]], "image news may come between, tasks in order"


def test_live_updates_arrive_while_connected(server: ServerProcess) -> None:
    import threading

    task = server.create("say hi")
    threading.Timer(0.3, lambda: server.act(task["id"], "start")).start()
    events = server.sse(
        "/api/stream",
        until=lambda evs: any(e["data"].get("status") == "waiting" for e in evs),
    )
    assert events[0]["event"] == "ready"


def test_a_client_leaving_a_stream_is_not_an_error(server: ServerProcess) -> None:
    """D8: every closed browser tab used to log an ERROR with a traceback."""
    task = server.create("sleep 2")
    server.act(task["id"], "start")
    for path in ("/api/stream", f"/api/tasks/{task['id']}/logs"):
        with server.request("GET", path, stream=True) as response:
            next(response.iter_lines())
    for n in range(5):  # writes for the streams that are gone
        server.create(f"change {n}")
    server.wait_for(task["id"], "waiting")
    time.sleep(1)
    assert "Traceback" not in server.log() and "Error handling request" not in server.log()
