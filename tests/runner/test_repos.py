"""The diff of a merged task, rebuilt by pygit2 from the commits it landed as."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from runner.repos import Diff, diff_commits
from tests.gitrepo import commit_all, make_repo


@pytest.mark.parametrize(
    ("write", "delete", "files"),
    [
        ({}, [], []),
        ({"a.txt": "changed\n"}, [], ["a.txt"]),
        ({"new/b.txt": "b\n"}, [], ["new/b.txt"]),
        ({}, ["a.txt"], ["a.txt"]),  # a deleted file is listed by the path it had
        ({"c.txt": "a\n"}, ["a.txt"], ["a.txt", "c.txt"]),  # no rename detection
    ],
)
def test_a_diff_lists_every_file_it_touches(
    tmp_path: Path, write: dict[str, str], delete: list[str], files: list[str]
) -> None:
    path = make_repo(tmp_path / "repo", {"a.txt": "a\n", "keep.txt": "k\n"})
    base = str(pygit2.Repository(str(path)).head.target)
    for name, text in write.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    for name in delete:
        (path / name).unlink()
    diff = diff_commits(path, base, commit_all(path))
    assert diff.files == files
    if not files:
        assert diff == Diff([], [])
    assert [change.path for change in diff.changes] == files
