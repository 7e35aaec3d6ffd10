"""What a task's agent is told besides its prompt: the instructions of the
settings, and ``board.json``, the board's tasks of its repository.

The instructions are global, like every setting: a repository's own
instructions belong in its own AGENTS.md / CLAUDE.md, versioned with it, which
the CLIs read as well. They are mounted where each CLI reads its user's own
file (``runner.brief``), so they end with a note on board.json, for the agent
to know it is there.

board.json lists only the tasks of the task's repository, with no prompt,
result, cost or error: what another project is about is none of the task's
business, and a prompt may hold what was pasted into it. It is written before
each run's container starts (a resume and a feedback run get a fresh one).
"""

from __future__ import annotations

import json
from pathlib import Path

from runner import brief
from server.errors import BadRequest, TooLarge, Unprocessable
from server.model import Task

# At most this many bytes (UTF-8): what Codex takes of a project's AGENTS.md by
# default; more crowds the model's context on every turn of every task.
MAX_INSTRUCTIONS_BYTES = 32 * 1024
# The repository's tasks board.json lists at most, the newest first.
MAX_BOARD_TASKS = 200
NOTE = f"""\
# The board

This task is one card of a Wallfacer board. `{brief.BOARD_DIR}/{brief.BOARD}`
(read-only, written when this run started) lists the board's tasks of this
repository, this one among them (`"task"` is its id): each one's id, title,
status, branch and dependencies. Each task works in a copy of its own; another
task's changes reach the default branch only when the user accepts them.
"""


def checked(value: object) -> str:
    """The instructions from the settings: text of at most MAX_INSTRUCTIONS_BYTES."""
    if not isinstance(value, str):
        raise BadRequest("instructions must be a string", field="instructions")
    try:
        size = len(value.encode())
    except UnicodeEncodeError as exc:  # JSON may carry a lone surrogate
        raise Unprocessable("instructions must be valid text", field="instructions") from exc
    if size > MAX_INSTRUCTIONS_BYTES:
        raise TooLarge(
            f"instructions are {size} bytes; at most {MAX_INSTRUCTIONS_BYTES} are kept",
            field="instructions",
        )
    return value


def instructions(settings_text: str, template: Path) -> str:
    """The file the agent reads: ``template``, the file of the user's template for
    the CLI's config dir (which the mount hides), then the settings', then NOTE."""
    parts = [template.read_text(errors="replace")] if template.is_file() else []
    parts += [settings_text] if settings_text.strip() else []
    return "\n\n".join(part.strip("\n") for part in [*parts, NOTE]) + "\n"


def board(task: Task, tasks: list[Task]) -> str:
    """board.json for ``task``, from its repository's tasks on the board."""
    listed = [
        {
            "id": t.id,
            "title": t.display_title(),
            "status": str(t.status),
            "branch": t.branch,
            "base_branch": t.base_branch,
            "depends_on": t.depends_on,
        }
        for t in tasks
        if t.repo == task.repo and not t.archived
    ]
    return json.dumps({"task": task.id, "tasks": listed}, indent=1) + "\n"
