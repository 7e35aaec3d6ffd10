"""Review's data: Pygments tokens that join back to each line, the diff's JSON shape, and
a huge file in a task's change."""

from __future__ import annotations

from pathlib import Path

from pygments.lexers import PythonLexer

from runner import diffs, workspaces
from server import review
from tests.gitrepo import make_repo
from tests.runner.test_review_git import task_ws
from tests.server_process import ServerProcess, added_text

MB = 1024 * 1024


def test_tokens_are_classes_and_text_that_join_back_to_each_line() -> None:
    lines = ['def f(x):  # "<b>"', '    return """a', 'b""" + 1', "", "\tx"]
    rows = review.tokens(PythonLexer(stripnl=False, ensurenl=False), lines)
    assert ["".join(text for _, text in row) for row in rows] == lines
    assert rows[0][:3] == [["k", "def"], ["", " "], ["nf", "f"]]
    assert ["c", '# "<b>"'] in rows[0]
    assert rows[2][0] == ["s", 'b"""'], "a string across lines stays a string"
    assert rows[3] == []
    # A lone carriage return would be a newline to the lexer: plain, never shifted.
    assert review.tokens(PythonLexer(), ["a\rb", "c"]) == [[["", "a\rb"]], [["", "c"]]]


def test_without_a_lexer_or_with_a_minified_line_lines_go_out_plain() -> None:
    assert review.tokens(None, ["a < b", ""]) == [[["", "a < b"]], []]
    wide = "x = 1;" * (review.MAX_HIGHLIGHT_LINE // 6 + 1)
    lexer = PythonLexer(stripnl=False, ensurenl=False)
    assert review.tokens(lexer, ["x = 1", wide]) == [[["", "x = 1"]], [["", wide]]]


def test_the_diff_json_has_totals_and_highlighted_lines_per_side(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "p", {"app.py": "a = 1\nb = 2\n", "notes.unknownext": "n\n"})
    ws = task_ws(repo, tmp_path)
    (ws.path / "app.py").write_text("a = 1\nb = 'two'\n")
    (ws.path / "notes.unknownext").write_text("m\n")
    body = review.diff_json(workspaces.diff(ws))
    assert body["files"] == ["app.py", "notes.unknownext"]
    assert (body["additions"], body["deletions"], body["uncounted"]) == (2, 2, 0)
    app, notes = body["changes"]
    assert {k: app[k] for k in ("path", "status", "additions", "deletions", "too_large")} == {
        "path": "app.py",
        "status": "modified",
        "additions": 1,
        "deletions": 1,
        "too_large": False,
    }
    lines = app["hunks"][0]["lines"]
    assert lines[0] == [" ", 1, 1, [["", "a "], ["o", "="], ["", " "], ["m", "1"]]]
    assert lines[1][:3] == ["-", 2, None] and ["m", "2"] in lines[1][3]
    assert lines[2][:3] == ["+", None, 2] and ["s", "'two'"] in lines[2][3]
    assert notes["hunks"][0]["lines"][1] == ["+", None, 1, [["", "m"]]]


def test_conflicts_of_a_task_without_one_are_empty(bare_server: ServerProcess) -> None:
    task = bare_server.create("nothing yet")
    assert bare_server.api("GET", f"/api/tasks/{task['id']}/conflicts") == {"files": []}
    diff = bare_server.api("GET", f"/api/tasks/{task['id']}/diff")
    empty = {"files": [], "additions": 0, "deletions": 0, "uncounted": 0, "changes": []}
    named = {"name": Path(task["repo"]).name, "repo": task["repo"], "also": []}
    assert diff == {**empty, **named}
    missing = bare_server.request("GET", "/api/tasks/nope/conflicts")
    assert missing.status_code == 404 and "error" in missing.json()


def test_a_huge_file_shows_as_too_large_beside_the_usual_hunks(
    server: ServerProcess, repo: Path
) -> None:
    """F8: the agent wrote 30 MB. The diff says its size and that it is too large to
    show; the body stays small, and the other files keep their lines."""
    task = server.create("write notes.txt hello from the agent")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    workspace = server.data_dir / "workspaces" / task["id"] / "work" / repo.name
    line = b"generated output, line after line\n"
    with (workspace / "dump.log").open("wb") as out:
        for _ in range(30):
            out.write(line * (MB // len(line)))
    size = (workspace / "dump.log").stat().st_size
    (workspace / "mid.txt").write_text(("m" * 99 + "\n") * 200)  # 20 KB

    response = server.request("GET", f"/api/tasks/{task['id']}/diff")
    assert response.status_code == 200 and len(response.content) < 100_000
    body = response.json()
    by_path = {change["path"]: change for change in body["changes"]}
    dump = by_path["dump.log"]
    assert (dump["too_large"], dump["size"], dump["hunks"]) == (True, size, [])
    assert (dump["additions"], dump["deletions"], body["uncounted"]) == (None, None, 1)
    assert "hello from the agent" in added_text(body)
    assert (by_path["mid.txt"]["additions"], by_path["mid.txt"]["too_large"]) == (200, False)
    assert body["additions"] == 201

    # The cap is a setting: at its least, the 20 KB file is past it too.
    assert server.api("GET", "/api/config")["diff_file_kb"] == diffs.MAX_FILE_BYTES // 1024
    server.api("PUT", "/api/config", {"diff_file_kb": 16})
    mid = {c["path"]: c for c in server.api("GET", f"/api/tasks/{task['id']}/diff")["changes"]}
    assert (mid["mid.txt"]["too_large"], mid["mid.txt"]["additions"]) == (True, None)
