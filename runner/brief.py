"""What a task's agent is given to read beside its workspace: the user's
instructions and ``board.json``, the board's tasks of its repository.

Both are files of a folder in the task's folder beside its workspace (with
``host.git``), which no container mounts writable; each is written to a
temporary name and renamed into place, so a reader sees a whole file, the old
or the new. They are mounted read-only: the folder at ``BOARD_DIR``, and the
instructions file, a second time, where the agent's CLI reads its user's own
instructions (in its config dir, see ``homes.clear``). The CLIs read the
repository's own AGENTS.md / CLAUDE.md besides, untouched: a file beside the
repository would not do, as Codex reads project docs from the git root down
only, and Claude Code stops reading a project's AGENTS.md once a CLAUDE.md
stands above it.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

FOLDER = "brief"  # in the task's folder (``workspaces.Workspace.root``)
BOARD_DIR = "/workspace/.wallfacer"  # where the folder is mounted
INSTRUCTIONS = "instructions.md"
BOARD = "board.json"


def folder(root: Path) -> Path:
    return root / FOLDER


def write(root: Path, name: str, text: str) -> Path:
    """Replace one file of the task's brief whole; its path."""
    where = folder(root)
    where.mkdir(exist_ok=True)
    where.chmod(0o755)  # readable by the container's user, whatever the umask
    path = where / name
    temp = where / f".{name}.tmp"
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.fchmod(fd, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(temp, path)
    return path


def mounts(root: Path, config_dir: str, instructions: str) -> tuple[tuple[Path, str], ...]:
    """(host path, container path) of each read-only mount: ``instructions`` is the
    file name the CLI reads in ``config_dir``."""
    where = folder(root)
    target = str(PurePosixPath(config_dir) / instructions)
    return ((where, BOARD_DIR), (where / INSTRUCTIONS, target))
