"""The accept pipeline on real repositories, without the server in between."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from runner import merge, worktrees
from runner.errors import DirtyCheckout, MergeConflict, NotARepository
from tests.gitrepo import commit, file_on_branch, make_repo


def task_tree(repo: Path, tmp_path: Path, task_id: str = "0123456789abcdef") -> worktrees.Worktree:
    return worktrees.create(repo, task_id, tmp_path / "wt" / task_id, "main")


def test_a_worktree_gets_its_own_branch_from_main(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    assert tree.branch == "task/01234567"
    assert (tree.path / "README.md").read_text() == "# demo\n"
    assert tree.base_commit == str(pygit2.Repository(str(repo)).head.target)
    # Creating it again (a retry) reuses it.
    assert worktrees.create(repo, "0123456789abcdef", tree.path, "main") == tree


def test_the_review_diff_includes_untracked_and_committed_changes(
    repo: Path, tmp_path: Path
) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "new" / "deep.txt").parent.mkdir()
    (tree.path / "new" / "deep.txt").write_text("fresh\n")
    (tree.path / "README.md").write_text("# changed\n")
    diff = worktrees.diff_worktree(tree.path, tree.base_commit)
    assert diff.files == ["README.md", "new/deep.txt"]
    assert "+fresh" in diff.patch and "-# demo" in diff.patch


def test_accept_fast_forwards_and_cleans_nothing_it_should_not(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "a.txt").write_text("a\n")
    merged = merge.accept(repo, tree.path, tree.branch, "main", "Add a")
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
        merge.accept(repo, tree.path, tree.branch, "main", "Edit readme")
    assert conflict.value.files == ["README.md"]
    wt = pygit2.Repository(str(tree.path))
    assert str(wt.head.target) == tree.base_commit, "the task's commit was undone"
    assert (tree.path / "README.md").read_text() == "agent\n"
    assert "README.md" in wt.status()
    assert str(pygit2.Repository(str(repo)).head.target) == before_main


def test_dirty_touched_files_block_the_merge(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "README.md").write_text("agent\n")
    (repo / "README.md").write_text("unsaved\n")
    with pytest.raises(DirtyCheckout) as dirty:
        merge.accept(repo, tree.path, tree.branch, "main", "x")
    assert dirty.value.files == ["README.md"]
    assert (repo / "README.md").read_text() == "unsaved\n"
    assert file_on_branch(repo, "main", "README.md") == "# demo\n"


def test_an_untracked_user_file_in_the_way_blocks_the_merge(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "new.txt").write_text("agent\n")
    (repo / "new.txt").write_text("mine\n")
    with pytest.raises(DirtyCheckout):
        merge.accept(repo, tree.path, tree.branch, "main", "x")
    assert (repo / "new.txt").read_text() == "mine\n"


def test_a_user_checkout_on_another_branch_is_left_alone(repo: Path, tmp_path: Path) -> None:
    git = pygit2.Repository(str(repo))
    git.branches.local.create("feature", git.head.peel(pygit2.Commit))
    git.checkout("refs/heads/feature")
    tree = task_tree(repo, tmp_path)
    (tree.path / "f.txt").write_text("f\n")
    merge.accept(repo, tree.path, tree.branch, "main", "x")
    assert file_on_branch(repo, "main", "f.txt") == "f\n"
    assert not (repo / "f.txt").exists()


def test_landed_tells_whether_a_commit_is_on_the_branch(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    (tree.path / "a.txt").write_text("a\n")
    merged = merge.accept(repo, tree.path, tree.branch, "main", "x")
    assert merge.landed(repo, "main", merged.head)
    commit(repo, {"later.txt": "l\n"})
    assert merge.landed(repo, "main", merged.head)
    assert not merge.landed(repo, "main", "0" * 40)


def test_removing_a_worktree_removes_its_branch(repo: Path, tmp_path: Path) -> None:
    tree = task_tree(repo, tmp_path)
    worktrees.remove(repo, "0123456789abcdef", tree.path)
    assert not tree.path.exists()
    assert sorted(pygit2.Repository(str(repo)).branches.local) == ["main"]
    assert pygit2.Repository(str(repo)).list_worktrees() == []


def test_repo_paths_are_validated(tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        worktrees.inspect_repo(tmp_path)
    repo = make_repo(tmp_path / "r")
    (repo / "sub").mkdir()
    with pytest.raises(NotARepository, match="top directory"):
        worktrees.inspect_repo(repo / "sub")
    info = worktrees.inspect_repo(repo)
    assert (info.name, info.default_branch) == ("r", "main")
    assert info.git_dir == repo / ".git"


def test_a_refused_accept_leaves_the_task_branch_as_reviewed(repo: Path, tmp_path: Path) -> None:
    """The agent committed its own work; the accept is refused; nothing may be lost later."""
    tree = task_tree(repo, tmp_path)
    wt = pygit2.Repository(str(tree.path))
    (tree.path / "task.txt").write_text("task\n")
    merge.commit_all(wt, "agent's own commit")
    agent_tip = wt.head.target
    commit(repo, {"f.txt": "main moved on\n"})
    (repo / "task.txt").write_text("user's unsaved file in the way\n")
    with pytest.raises(DirtyCheckout):
        merge.accept(repo, tree.path, tree.branch, "main", "x")
    assert pygit2.Repository(str(tree.path)).head.target == agent_tip

    (repo / "task.txt").unlink()
    merge.accept(repo, tree.path, tree.branch, "main", "x")
    assert file_on_branch(repo, "main", "f.txt") == "main moved on\n", "main's change survives"
    assert file_on_branch(repo, "main", "task.txt") == "task\n"


def test_ignored_user_files_are_never_overwritten(repo: Path, tmp_path: Path) -> None:
    commit(repo, {".gitignore": "local.cfg\n"})
    (repo / "local.cfg").write_text("the user's own settings\n")
    tree = worktrees.create(repo, "fedcba9876543210", tmp_path / "wt2", "main")
    wt = pygit2.Repository(str(tree.path))
    (tree.path / "local.cfg").write_text("agent's settings\n")
    wt.index.add("local.cfg")  # as `git add -f` would
    wt.index.write()
    with pytest.raises(DirtyCheckout) as refused:
        merge.accept(repo, tree.path, tree.branch, "main", "x")
    assert refused.value.files == ["local.cfg"]
    assert (repo / "local.cfg").read_text() == "the user's own settings\n"
