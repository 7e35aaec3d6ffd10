"""What the helpers ask and how their answers are cleaned: the repository's style
(its newest subjects, the change's diff --stat, read with pygit2) is in the
commit prompt, and a fallback is the prompt's first line without its noise."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner import repos, workspaces
from server.helpers import cleaned_message, cleaned_title, commit_prompt, first_line
from tests.gitrepo import commit, make_repo


@pytest.mark.parametrize(
    ("prompt", "limit", "expected"),
    [
        ("## Fix: the **parser** !!!\nmore", 60, "Fix: the parser"),
        ("\n\n  - `refactor` the [cache](http://x) layer.", 60, "refactor the cache layer"),
        ("==> Add a button <==", 60, "Add a button"),
        ("Make the board load faster on large repositories", 20, "Make the board load"),
        ("", 60, ""),
    ],
)
def test_the_fallback_is_the_first_line_cleaned(prompt: str, limit: int, expected: str) -> None:
    assert first_line(prompt, limit) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Fix the login bug", "Fix the login bug"),
        ('Title: "Fix the login bug."', "Fix the login bug"),
        ("**Speed up the board on big repositories**\n", "Speed up the board on"),
        ("\n\n", ""),
    ],
)
def test_a_title_answer_is_at_most_five_words(answer: str, expected: str) -> None:
    assert cleaned_title(answer) == expected


def test_a_commit_answer_keeps_its_body_and_cuts_its_subject() -> None:
    assert cleaned_message("```\nfix: the parser.\n\nIt read too far.\n```") == (
        "fix: the parser\n\nIt read too far."
    )
    long = cleaned_message("x" * 100)
    assert len(long) == 72 and long.endswith("…")
    assert cleaned_message("  ") == ""


def test_the_commit_prompt_holds_the_repositorys_style(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "project")
    commit(repo, {"a.txt": "a\n"}, "docs: add a")
    commit(repo, {"b.txt": "b\n"}, "fix(core): handle b\n\nA body.")
    ws = workspaces.create(repos.inspect_repo(repo), "t" * 36, tmp_path / "ws", "main")
    (ws.path / "README.md").write_text("# demo\nmore\n")

    subjects = repos.subjects(repo, "main", 12)
    stat = workspaces.diff_stat(ws)
    text = commit_prompt("write README.md more", subjects, stat)

    assert subjects == ["fix(core): handle b", "docs: add a", "initial"]
    assert "README.md | 1 +" in stat and "1 file changed, 1 insertion(+)" in stat
    assert "> fix(core): handle b\n> docs: add a\n> initial\n" in text
    assert "> README.md | 1 +" in text.replace("  ", " ").replace("  ", " ")
    # No line starts with a command of the test agent but the task's own.
    commands = {"write", "say", "run", "fail", "sleep", "answer", "verdict", "-"}
    own = [line for line in text.splitlines() if line.split()[:1] and line.split()[0] in commands]
    assert own == ["write README.md more"]
