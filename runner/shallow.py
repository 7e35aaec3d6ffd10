"""A shipped workspace's ``.git``: the task's branch at its base commit, made whole.

A local workspace borrows the user's objects through alternates to a mount; a
node has no such mount. So the ``.git`` that travels with the files is a
shallow clone of one commit, built here from the user's repository (which the
host trusts), never from the workspace's own ``.git``: a pack of the base
commit and its tree, the branch, HEAD and a ``shallow`` file. It has no index:
the ship wrapper rebuilds it (``git reset``) where the image has git, so
``git status`` and ``diff`` show the agent's changes against the base.
"""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

import pygit2

from runner.repos import branch_name

CONFIG = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"


def add(tar: tarfile.TarFile, objects: Path, task_id: str, arcname: str) -> None:
    """``arcname``/.git for the task's branch in the repository whose objects are
    ``objects``."""
    repo = pygit2.Repository(str(objects.parent))
    branch = branch_name(task_id)
    ref = repo.references.get(f"refs/heads/{branch}")
    if ref is None:  # a side session's scratch folder: no branch, no .git
        return
    commit = ref.peel(pygit2.Commit)
    with tempfile.TemporaryDirectory() as folder:
        git = Path(folder)
        (git / "objects" / "pack").mkdir(parents=True)
        (git / "objects" / "info").mkdir()
        (git / "refs" / "heads" / branch).parent.mkdir(parents=True)
        (git / "refs" / "tags").mkdir()
        (git / "refs" / "heads" / branch).write_text(f"{commit.id}\n")
        (git / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
        (git / "shallow").write_text(f"{commit.id}\n")
        (git / "config").write_text(CONFIG)
        builder = pygit2.PackBuilder(repo)
        builder.add(commit.id)
        builder.add_recur(commit.tree_id)
        builder.write(git / "objects" / "pack")
        tar.add(git, f"{arcname}/.git")
    repo.free()
