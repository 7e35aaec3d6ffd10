"""The steps a task's container runs before its agent: one mechanism, defined once.

A run with steps gets ``entry.sh`` (beside this module) as its entrypoint. It
runs each step, its output in the task's log, then execs the image's own
ENTRYPOINT with the CMD or args, so the image contract stays: the image's
ENTRYPOINT is the agent. A run without steps starts the image as it is.

The host writes the wrapper and the steps afresh for each run into a folder
of the task's own, which the container mounts read-only at ``BOOT``: the
agent can neither rewrite the steps nor leave anything there for the host
to read. Steps are shell scripts, so the wrapper needs
``/bin/sh`` in the image; ``containers`` checks for it before a start.

A step is anything to do before the agent (today the repository's setup
script; a remote workspace's fetch may be another). Steps install into
``PREFIX``, which is writable (the root file system is not) and kept with
the task's home across its runs; its ``bin`` comes first on PATH.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.homes import HOME
from runner.include import read_text
from runner.workspaces import DIR_FLAGS, closing

BOOT = "/wallfacer/boot"  # where the container sees the folder
SHELL = "/bin/sh"
PREFIX = f"{HOME}/.local"
FAILED = 97  # the wrapper's exit code when a step failed (see entry.sh)
SETUP = ".wallfacer/setup.sh"
MAX_SCRIPT_BYTES = 256 * 1024
_ENTRY = Path(__file__).with_name("entry.sh")
ENTRYPOINT = [SHELL, f"{BOOT}/entry.sh"]


@dataclass(frozen=True)
class Step:
    name: str  # prefixes each line of its output in the log
    script: str
    source: str  # where the script comes from, for the log


def setup_step(checkout: Path) -> Step | None:
    """The checkout's ``.wallfacer/setup.sh`` as a step (None when there is none, or
    when it is a link or empty): read from the user's files, never a workspace's."""
    folder, name = SETUP.split("/")
    try:
        with (
            closing(os.open(checkout, DIR_FLAGS)) as top,
            closing(os.open(folder, DIR_FLAGS, dir_fd=top)) as sub,
        ):
            script = read_text(sub, name, MAX_SCRIPT_BYTES)
    except OSError:
        return None
    return Step("setup", script, SETUP) if script.strip() else None


def command(image: dict[str, Any], args: list[str]) -> list[str]:
    """What the wrapper execs once the steps are done, from the image's inspection:
    what the image alone would run with ``args``."""
    config = image.get("Config") or {}
    return [*(config.get("Entrypoint") or []), *(args or config.get("Cmd") or [])]


def write(folder: Path, steps: Sequence[Step]) -> Path | None:
    """The run's wrapper and steps in ``folder`` (None, and no folder, without steps);
    made aside and renamed, so a run never mounts half of it."""
    shutil.rmtree(folder, ignore_errors=True)
    if not steps:
        return None
    staging = folder.with_name(folder.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "steps").mkdir(parents=True)
    shutil.copyfile(_ENTRY, staging / "entry.sh")
    for number, step in enumerate(steps, 1):
        (staging / "steps" / f"{number:02d}-{step.name}").write_text(step.script)
    for path in (staging, staging / "steps", *staging.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)  # readable by the container's user
    staging.rename(folder)
    return folder
