"""An accept across repositories on real repositories: all or none, and the journal's
completion after a crash between the moves, without the server in between."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from runner import landall, merge, repos, workspaces
from runner.errors import BranchMoved, MergeConflict
from tests.gitrepo import commit, file_on_branch, make_repo, status

TASK = "0123456789abcdef"


def head(repo: Path) -> str:
    return str(pygit2.Repository(str(repo)).references["refs/heads/main"].target)


def part(repo: Path, tmp_path: Path, files: dict[str, str]) -> landall.Part:
    info = repos.inspect_repo(repo)
    ws = workspaces.create(info, TASK, workspaces.also_root(tmp_path / "ws", info.name), "main")
    for name, text in files.items():
        (ws.path / name).write_text(text)
    return landall.Part(info.name, repo, ws, "main")


@pytest.fixture
def two(tmp_path: Path) -> tuple[landall.Part, landall.Part]:
    a = make_repo(tmp_path / "a", {"a.txt": "a\n"})
    b = make_repo(tmp_path / "b", {"b.txt": "b\n"})
    return part(a, tmp_path, {"a.txt": "a2\n"}), part(b, tmp_path, {"b.txt": "b2\n"})


def test_both_land_and_the_journal_is_told_before_either_moves(
    two: tuple[landall.Part, landall.Part],
) -> None:
    first, second = two
    before = (head(first.repo_path), head(second.repo_path))
    told: list[tuple[str, str]] = []

    def journal(readies: list[merge.Ready | None]) -> None:
        assert (head(first.repo_path), head(second.repo_path)) == before
        told.extend((r.merged.base, r.merged.head) for r in readies if r)

    landall.accept([first, second], "both", journal)
    assert told == [(before[0], head(first.repo_path)), (before[1], head(second.repo_path))]
    assert file_on_branch(first.repo_path, "main", "a.txt") == "a2\n"
    assert file_on_branch(second.repo_path, "main", "b.txt") == "b2\n"
    assert status(first.repo_path) == {} and status(second.repo_path) == {}


def test_a_conflict_in_one_moves_neither_and_names_it(
    two: tuple[landall.Part, landall.Part],
) -> None:
    first, second = two
    commit(second.repo_path, {"b.txt": "the user's\n"})
    before = (head(first.repo_path), head(second.repo_path))
    with pytest.raises(MergeConflict) as raised:
        landall.accept([first, second], "both", lambda _: pytest.fail("never journaled"))
    assert str(raised.value).startswith("b: ") and raised.value.files == ["b/b.txt"]
    assert (head(first.repo_path), head(second.repo_path)) == before
    for each in (first, second):  # each task branch back on its base
        branch = pygit2.Repository(str(each.repo_path)).branches.local[each.ws.branch]
        assert str(branch.target) == each.ws.base_commit


def test_a_branch_moved_after_the_journal_puts_back_the_one_moved(
    two: tuple[landall.Part, landall.Part],
) -> None:
    first, second = two
    before = head(first.repo_path)

    def user_commits_meanwhile(_readies: list[merge.Ready | None]) -> None:
        commit(second.repo_path, {"other.txt": "meanwhile\n"})

    with pytest.raises(BranchMoved, match=r"^b: "):
        landall.accept([first, second], "both", user_commits_meanwhile)
    assert head(first.repo_path) == before
    assert (first.repo_path / "a.txt").read_text() == "a\n", "the checkout put back too"
    assert status(first.repo_path) == {}


def _first_moved(first: landall.Part, second: landall.Part) -> list[merge.Ready]:
    """Both repositories' landings prepared, and only the first's branch moved: where a
    crash between the two moves leaves an accept."""
    readies = []
    for each in (first, second):
        with merge.repo_lock(each.repo_path):
            readies.append(merge.prepare(each.repo_path, each.ws, "main", "both"))
    with merge.repo_lock(first.repo_path):
        merge.move(readies[0])
    return readies


def test_finish_completes_a_journal_cut_off_after_the_first_move(
    two: tuple[landall.Part, landall.Part],
) -> None:
    first, second = two
    readies = _first_moved(first, second)  # then the crash

    landall.finish([(first.name, readies[0]), (second.name, readies[1])])
    assert head(first.repo_path) == readies[0].merged.head
    assert head(second.repo_path) == readies[1].merged.head
    assert (second.repo_path / "b.txt").read_text() == "b2\n"


def test_finish_rolls_back_when_a_branch_moved_while_the_app_was_down(
    two: tuple[landall.Part, landall.Part],
) -> None:
    first, second = two
    readies = _first_moved(first, second)
    moved = commit(second.repo_path, {"other.txt": "while down\n"})

    with pytest.raises(BranchMoved):
        landall.finish([(first.name, readies[0]), (second.name, readies[1])])
    assert head(first.repo_path) == readies[0].merged.base
    assert (first.repo_path / "a.txt").read_text() == "a\n"
    assert head(second.repo_path) == moved
