"""A local stand-in for the Anthropic Messages API, scripted for one task.

For each human prompt in a session it answers with a ``Write`` tool_use (the
file's content says which prompt it answers), then a ``Bash`` tool_use that
reads the file back, and once that result comes back it ends the turn with
text; a verifier session (its prompt asks for a verdict) gets a PASS at once.
Everything else the CLI asks (token
counts, small helper calls) gets a short, valid answer. Every request is
logged, so a failing test shows what the CLI asked for.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from tests.stub_server import StubServer

FILE = "hello.txt"
# A verifier session (server.verify) is asked for this; it answers at once.
VERIFIER_ASKS = "VERDICT PASS or VERDICT FAIL"
VERIFIER_SAYS = f"The change writes {FILE} as asked.\nVERDICT PASS\n{FILE} says hello."


class AnthropicStub(StubServer):
    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    # --- the API ----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if request.path.endswith("/count_tokens"):
            return web.json_response({"input_tokens": 42})
        if request.path != "/v1/messages":
            return web.json_response({})
        blocks, stop = self._answer(body)
        if body.get("stream"):
            return await self._stream(request, body, blocks, stop)
        return web.json_response(self._message(body, blocks, stop))

    def _answer(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        tools = {t.get("name") for t in body.get("tools", []) if isinstance(t, dict)}
        messages = [m for m in body.get("messages", []) if m.get("role") in ("user", "assistant")]
        last = messages[-1] if messages else {}
        if "Write" not in tools or last.get("role") != "user":
            return [{"type": "text", "text": "OK."}], "end_turn"
        if any(
            VERIFIER_ASKS in json.dumps(_content(m)) for m in messages if m.get("role") == "user"
        ):
            return [{"type": "text", "text": VERIFIER_SAYS}], "end_turn"
        prompts = sum(1 for m in messages if m.get("role") == "user" and _human_text(m))
        workdir = _workdir(body) or "/workspace"
        answered = set().union(*(_tool_result_ids(m) for m in messages if m.get("role") == "user"))
        checked = f"toolu_stub_{prompts}_check" in answered
        if f"toolu_stub_{prompts}" in answered and "Bash" in tools and not checked:
            # A second step: check the file with the shell (a read-only root, a tmpfs /tmp).
            check = {
                "type": "tool_use",
                "id": f"toolu_stub_{prompts}_check",
                "name": "Bash",
                "input": {"command": f"cat {workdir}/{FILE} && echo ok > /tmp/checked"},
            }
            return [check], "tool_use"
        if _has_tool_result(last):
            return [{"type": "text", "text": f"Done: wrote {FILE}."}], "end_turn"
        content = "hello from claude\n" if prompts <= 1 else f"hello again, answer {prompts}\n"
        tool = {
            "type": "tool_use",
            "id": f"toolu_stub_{prompts}",
            "name": "Write",
            "input": {"file_path": f"{workdir}/{FILE}", "content": content},
        }
        return [{"type": "text", "text": f"I'll write {FILE}."}, tool], "tool_use"

    @staticmethod
    def _message(body: dict[str, Any], blocks: list[dict[str, Any]], stop: str) -> dict[str, Any]:
        return {
            "id": "msg_stub",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-stub"),
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": 120,
                "output_tokens": 30,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }

    async def _stream(
        self, request: web.Request, body: dict[str, Any], blocks: list[dict[str, Any]], stop: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

        start = self._message(body, [], None)  # type: ignore[arg-type]
        start["usage"]["output_tokens"] = 1
        await send("message_start", {"type": "message_start", "message": start})
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                await send(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
                delta = {"type": "text_delta", "text": block["text"]}
            else:
                opening = {**block, "input": {}}
                await send(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": opening},
                )
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            await send(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
            await send("content_block_stop", {"type": "content_block_stop", "index": index})
        await send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": 30},
            },
        )
        await send("message_stop", {"type": "message_stop"})
        await response.write_eof()
        return response


def _content(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [c for c in content or [] if isinstance(c, dict)]


def _has_tool_result(message: dict[str, Any]) -> bool:
    return any(c.get("type") == "tool_result" for c in _content(message))


def _tool_result_ids(message: dict[str, Any]) -> set[str]:
    return {
        str(c.get("tool_use_id"))
        for c in _content(message)
        if c.get("type") == "tool_result" and not c.get("is_error")
    }


def _human_text(message: dict[str, Any]) -> bool:
    """A prompt a person wrote, not a tool result or the CLI's own reminders."""
    blocks = _content(message)
    return not _has_tool_result(message) and any(
        c.get("type") == "text" and not c.get("text", "").lstrip().startswith("<system-reminder>")
        for c in blocks
    )


def _workdir(body: dict[str, Any]) -> str | None:
    """The CLI states its working directory in the system prompt or a system message."""
    found = re.search(r"working directory: (/[^\s\\\"]+)", json.dumps(body), re.IGNORECASE)
    return found.group(1) if found else None
