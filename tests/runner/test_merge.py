"""The accept pipeline on real repositories, without the server in between."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from runner import merge, repos, workspaces
from runner.errors import (
    BranchMoved,
    DirtyCheckout,
    MergeConflict,
    NotARepository,
    NothingToMerge,
    OperationInProgress,
)
from tests.gitrepo import commit, file_on_branch, make_repo

TASK = "0123456789abcdef"


def task_tree(repo: Path, tmp_path: Path, task_id: str = TASK) -> workspaces.Workspace:
    return workspaces.create(repos.inspect_repo(repo), task_id, tmp_path / "ws" / task_id, "main")


def accept(repo: Path, ws: workspaces.Workspace, message: str = "x", **kw: object) -> merge.Merged:
    return merge.accept(repo, ws, "main", message, **kw)  # type: ignore[arg-type]


def test_a_workspace_gets_its_own_branch_from_main(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    assert tree.branch == "task/01234567"
    assert (tree.path / "README.md").read_text() == "# demo\n"
    assert tree.base_commit == str(pygit2.Repository(str(repo)).head.target)
    # Creating it again (a retry) reuses it.
    assert task_tree(repo, tmp_path) == tree


def test_the_review_diff_includes_new_and_changed_files(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "new" / "deep.txt").parent.mkdir()
    (tree.path / "new" / "deep.txt").write_text("fresh\n")
    (tree.path / "README.md").write_text("# changed\n")
    diff = workspaces.diff(tree)
    assert diff.files == ["README.md", "new/deep.txt"]
    lines = {(line.kind, line.text) for c in diff.changes for h in c.hunks for line in h.lines}
    assert ("+", "fresh") in lines and ("-", "# demo") in lines


def test_accept_fast_forwards_and_cleans_nothing_it_should_not(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "a.txt").write_text("a\n")
    merged = accept(repo, tree, "Add a")
    main = pygit2.Repository(str(repo)).branches.local["main"].peel(pygit2.Commit)
    assert str(main.id) == merged.head
    assert main.message == "Add a"
    assert main.author.email == "test@example.com", "commits carry the user's identity"
    assert merged.files == ["a.txt"]
    assert (repo / "a.txt").read_text() == "a\n"


def test_a_conflict_restores_the_worktree_and_names_the_files(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "README.md").write_text("agent\n")
    before_main = commit(repo, {"README.md": "user\n"})
    with pytest.raises(MergeConflict) as conflict:
        accept(repo, tree, "Edit readme")
    assert conflict.value.files == ["README.md"]
    user = pygit2.Repository(str(repo))
    assert str(user.branches.local[tree.branch].target) == tree.base_commit, "branch went back"
    assert (tree.path / "README.md").read_text() == "agent\n"
    assert str(user.head.target) == before_main


def test_dirty_touched_files_block_the_merge(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "README.md").write_text("agent\n")
    (repo / "README.md").write_text("unsaved\n")
    with pytest.raises(DirtyCheckout) as dirty:
        accept(repo, tree)
    assert dirty.value.files == ["README.md"]
    assert (repo / "README.md").read_text() == "unsaved\n"
    assert file_on_branch(repo, "main", "README.md") == "# demo\n"


def test_an_untracked_user_file_in_the_way_blocks_the_merge(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "new.txt").write_text("agent\n")
    (repo / "new.txt").write_text("mine\n")
    with pytest.raises(DirtyCheckout):
        accept(repo, tree)
    assert (repo / "new.txt").read_text() == "mine\n"


def test_a_user_checkout_on_another_branch_is_left_alone(repo: Path, tmp_path: Path) -> None:
    git = pygit2.Repository(str(repo))
    git.branches.local.create("feature", git.head.peel(pygit2.Commit))
    git.checkout("refs/heads/feature")
    tree = task_tree(repo, tmp_path)
    (tree.path / "f.txt").write_text("f\n")
    accept(repo, tree)
    assert file_on_branch(repo, "main", "f.txt") == "f\n"
    assert not (repo / "f.txt").exists()


def test_landed_tells_whether_a_commit_is_on_the_branch(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "a.txt").write_text("a\n")
    merged = accept(repo, tree)
    assert merge.landed(repo, "main", merged.head)
    commit(repo, {"later.txt": "l\n"})
    assert merge.landed(repo, "main", merged.head)
    assert not merge.landed(repo, "main", "0" * 40)


def test_removing_a_workspace_removes_its_branch_and_base_ref(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    assert "refs/wallfacer/base/01234567" in pygit2.Repository(str(repo)).references
    workspaces.remove(repo, TASK, tree.root)
    assert not tree.root.exists()
    user = pygit2.Repository(str(repo))
    assert sorted(user.branches.local) == ["main"]
    assert [r for r in user.references if r.startswith("refs/wallfacer/")] == []


def test_repo_paths_are_validated(tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        repos.inspect_repo(tmp_path)
    repo = make_repo(tmp_path / "r")
    (repo / "sub").mkdir()
    with pytest.raises(NotARepository, match="top directory"):
        repos.inspect_repo(repo / "sub")
    info = repos.inspect_repo(repo)
    assert (info.name, info.default_branch) == ("r", "main")
    assert info.git_dir == repo / ".git"


def test_a_refused_accept_leaves_the_task_branch_as_reviewed(repo: Path, tmp_path: Path) -> None:
    """The accept is refused; accepting again later loses nothing of main or the task."""
    tree = task_tree(repo, tmp_path)
    (tree.path / "task.txt").write_text("task\n")
    commit(repo, {"f.txt": "main moved on\n"})
    (repo / "task.txt").write_text("user's unsaved file in the way\n")
    with pytest.raises(DirtyCheckout):
        accept(repo, tree)
    user = pygit2.Repository(str(repo))
    assert str(user.branches.local[tree.branch].target) == tree.base_commit

    (repo / "task.txt").unlink()
    accept(repo, tree)
    assert file_on_branch(repo, "main", "f.txt") == "main moved on\n", "main's change survives"
    assert file_on_branch(repo, "main", "task.txt") == "task\n"


def test_ignored_user_files_are_never_overwritten(repo: Path, tmp_path: Path) -> None:
    commit(repo, {".gitignore": "local.cfg\n"})
    (repo / "local.cfg").write_text("the user's own settings\n")
    tree = task_tree(repo, tmp_path, "fedcba9876543210")
    (tree.path / "local.cfg").write_text("agent's settings\n")
    (tree.path / ".gitignore").write_text("")  # the agent unignores it
    with pytest.raises(DirtyCheckout) as refused:
        accept(repo, tree)
    assert refused.value.files == ["local.cfg"]
    assert (repo / "local.cfg").read_text() == "the user's own settings\n"


def test_accept_waits_while_the_user_is_mid_rebase(repo: Path, tmp_path: Path) -> None:
    """F4: a fast-forward under a rebase is dropped by the user's `git rebase --abort`."""
    tree = task_tree(repo, tmp_path)
    (tree.path / "a.txt").write_text("a\n")
    (repo / ".git" / "rebase-merge").mkdir()
    (repo / ".git" / "rebase-merge" / "head-name").write_text("refs/heads/main\n")
    before = pygit2.Repository(str(repo)).head.target
    with pytest.raises(OperationInProgress, match="middle of a rebase"):
        accept(repo, tree)
    assert pygit2.Repository(str(repo)).head.target == before
    (repo / ".git" / "rebase-merge" / "head-name").unlink()
    (repo / ".git" / "rebase-merge").rmdir()
    accept(repo, tree)
    assert file_on_branch(repo, "main", "a.txt") == "a\n"


