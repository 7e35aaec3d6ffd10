"""Handlers for /api/templates: prompts with {{variables}}, for the new-task dialog."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.api.common import ok, read_json, services, string
from server.errors import ApiError, BadRequest


def _id(request: web.Request) -> str:
    return request.match_info["id"]


async def list_templates(request: web.Request) -> web.Response:
    return ok({"templates": await services(request).templates.all()})


async def create_template(request: web.Request) -> web.Response:
    name, text = await _fields(request)
    return ok(await services(request).templates.save(None, name, text), status=201)


async def get_template(request: web.Request) -> web.Response:
    return ok(await services(request).templates.get(_id(request)))


async def put_template(request: web.Request) -> web.Response:
    name, text = await _fields(request)
    return ok(await services(request).templates.save(_id(request), name, text))


async def delete_template(request: web.Request) -> web.Response:
    await services(request).templates.delete(_id(request))
    return ok({"deleted": _id(request)})


async def _fields(request: web.Request) -> tuple[str, str]:
    data = await read_json(request)
    name, text = (string(data, key, required=True) for key in ("name", "text"))
    assert name is not None and text is not None
    return name, text


async def prompt(request: web.Request, data: dict[str, Any]) -> str:
    """A create request's prompt: given, or made from ``template`` and ``variables``."""
    if "template" not in data:
        if "variables" in data:
            raise BadRequest('"variables" go with a "template"', field="variables")
        text = string(data, "prompt", required=True)
        assert text is not None
        return text
    if "prompt" in data:
        raise BadRequest('give a "prompt" or a "template", not both', field="template")
    template_id = string(data, "template", required=True)
    values = data.get("variables", {})
    if not isinstance(values, dict):
        raise BadRequest('"variables" must be an object of name: text', field="variables")
    checked = {}
    for name in values:
        try:
            checked[name] = string(values, name, required=True) or ""
        except ApiError as exc:
            exc.field = "variables"  # the form shows it beside the variables
            raise
    assert template_id is not None
    return await services(request).templates.prompt(template_id, checked)
