"""What a person writes on a task, checked before anything is stored: its prompt,
title, agent and model, and the backlog task a create makes of them.

Apart from ``tasks`` so that every limit on that text lives once: a create,
an edit, feedback and a template are held to the same ones.
"""

from __future__ import annotations

import uuid
from types import EllipsisType
from typing import Any

from runner.agents import AGENTS
from server import plans
from server.config import RuntimeConfig
from server.errors import BadRequest, Unprocessable
from server.model import Also, Task
from server.states import Status

# In UTF-8 bytes: a prompt becomes one process argument, and Linux caps one at 128 KiB.
MAX_PROMPT_BYTES = 100_000
MAX_TITLE_CHARS = 200


def check_fields(fields: dict[str, Any], config: RuntimeConfig) -> None:
    """A create's own fields, before its repository is looked at (or registered)."""
    check_text("prompt", fields["prompt"], MAX_PROMPT_BYTES)
    check_title(fields.get("title") or "")
    agent = fields.get("agent") or config.default_agent
    if agent not in AGENTS:
        raise BadRequest(f"unknown agent {agent!r}; use one of {', '.join(AGENTS)}", field="agent")
    model = fields.get("model") or ""
    if len(model) > 100 or any(c.isspace() for c in model):
        raise Unprocessable("model must be a model name without spaces", field="model")


def backlog_task(
    fields: dict[str, Any],
    depends_on: list[str],
    id_: str,
    repo: str,
    also: list[Also],
    config: RuntimeConfig,
) -> Task:
    """The backlog task ``fields`` (checked by ``check_fields``) make, not stored yet."""
    return Task(
        id=id_ or str(uuid.uuid4()),
        prompt=fields["prompt"],
        title=(fields.get("title") or "").strip(),
        status=Status.BACKLOG,
        repo=repo,
        also=also,
        agent=fields.get("agent") or config.default_agent,
        model=fields.get("model") or "",
        tags=fields.get("tags") or [],
        budget_usd=config.default_budget_usd
        if isinstance(fields.get("budget_usd", ...), EllipsisType)
        else fields["budget_usd"],
        depends_on=depends_on,
        scheduled_at=plans.scheduled_at(fields.get("scheduled_at")),
        auto_test=fields.get("auto_test"),
        auto_accept=fields.get("auto_accept"),
    )


def check_title(title: str) -> None:
    if len(title) > MAX_TITLE_CHARS:
        raise Unprocessable(f"title is longer than {MAX_TITLE_CHARS} characters", field="title")


def check_text(name: str, value: str, limit: int) -> None:
    """Counted in UTF-8 bytes, as the agent's argument list counts them, so
    text that could not start a run is refused before it is stored."""
    if not value.strip():
        raise Unprocessable(f"{name} must not be empty", field=name)
    size = len(value.encode())
    if size > limit:
        raise Unprocessable(f"{name} is longer than {limit} bytes in UTF-8 ({size})", field=name)
