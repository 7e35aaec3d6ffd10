"""What review reads from git: per-file counts and numbered lines, and conflict hunks."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2

from runner import conflicts, diffs, repos, workspaces
from runner.diffs import Line
from tests.gitrepo import commit, file_on_branch, make_repo

TASK = "0123456789abcdef"
LINES = "".join(f"line {i}\n" for i in range(1, 21))


def task_ws(repo: Path, tmp_path: Path) -> workspaces.Workspace:
    return workspaces.create(repos.inspect_repo(repo), TASK, tmp_path / "ws" / TASK, "main")


def test_a_change_has_counts_notes_and_numbered_lines(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "p", {"a.txt": LINES, "gone.txt": "x\n", "run.sh": "echo\n"})
    ws = task_ws(repo, tmp_path)
    (ws.path / "a.txt").write_text(LINES.replace("line 10\n", "ten\nten and a half\n"))
    (ws.path / "gone.txt").unlink()
    (ws.path / "new.bin").write_bytes(b"\0\1\2")
    os.symlink("a.txt", ws.path / "link")
    (ws.path / "run.sh").chmod(0o755)
    by_path = {c.path: c for c in workspaces.diff(ws).changes}
    a = by_path["a.txt"]
    assert (a.status, a.additions, a.deletions, a.notes) == ("modified", 2, 1, [])
    [hunk] = a.hunks
    assert hunk.header == "@@ -7,7 +7,8 @@ line 6"  # git's function context
    assert hunk.lines[2:6] == [
        Line(" ", 9, 9, "line 9"),
        Line("-", 10, None, "line 10"),
        Line("+", None, 10, "ten"),
        Line("+", None, 11, "ten and a half"),
    ]
    assert by_path["gone.txt"].notes == ["deleted file mode 100644"]
    assert by_path["gone.txt"].deletions == 1
    assert by_path["new.bin"].binary and by_path["new.bin"].hunks == []
    assert by_path["new.bin"].notes == ["new file mode 100644", "binary file"]
    assert by_path["link"].notes == ["new file mode 120000 (a symbolic link)"]
    assert by_path["run.sh"].notes == ["mode 100644 → 100755 (executable)"]


def test_a_file_past_the_line_or_char_cap_keeps_its_counts_but_no_lines(tmp_path: Path) -> None:
    half = diffs.MAX_FILE_BYTES * 3 // 4  # each side under the byte cap, both past it
    repo = make_repo(tmp_path / "p", {"wide.js": "b" * half})
    ws = task_ws(repo, tmp_path)
    (ws.path / "big.txt").write_text("x\n" * (diffs.MAX_FILE_LINES + 1))
    (ws.path / "wide.js").write_text("a" * half)
    (ws.path / "small.txt").write_text("x\n")
    by_path = {c.path: c for c in workspaces.diff(ws).changes}
    big = by_path["big.txt"]
    assert big.too_large and big.hunks == [] and big.additions == diffs.MAX_FILE_LINES + 1
    wide = by_path["wide.js"]
    assert wide.too_large and (wide.additions, wide.deletions) == (1, 1)
    assert not by_path["small.txt"].too_large and by_path["small.txt"].hunks


def test_a_file_past_the_byte_cap_is_not_read_and_says_its_size(tmp_path: Path) -> None:
    """Counts would take libgit2 loading both sides whole: they are left unknown."""
    cap = diffs.MAX_FILE_BYTES
    repo = make_repo(tmp_path / "p", {"data.csv": "old\n" * cap, "was.txt": "w\n"})
    ws = task_ws(repo, tmp_path)
    (ws.path / "dump.log").write_bytes(b"line\n" * cap)  # a new file
    (ws.path / "data.csv").write_text("short now\n")  # only the old side is large
    (ws.path / "was.txt").write_text("is\n")
    (ws.path / "edge.txt").write_bytes(b"e" * (cap - 1) + b"\n")  # at the cap: shown
    by_path = {c.path: c for c in workspaces.diff(ws).changes}
    dump, data = by_path["dump.log"], by_path["data.csv"]
    assert (dump.status, dump.size, dump.too_large, dump.hunks) == ("added", 5 * cap, True, [])
    assert (dump.additions, dump.deletions) == (None, None)
    assert dump.notes == ["new file mode 100644"]
    assert (data.status, data.size, data.additions, data.too_large) == (
        "modified",
        4 * cap,
        None,
        True,
    )
    assert (by_path["edge.txt"].additions, by_path["edge.txt"].too_large) == (1, False)
    assert by_path["was.txt"].hunks and by_path["was.txt"].size == 3
    # The cap is the caller's (a setting): lower, the small edit is past it too.
    assert workspaces.diff(ws, max_bytes=2).changes[-1].additions is None


def test_conflicts_are_hunks_of_both_sides_and_touch_nothing(tmp_path: Path) -> None:
    far = LINES.replace("line 18\n", "task eighteen\n")
    repo = make_repo(tmp_path / "p", {"a.txt": LINES, "b.txt": "b\n", "c.txt": "c\n"})
    ws = task_ws(repo, tmp_path)
    (ws.path / "a.txt").write_text(far.replace("line 3\n", "task three\n"))
    (ws.path / "b.txt").unlink()
    (ws.path / "c.txt").write_text("task c\n")
    user_a = LINES.replace("line 3\n", "main three\nmain more\n")
    head = commit(
        repo,
        {
            "a.txt": user_a,
            "b.txt": "main b\n",
            "c.txt": "c\n",
        },
    )
    user = pygit2.Repository(str(repo))
    status, refs = user.status(), sorted(user.references)
    found = conflicts.conflicts(ws, repo, "main")
    assert [f.path for f in found] == ["a.txt", "b.txt"], "c.txt merges cleanly"
    a, b = found
    [hunk] = a.hunks  # line 18 changed on one side only: no conflict there
    rows = [(r.kind, r.line, r.text) for r in hunk]
    assert rows == [
        (" ", 1, "line 1"),
        (" ", 2, "line 2"),
        ("branch", None, "main three"),
        ("branch", None, "main more"),
        ("task", 3, "task three"),
        (" ", 4, "line 4"),
        (" ", 5, "line 5"),
        (" ", 6, "line 6"),
    ]
    assert b.hunks == [] and b.note == "deleted by the task and changed by the other"
    assert str(user.head.target) == head and user.status() == status
    assert sorted(user.references) == refs
    assert file_on_branch(repo, "main", "a.txt") == LINES.replace(
        "line 3\n", "main three\nmain more\n"
    )


def test_nearby_conflicts_share_a_hunk_and_far_ones_do_not() -> None:
    text = ["<<<<<<< a", "x", "=======", "y", ">>>>>>> b"]
    lines = [*text, *(f"c{i}" for i in range(6)), *text, *(f"d{i}" for i in range(7)), *text]
    found = conflicts.hunks(lines)
    assert len(found) == 2
    first = ["x", "y", *(f"c{i}" for i in range(6)), "x", "y", "d0", "d1", "d2"]
    assert [r.text for r in found[0]] == first
    assert found[1][0].text == "d4" and found[1][0].line == 13  # counted on the task's side
