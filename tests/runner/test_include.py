"""``.worktreeinclude`` on real repositories: what its globs copy, and what never."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from runner import include
from tests.gitrepo import commit, make_repo


def copied(repo: Path, tmp_path: Path, rules: str) -> tuple[list[str], list[str]]:
    """The files a new workspace gets, and the notes for the log."""
    user = pygit2.Repository(str(repo))
    workspace = tmp_path / "ws"
    workspace.mkdir(parents=True, exist_ok=True)
    notes = include.copy(repo, user, user.head.peel(pygit2.Commit).tree, workspace, rules, None)
    files = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*") if p.is_file())
    return files, notes


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = make_repo(
        tmp_path / "project",
        {".gitignore": "*.env\nbuild/\n", "src/main.py": ""},
    )
    commit(repo, {"forced.env": "tracked though ignored"})
    for name in ("top.env", "src/deep.env", "build/out/x.env", "build/keep.bin", "src/free.txt"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(name)
    return repo


def test_a_glob_without_a_slash_matches_at_any_depth(project: Path, tmp_path: Path) -> None:
    files, notes = copied(project, tmp_path, "*.env\n")
    assert files == ["build/out/x.env", "src/deep.env", "top.env"], "never the tracked forced.env"
    assert notes == []


def test_a_glob_with_a_slash_is_anchored_at_the_top(project: Path, tmp_path: Path) -> None:
    assert copied(project, tmp_path, "/top.env\nsrc/*.env\n")[0] == ["src/deep.env", "top.env"]
    assert copied(project, tmp_path / "b", "/deep.env\n")[0] == []


def test_a_folder_glob_takes_its_files_and_a_negation_drops_some(
    project: Path, tmp_path: Path
) -> None:
    files, _ = copied(project, tmp_path, "build/\n!*.bin\n")
    assert files == ["build/out/x.env"]
    assert copied(project, tmp_path / "b", "**/out/*\n")[0] == ["build/out/x.env"]


def test_files_git_does_not_ignore_are_left_to_the_tree(project: Path, tmp_path: Path) -> None:
    assert copied(project, tmp_path, "src/*.txt\nsrc/*.py\n") == ([], [])


def test_globs_that_leave_the_repository_are_refused(project: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.env").write_text("not yours")
    rules = f"../outside.env\nsrc/../../outside.env\n{tmp_path}/outside.env\n"
    files, notes = copied(project, tmp_path, rules)
    assert files == [], "a leading / anchors a glob at the repository's top, as in .gitignore"
    assert notes == [
        ".worktreeinclude: '../outside.env' reaches outside the repository; ignored",
        ".worktreeinclude: 'src/../../outside.env' reaches outside the repository; ignored",
    ]


def test_links_are_never_followed(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.env").write_text("not yours")
    (project / "linked").symlink_to(elsewhere)
    (project / "link.env").symlink_to(elsewhere / "secret.env")
    files, notes = copied(project, tmp_path, "*.env\nlinked/\n")
    assert "link.env" not in files and not any(f.startswith("linked") for f in files)
    assert ".worktreeinclude: link.env is not a regular file (a link?); not copied" in notes


def test_sizes_are_capped(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "big.env").write_text("x" * 100)
    monkeypatch.setattr(include, "MAX_FILE_BYTES", 50)
    monkeypatch.setattr(include, "MAX_FILES", 1)
    files, notes = copied(project, tmp_path, "/big.env\n/top.env\nsrc/deep.env\n")
    assert files == ["top.env"]  # breadth first: a folder's files before its folders'
    assert notes == [
        ".worktreeinclude: big.env is over 50 bytes; not copied",
        ".worktreeinclude: src/deep.env is past the cap of 1 files or 104857600 bytes; not copied",
    ]
