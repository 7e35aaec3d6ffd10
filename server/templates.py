"""Prompt templates: a prompt with ``{{name}}`` variables, and a task's prompt made from one.

A variable is a name of letters, digits and ``_`` between double braces
(spaces inside allowed); any other brace is text. Making a prompt names every
variable left out or blank and every one given that the template lacks, all
at once, so a person fixes them in one go.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from server.blocking import Blocking
from server.drafts import MAX_PROMPT_BYTES
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.store import Store

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,39})\s*\}\}")
MAX_NAME_CHARS = 80


def variables(text: str) -> list[str]:
    """The template's variables, each once, in their first order."""
    return list(dict.fromkeys(match[1] for match in VARIABLE.finditer(text)))


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with every variable replaced; 400 naming the missing (or blank) and
    unknown ones."""
    wanted = variables(text)
    missing = [name for name in wanted if not values.get(name, "").strip()]
    unknown = sorted(set(values) - set(wanted))
    if missing or unknown:
        kinds = (("missing", missing), ("unknown", unknown))
        said = [f"{kind} {', '.join(names)}" for kind, names in kinds if names]
        raise BadRequest(
            f"template variables: {'; '.join(said)}",
            field="variables",
            missing=missing,
            unknown=unknown,
        )
    return VARIABLE.sub(lambda match: values[match[1]], text)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "variables": variables(row["text"])}


class Templates:
    def __init__(self, store: Store, io: Blocking) -> None:
        self.store = store
        self.io = io

    async def all(self) -> list[dict[str, Any]]:
        return [_shown(row) for row in await self.io(self.store.templates)]

    async def get(self, template_id: str) -> dict[str, Any]:
        row = await self.io(self.store.template, template_id)
        if row is None:
            raise NotFound(f"no template with id {template_id}")
        return _shown(row)

    async def save(self, template_id: str | None, name: str, text: str) -> dict[str, Any]:
        """Create (no id) or replace a template; 409 if another has the name."""
        if template_id is not None:
            await self.get(template_id)
        name = name.strip()
        if not name or len(name) > MAX_NAME_CHARS:
            raise Unprocessable(f"name must be 1 to {MAX_NAME_CHARS} characters", field="name")
        if not text.strip():
            raise Unprocessable("text must not be empty", field="text")
        if len(text.encode()) > MAX_PROMPT_BYTES:
            raise Unprocessable(f"text is longer than {MAX_PROMPT_BYTES} bytes", field="text")
        row = await self.io(self.store.save_template, template_id or str(uuid.uuid4()), name, text)
        if row is None:
            raise Conflict(f"a template named {name!r} exists already", field="name")
        return _shown(row)

    async def delete(self, template_id: str) -> None:
        if not await self.io(self.store.delete_template, template_id):
            raise NotFound(f"no template with id {template_id}")

    async def prompt(self, template_id: str, values: dict[str, str]) -> str:
        """The prompt a task made from the template gets."""
        template = await self.io(self.store.template, template_id)
        if template is None:
            raise BadRequest(f"no template with id {template_id}", field="template")
        return render(template["text"], values)
