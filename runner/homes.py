"""Per-task agent homes: each task's container gets a home no other task can see.

A shared home would let one task plant settings or hooks that run in every
later task's container. So a task's home is a folder of its own in the data
dir, made at its first run, kept for feedback and resume (the CLI's session
files live there) and removed with the task. It starts as a copy of the
agent's template folder (the user's settings, MCP config), never of another
home. Whatever a container writes there is hostile: the host only deletes it.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from runner import trees

# Where a task's home is mounted; images get HOME set to it.
HOME = "/home/agent"


def create(
    home: Path, template: Path, config_dir: str, owner: tuple[int, int] | None = None
) -> Path:
    """Make the task's home once; ``config_dir`` is the CLI's config dir inside the
    container, which receives the template's files."""
    if home.exists():
        return home
    staging = home.with_name(home.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    inner = staging / PurePosixPath(config_dir).relative_to(HOME)
    if template.is_dir():
        shutil.copytree(template, inner, symlinks=True)
    else:
        inner.mkdir(parents=True)
    trees.give(staging, owner)
    staging.rename(home)
    return home


def clear(
    home: Path, config_dir: str, names: tuple[str, ...], owner: tuple[int, int] | None = None
) -> None:
    """Make way for a read-only mount at ``config_dir/names[0]`` in the task's home,
    and remove the other ``names`` (files the CLI would read instead).

    Whatever a container left there is removed: a file, a folder, a link, or a
    link or file in place of a folder on the way (an agent may move the config
    dir aside, mounted file and all, and make another). So the mount lands
    where the CLI reads it, never through a link the agent planted.
    """
    inner = home
    for part in PurePosixPath(config_dir).relative_to(HOME).parts:
        inner = inner / part
        if inner.is_symlink() or not inner.is_dir():
            _remove(inner)
            inner.mkdir()
            trees.give(inner, owner)
    for name in names:
        _remove(inner / name)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        trees.remove(path)
    elif path.is_symlink() or path.exists():
        path.unlink()
