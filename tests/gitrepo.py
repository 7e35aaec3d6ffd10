"""Real git repositories for tests, made and inspected with pygit2."""

from __future__ import annotations

from pathlib import Path

import pygit2

SIG = pygit2.Signature("Test User", "test@example.com")


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A checkout on ``main`` with one commit holding ``files``."""
    path.mkdir(parents=True, exist_ok=True)
    repo = pygit2.init_repository(str(path), initial_head="main")
    repo.config["user.name"] = SIG.name
    repo.config["user.email"] = SIG.email
    for name, content in (files or {"README.md": "# demo\n"}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    repo.create_commit("HEAD", SIG, SIG, "initial", tree, [])
    return path


def commit(path: Path, files: dict[str, str], message: str = "user change") -> str:
    """Commit files on the checked-out branch, as the user would."""
    repo = pygit2.Repository(str(path))
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
        repo.index.add(name)
    repo.index.write()
    tree = repo.index.write_tree()
    oid = repo.create_commit("HEAD", SIG, SIG, message, tree, [repo.head.target])
    return str(oid)


def commit_all(path: Path, message: str = "user change") -> str:
    """Commit the checkout as it stands: new, changed and deleted files, links and modes."""
    repo = pygit2.Repository(str(path))
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    return str(repo.create_commit("HEAD", SIG, SIG, message, tree, [repo.head.target]))


def file_on_branch(path: Path, branch: str, name: str) -> str | None:
    repo = pygit2.Repository(str(path))
    tree = repo.branches.local[branch].peel(pygit2.Commit).tree
    if name not in tree:
        return None
    blob = repo[tree[name].id]
    assert isinstance(blob, pygit2.Blob)
    return blob.data.decode()


def branches(path: Path) -> list[str]:
    return sorted(pygit2.Repository(str(path)).branches.local)


def task_refs(path: Path) -> list[str]:
    """What tasks keep in the user's repository besides their branch: their base refs."""
    refs = pygit2.Repository(str(path)).references
    return sorted(name for name in refs if name.startswith("refs/wallfacer/"))


def status(path: Path) -> dict[str, int]:
    return dict(pygit2.Repository(str(path)).status())
