"""Helper agents: a short title for a new task, a commit message at accept.

Both are side sessions of the task's agent (``side``), asked only with the
``helpers`` setting on, since each costs a model call, and never on the
dispatch path: a title is asked after the create has answered, and a commit
message inside the accept's landing job, which waits at most
``COMMIT_WAIT_S`` for it. Without credentials, on a failure or a timeout,
each falls back to the prompt's first line, cleaned; the log says why.

The commit message is asked in the repository's own style: the default
branch's newest commit subjects and the change's ``diff --stat`` (read on the
host with pygit2) are in the prompt.
"""

from __future__ import annotations

import logging
import re

from runner.errors import RunnerError
from server import checkouts
from server.config import ConfigStore
from server.errors import NotFound
from server.jobs import Jobs
from server.lifecycle import Lifecycle
from server.messages import MAX_MESSAGE_CHARS, SUBJECT_CHARS, plain, subject
from server.model import Task
from server.side import SideFailed, SideSessions

log = logging.getLogger(__name__)
TITLE_WAIT_S = 60.0
COMMIT_WAIT_S = 30.0
TITLE_WORDS = 5
TITLE_CHARS = 60
SUBJECTS = 12  # recent commit subjects shown as the repository's style
# Punctuation runs that are decoration, not words: "!!!", "-->", "===", "...".
_NOISE = re.compile(r"[!?.,;:=~*_#>|<\-\u2013\u2014]{2,}")
_EDGES = " .,:;!?-\u2013\u2014*#>\"'`()[]{}"
_LABEL = re.compile(r"^(title|subject|commit message)\s*:\s*", re.I)
_FENCE = re.compile(r"^```[\w-]*\s*$", re.M)


class Helpers:
    def __init__(
        self, life: Lifecycle, side: SideSessions, config: ConfigStore, jobs: Jobs
    ) -> None:
        self.life = life
        self.side = side
        self.config = config
        self.jobs = jobs

    def name_later(self, task: Task) -> None:
        """Give a task made without a title one, in the background."""
        if self.config.current.helpers and not task.title:
            self.jobs.spawn(self._name(task))

    async def _name(self, task: Task) -> None:
        try:
            answer = await self.side.ask(
                task, "title", title_prompt(task.prompt), None, TITLE_WAIT_S
            )
            title = cleaned_title(answer.text) or first_line(task.prompt, TITLE_CHARS)
        except SideFailed as exc:
            title = first_line(task.prompt, TITLE_CHARS)
            await self._fell_back(task.id, "title", exc)
        try:
            current = await self.life.get(task.id)
        except NotFound:
            return  # deleted meanwhile
        if not current.title and title:  # a person's title wins
            await self.life.update(task.id, title=title)

    async def commit_message(self, task: Task) -> str | None:
        """A message for the accept; None with helpers off (the title's proposal)."""
        if not self.config.current.helpers:
            return None
        fallback = subject(first_line(task.prompt, SUBJECT_CHARS))
        try:
            subjects, stat = await self.life.io(checkouts.style, task, SUBJECTS)
            text = commit_prompt(task.prompt, subjects, stat)
            answer = await self.side.ask(task, "commit", text, None, COMMIT_WAIT_S)
        except (SideFailed, RunnerError) as exc:
            await self._fell_back(task.id, "commit message", exc)
            return fallback
        return cleaned_message(answer.text) or fallback

    async def _fell_back(self, task_id: str, what: str, exc: Exception) -> None:
        await self.life.note(
            task_id,
            "system",
            message=f"the {what} helper gave no answer ({exc}); the prompt's first line is used",
        )


def title_prompt(prompt: str) -> str:
    """No line starts with a word the test agent takes for a command."""
    return (
        "Name the task between the two lines of dashes in 2 to 5 words, as a title for a "
        "card on a board. Answer with the title alone: no quotes, no full stop.\n"
        f"----------\n{prompt}\n----------"
    )


def commit_prompt(prompt: str, subjects: list[str], stat: str) -> str:
    quoted = "\n".join(f"> {line}" for line in subjects) or "> (no commits yet)"
    changed = "\n".join(f"> {line}" for line in stat.splitlines()) or "> (no files changed)"
    return (
        "Write the git commit message for a change, in the style of this repository's "
        "recent commit subjects (newest first):\n"
        f"{quoted}\n\nThe change, as git diff --stat shows it:\n{changed}\n\n"
        "The task that made the change is between the two lines of dashes:\n"
        f"----------\n{prompt}\n----------\n"
        f"Answer with the message alone: a subject of at most {SUBJECT_CHARS} characters, "
        "then, if the change needs it, a blank line and a short body."
    )


def first_line(prompt: str, limit: int) -> str:
    """The prompt's first line without Markdown, decoration and edge punctuation,
    cut at a word to ``limit`` characters."""
    line = next((line for line in prompt.splitlines() if line.strip()), "")
    text = " ".join(_NOISE.sub(" ", plain(line)).split()).strip(_EDGES)
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(_EDGES) or text[:limit]
    return text


def cleaned_title(answer: str) -> str:
    """The answer's first line as a title: no label, quotes or Markdown, at most
    ``TITLE_WORDS`` words."""
    line = next((line for line in answer.splitlines() if line.strip()), "")
    words = first_line(_LABEL.sub("", plain(line)), TITLE_CHARS).split()
    return " ".join(words[:TITLE_WORDS])


def cleaned_message(answer: str) -> str:
    """The answer as a commit message: fences and labels gone, the subject cut to
    ``SUBJECT_CHARS``, the body kept as written, the whole capped."""
    lines = _FENCE.sub("", answer).strip().strip("\"'`").strip().splitlines()
    if not lines:
        return ""
    head = _LABEL.sub("", lines[0]).strip().strip("\"'`").rstrip(". ")
    if len(head) > SUBJECT_CHARS:
        head = head[: SUBJECT_CHARS - 1].rstrip() + "…"
    body = "\n".join(lines[1:]).strip()
    return (f"{head}\n\n{body}" if body else head)[:MAX_MESSAGE_CHARS]