def test_an_unchanged_workspace_has_nothing_to_merge(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    before = pygit2.Repository(str(repo)).head.target
    with pytest.raises(NothingToMerge):
        accept(repo, tree)
    assert pygit2.Repository(str(repo)).head.target == before


def test_a_user_commit_during_accept_is_kept_and_asks_to_accept_again(
    repo: Path, tmp_path: Path
) -> None:
    """F7: main moves between the rebase and the fast-forward; nothing is overwritten."""
    tree = task_tree(repo, tmp_path)
    (tree.path / "a.txt").write_text("a\n")
    made: list[str] = []
    with pytest.raises(BranchMoved, match="main moved; accept again"):
        accept(repo, tree, on_ready=lambda _m: made.append(commit(repo, {"u.txt": "user\n"})))
    user = pygit2.Repository(str(repo))
    assert str(user.head.target) == made[0], "the user's commit is the tip"
    assert not (repo / "a.txt").exists(), "the task's file left the checkout"
    assert user.status() == {}
    assert str(user.branches.local[tree.branch].target) == tree.base_commit
    accept(repo, tree)
    assert file_on_branch(repo, "main", "a.txt") == "a\n"
    assert file_on_branch(repo, "main", "u.txt") == "user\n"


def test_a_crash_mid_checkout_is_undone_exactly(repo: Path, tmp_path: Path) -> None:
    """F5: files the accept wrote go; the user's files stay; accept works again."""
    commit(repo, {"keep.txt": "k\n"})
    (repo / "mine.txt").write_text("the user's untracked file\n")
    tree = task_tree(repo, tmp_path)
    for n in range(30):
        (tree.path / "gen" / f"f{n}.txt").parent.mkdir(exist_ok=True)
        (tree.path / "gen" / f"f{n}.txt").write_text(f"{n}\n")
    (tree.path / "keep.txt").write_text("changed\n")
    seen: list[merge.Merged] = []

    class Crash(BaseException):
        pass

    def crash_after_checkout(merged: merge.Merged) -> None:
        seen.append(merged)
        # What a kill -9 mid-checkout leaves: some files written, the index not.
        (repo / "gen").mkdir()
        for n in range(10):
            (repo / "gen" / f"f{n}.txt").write_text(f"{n}\n")
        (repo / "keep.txt").write_text("chan")
        raise Crash

    with pytest.raises(Crash):
        accept(repo, tree, on_ready=crash_after_checkout)
    merge.restore_interrupted(repo, "main", seen[0].base, seen[0].head)
    assert not (repo / "gen").exists()
    assert (repo / "keep.txt").read_text() == "k\n"
    assert (repo / "mine.txt").read_text() == "the user's untracked file\n"
    assert pygit2.Repository(str(repo)).status() == {"mine.txt": pygit2.enums.FileStatus.WT_NEW}
    accept(repo, tree)
    assert file_on_branch(repo, "main", "gen/f29.txt") == "29\n"


def test_the_dirty_list_names_only_changed_files_and_stops_at_fifty(
    repo: Path, tmp_path: Path
) -> None:
    """F13."""
    commit(repo, {f"f{n:03}.txt": "x\n" for n in range(80)})
    tree = task_tree(repo, tmp_path)
    for n in range(80):
        (tree.path / f"f{n:03}.txt").write_text("agent\n")
    for n in range(60):
        (repo / f"f{n:03}.txt").write_text("user\n")
    with pytest.raises(DirtyCheckout) as refused:
        accept(repo, tree)
    assert refused.value.files == [f"f{n:03}.txt" for n in range(60)]
    assert str(refused.value).count(".txt") == 50
    assert "and 10 more" in str(refused.value)


def test_undoing_a_crashed_accept_never_reaches_through_a_users_link(
    repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.txt").write_text("not the repo's\n")
    tree = task_tree(repo, tmp_path)
    (tree.path / "shared").mkdir()
    (tree.path / "shared" / "notes.txt").write_text("task\n")
    seen: list[merge.Merged] = []

    class Crash(BaseException):
        pass

    def crash(merged: merge.Merged) -> None:
        seen.append(merged)
        raise Crash

    with pytest.raises(Crash):
        accept(repo, tree, on_ready=crash)
    (repo / "shared").symlink_to(outside)  # made by the user meanwhile
    merge.restore_interrupted(repo, "main", seen[0].base, seen[0].head)
    assert (outside / "notes.txt").read_text() == "not the repo's\n"
