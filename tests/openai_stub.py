"""A local stand-in for the OpenAI Responses API, scripted for one Codex task.

Codex 0.169's built-in provider first asks for a WebSocket (``GET
/v1/responses``); the stub refuses it with 426 at once, and the CLI falls back
to ``POST /v1/responses`` with server-sent events.

For each human prompt in a thread it answers once with a tool call and, once
the tool's output comes back, ends the turn with a message. The tool call uses
what the request offers: in code mode (the default model) the one custom tool
``exec``, whose JavaScript calls the nested tools: ``exec_command`` writes the
file for the first prompt, ``apply_patch`` edits it for each later one. Every
response reports fixed token counts, and which prompt it answered, so a test
can check the app's accounting exactly; a verifier session gets a PASS at once.
Every request is logged.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.stub_server import StubServer

FILE = "hello.txt"
FIRST = "hello from codex\n"
AGAIN = "hello again, answer {n}\n"
# Fixed counts per response: (input, cached input, output).
TOOL_USAGE = (1000, 200, 50)
FINAL_USAGE = (1100, 300, 20)
# A verifier session (server.verify) is asked for this and answers at once; what it
# is served is counted under VERIFIER, apart from the task's prompts.
VERIFIER_ASKS = "VERDICT PASS or VERDICT FAIL"
VERIFIER_SAYS = f"The change writes {FILE} as asked.\nVERDICT PASS\n{FILE} says hello."
VERIFIER = 0


@dataclass(frozen=True)
class Served:
    prompt: int  # which human prompt of the thread it answered (1, 2, ...), or VERIFIER
    kind: str  # "tool" or "final"
    input_tokens: int
    cached_tokens: int
    output_tokens: int


class OpenAIStub(StubServer):
    def __init__(self) -> None:
        super().__init__()
        self.served: list[Served] = []
        self._ids = itertools.count(1)

    def paths(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests]

    def usage_for(self, prompt: int) -> dict[str, int]:
        """What the stub served for one human prompt: one run's usage."""
        mine = [s for s in self.served if s.prompt == prompt]
        return {
            "input_tokens": sum(s.input_tokens for s in mine),
            "cached_tokens": sum(s.cached_tokens for s in mine),
            "output_tokens": sum(s.output_tokens for s in mine),
        }

    # --- the API ----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if request.path.endswith("/responses") and request.method == "GET":
            # The WebSocket upgrade: refused, so the CLI falls back to SSE at once.
            return web.Response(status=426, text="no websockets here")
        if request.path.endswith("/models"):
            return web.json_response({"object": "list", "data": []})
        if request.path != "/v1/responses" or request.method != "POST":
            return web.json_response({"error": {"message": "not in the stub"}}, status=404)
        return await self._stream(request, *self._answer(body))

    def _answer(self, body: dict[str, Any]) -> tuple[dict[str, Any], Served]:
        items = [i for i in body.get("input", []) if isinstance(i, dict)]
        human = [n for n, i in enumerate(items) if _human_prompt(i)]
        prompt = len(human)
        since = items[human[-1] + 1 :] if human else []
        called = any(i.get("type", "").endswith("call") for i in since)
        verifier = any(VERIFIER_ASKS in t for i in items for t in _texts(i))
        if verifier or not human or called or not _offers_exec(body, items):
            usage = FINAL_USAGE
            served = Served(VERIFIER if verifier else prompt, "final", *usage)
            text = f"Done: wrote {FILE}." if prompt <= 1 else f"Done: edited {FILE}."
            text = VERIFIER_SAYS if verifier else text
            item = {
                "type": "message",
                "role": "assistant",
                "id": f"msg_stub_{next(self._ids)}",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
            return item, served
        usage = TOOL_USAGE
        if prompt <= 1:
            command = f"printf '{FIRST.strip()}\\n' > {FILE}"
            call = f"tools.exec_command({{cmd: {json.dumps(command)}}})"
            script = f"const r = await {call};\ntext(r.output);"
        else:
            patch = "\n".join(
                [
                    "*** Begin Patch",
                    f"*** Update File: {FILE}",
                    "@@",
                    f" {FIRST.strip()}",
                    f"+{AGAIN.format(n=prompt).strip()}",
                    "*** End Patch",
                    "",
                ]
            )
            call = f"tools.apply_patch({json.dumps(patch)})"
            script = f"const r = await {call};\ntext(JSON.stringify(r));"
        item = {
            "type": "custom_tool_call",
            "id": f"ctc_stub_{next(self._ids)}",
            "status": "completed",
            "call_id": f"call_stub_{prompt}",
            "name": "exec",
            "input": script,
        }
        return item, Served(prompt, "tool", *usage)

    async def _stream(
        self, request: web.Request, item: dict[str, Any], served: Served
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        response_id = f"resp_stub_{next(self._ids)}"

        async def send(data: dict[str, Any]) -> None:
            await response.write(f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode())

        await send({"type": "response.created", "response": {"id": response_id}})
        await send({"type": "response.output_item.added", "output_index": 0, "item": item})
        await send({"type": "response.output_item.done", "output_index": 0, "item": item})
        usage = {
            "input_tokens": served.input_tokens,
            "input_tokens_details": {"cached_tokens": served.cached_tokens},
            "output_tokens": served.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": served.input_tokens + served.output_tokens,
        }
        await send(
            {
                "type": "response.completed",
                "response": {"id": response_id, "status": "completed", "usage": usage},
            }
        )
        await response.write_eof()
        self.served.append(served)
        return response


def _texts(item: dict[str, Any]) -> list[str]:
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    return [c.get("text", "") for c in content or [] if isinstance(c, dict)]


def _human_prompt(item: dict[str, Any]) -> bool:
    """A prompt a person wrote, not the CLI's own context (``<environment_context>``...,
    and the AGENTS.md files it read, under a heading of its own)."""
    if item.get("type", "message") != "message" or item.get("role") != "user":
        return False
    context = ("<", "# AGENTS.md instructions")
    return any(t.strip() and not t.lstrip().startswith(context) for t in _texts(item))


def _offers_exec(body: dict[str, Any], items: list[dict[str, Any]]) -> bool:
    """Code mode: the tools arrive as an ``additional_tools`` input item (or ``tools``)."""
    offered = [body.get("tools", []), *(i for i in items if i.get("type") == "additional_tools")]
    return '"name": "exec"' in json.dumps(offered)
