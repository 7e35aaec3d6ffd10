"""The Task record as the store keeps it and the API shows it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.agents.events import Usage
from server.messages import plain, subject
from server.states import Status, user_actions


def display_title(title: str, prompt: str) -> str:
    """The given title, or the prompt's first line: a card always has a name."""
    if title:
        return title
    lines = prompt.strip().splitlines()
    return lines[0][:120] if lines else ""


@dataclass(frozen=True)
class Also:
    """One more repository a task spans, beside its primary ``repo``: its own workspace
    and base, and (the accept's journal) where it lands, as the primary's fields are."""

    repo: str
    base_branch: str = ""
    worktree: str = ""
    base_commit: str = ""
    merged_base: str = ""
    merged_head: str = ""

    @property
    def name(self) -> str:
        """Its folder under /workspace in the container (unique within a task)."""
        return Path(self.repo).name


@dataclass(frozen=True)
class Task:
    id: str
    prompt: str
    status: Status
    repo: str
    title: str = ""
    agent: str = "claude"
    model: str = ""
    archived: bool = False
    position: float = 0.0
    base_branch: str = ""
    branch: str = ""
    worktree: str = ""
    base_commit: str = ""
    session_id: str = ""
    container_id: str = ""
    run_lines: int = 0
    error: str = ""
    conflict_files: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    budget_usd: float | None = None  # the most the task may spend; None: no limit
    # Backlog tasks that must be done before this one may start by itself, and
    # the time before which it may not (UTC ISO 8601; "" for none).
    depends_on: list[str] = field(default_factory=list)
    scheduled_at: str = ""
    # Read, never written: the dependencies not done yet, each {id, title, status}.
    blocked_by: list[dict[str, str]] = field(default_factory=list)
    # The task whose prompt this one runs again, as one of its attempts ("" if none);
    # read, never written: how many attempts this task has.
    attempt_of: str = ""
    attempts: int = 0
    merged_base: str = ""
    merged_head: str = ""
    # An accept's conflict rounds (server.landing): the round under way (0: none),
    # the change saved while its workspace is prepared, the accept's message, and
    # the files rounds marked, which every accept checks for markers left.
    conflict_round: int = 0
    conflict_change: str = ""
    accept_message: str = ""
    marked_files: list[str] = field(default_factory=list)
    # The other repositories the task spans, each with a workspace of its own at
    # /workspace/<name>; the primary (``repo``) keeps the container's workdir.
    also: list[Also] = field(default_factory=list)
    # The verifier's verdict on the change (server.verify): "" (none), "running",
    # "pass", "fail" or "error", with its reasons, time and cost.
    verdict: str = ""
    verdict_reasons: str = ""
    verdict_at: str = ""
    verdict_cost_usd: float = 0.0
    # Verify when a run ends in waiting; accept on a PASS. None: as the settings say.
    auto_test: bool | None = None
    auto_accept: bool | None = None
    usage: Usage = field(default_factory=Usage)
    revision: int = 0  # grows with every change, so clients can drop stale copies
    created_at: str = ""
    updated_at: str = ""

    def display_title(self) -> str:
        return display_title(self.title, self.prompt)

    def landed(self) -> list[dict[str, str]]:
        """Each repository the accept landed a commit in, the primary first."""
        pairs = [(self.repo, self.merged_head), *((a.repo, a.merged_head) for a in self.also)]
        return [
            {"repo": repo, "name": Path(repo).name, "commit": head} for repo, head in pairs if head
        ]

    def to_json(self) -> dict[str, Any]:
        """The public shape: internal bookkeeping (container, line counts) stays out."""
        title = self.display_title()
        flat = plain(title)
        return {
            "id": self.id,
            "title": title,
            "plain_title": flat,  # for cards and lists: no Markdown
            "commit_message": subject(flat),
            "prompt": self.prompt,
            "status": str(self.status),
            "actions": user_actions(self.status, self.archived),
            "archived": self.archived,
            "position": self.position,
            "repo": self.repo,
            "agent": self.agent,
            "model": self.model,
            "branch": self.branch,
            "base_branch": self.base_branch,
            "session_id": self.session_id,
            "error": self.error,
            "conflict_files": self.conflict_files,
            "conflict_round": self.conflict_round,
            "tags": self.tags,
            "depends_on": self.depends_on,
            "blocked_by": self.blocked_by,
            "scheduled_at": self.scheduled_at,
            "attempt_of": self.attempt_of,
            "attempts": self.attempts,
            # the commit accept put on the default branch, once it is there
            "landed_commit": self.merged_head if self.status == Status.DONE else "",
            "also": [extra.repo for extra in self.also],
            "landed": self.landed() if self.status == Status.DONE else [],
            "verdict": self.verdict_json(),
            "auto_test": self.auto_test,
            "auto_accept": self.auto_accept,
            "usage": {**vars(self.usage), "cost_usd": round(self.usage.cost_usd, 6)},
            "budget_usd": self.budget_usd,
            "revision": self.revision,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def verdict_json(self) -> dict[str, Any] | None:
        if not self.verdict:
            return None
        return {
            "status": self.verdict,
            "reasons": self.verdict_reasons,
            "at": self.verdict_at,
            "cost_usd": round(self.verdict_cost_usd, 6),
        }


@dataclass(frozen=True)
class Event:
    """One entry of a task's append-only log."""

    id: int
    task_id: str
    type: str
    data: dict[str, Any]
    at: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "data": self.data, "at": self.at}

    def sse_data(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))
