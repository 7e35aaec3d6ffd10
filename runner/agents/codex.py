"""Codex: its registry entry, ``exec --json`` command line and JSONL event parser.

Codex prints no cost, so the run's cost is computed from its token counts with
a price table the user can edit (USD per million tokens, per model).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runner.agents.adapter import Adapter, Prices
from runner.agents.events import (
    MAX_TOOL_RESULT_CHARS,
    USAGE_FIELDS,
    AgentEvent,
    AssistantText,
    Init,
    Notice,
    RunResult,
    ToolCall,
    ToolResult,
    Usage,
    as_dict,
    as_int,
    as_str,
    json_object,
)

# The model the pinned CLI (images/codex/Dockerfile) asks for when none is given,
# as its requests name it: the price row and the log use it.
DEFAULT_MODEL = "gpt-6.1-sol"


def cost(prices: Prices, model: str | None, usage: dict[str, Any]) -> float:
    table = prices.get(model or "", prices.get("default", {}))
    total = as_int(usage.get("input_tokens"))
    cached = min(as_int(usage.get("cached_input_tokens")), total)
    output = as_int(usage.get("output_tokens"))
    per_token = {k: float(v) / 1_000_000 for k, v in table.items()}
    return (
        (total - cached) * per_token.get("input", 0.0)
        + cached * per_token.get("cached_input", 0.0)
        + output * per_token.get("output", 0.0)
    )


class CodexAdapter(Adapter):
    def args(
        self, prompt: str, session_id: str | None = None, model: str | None = None
    ) -> list[str]:
        argv = [
            "exec",
            "--json",
            "--dangerously-bypass-approvals-and-sandbox",
            "--skip-git-repo-check",
        ]
        if model:
            argv += ["--model", model]
        if session_id:
            return [*argv, "resume", session_id, prompt]
        return [*argv, prompt]

    def options(self, env: Mapping[str, str]) -> list[str]:
        """Global options, before ``exec``: the CLI ignores OPENAI_BASE_URL in its env
        (0.169), so a configured endpoint is passed as a config override. Its value
        is a TOML string; a JSON string is a valid one."""
        base_url = env.get("OPENAI_BASE_URL", "").strip()
        return ["-c", f"openai_base_url={json.dumps(base_url)}"] if base_url else []

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """The env file, plus CODEX_API_KEY from OPENAI_API_KEY if only that is set:
        ``codex exec`` authenticates with CODEX_API_KEY and sends no key otherwise."""
        out = dict(env)
        if out.get("OPENAI_API_KEY") and not out.get("CODEX_API_KEY"):
            out["CODEX_API_KEY"] = out["OPENAI_API_KEY"]
        return out

    def parser(self, model: str | None = None, session_id: str = "") -> CodexParser:
        """``session_id`` seeds a parser that joins a run midway (a reattach)."""
        return CodexParser(self.prices, model or DEFAULT_MODEL, session_id)


# Events that need no line of their own in the log.
_QUIET = frozenset({"turn.started"})


class CodexParser:
    """Stateful: the thread id arrives first and the usage last."""

    def __init__(self, prices: Prices, model: str | None, thread: str = "") -> None:
        self.prices = prices
        self.model = model
        self.thread = thread
        self.last_text = ""

    def __call__(self, line: str) -> list[AgentEvent]:
        obj = json_object(line)
        if obj is None:
            return []
        kind = obj.get("type")
        if kind == "thread.started":
            self.thread = as_str(obj.get("thread_id"))
            return [Init(session_id=self.thread, model=self.model or "")]
        if kind in ("item.started", "item.completed") and isinstance(obj.get("item"), dict):
            return self._item(kind, obj["item"])
        if as_str(kind).startswith("item."):  # progress of items shown when they end
            return []
        if kind == "turn.completed":
            return [self._result(False, self.last_text, as_dict(obj.get("usage")))]
        if kind == "turn.failed":
            error = as_dict(obj.get("error")) or obj
            return [self._result(True, as_str(error.get("message")) or "codex failed", {})]
        if kind == "error":  # transient ("Reconnecting... 2/5"): only turn.failed fails
            return [Notice(as_str(obj.get("message"))[:300] or "error")]
        return [] if kind in _QUIET else [Notice(as_str(kind) or "unknown event")]

    def _item(self, kind: str, item: dict[str, Any]) -> list[AgentEvent]:
        item_type, item_id = as_str(item.get("type")), as_str(item.get("id"))
        if item_type == "agent_message" and kind == "item.completed":
            self.last_text = as_str(item.get("text"))
            return [AssistantText(self.last_text)] if self.last_text else []
        if item_type == "command_execution":
            if kind == "item.started":
                command = as_str(item.get("command"))
                return [
                    ToolCall(
                        item_id,
                        "command",
                        command.splitlines()[0][:200] if command else "",
                        {"command": command},
                    )
                ]
            failed = item.get("exit_code") not in (0, None)
            output = as_str(item.get("aggregated_output"))[:MAX_TOOL_RESULT_CHARS]
            return [ToolResult(item_id, output, failed)]
        if item_type == "file_change" and kind == "item.completed":
            changes = [c for c in item.get("changes", []) if isinstance(c, dict)]
            summary = ", ".join(f"{c.get('kind', 'edit')} {c.get('path', '')}" for c in changes)
            return [ToolCall(item_id, "file_change", summary[:200], {"changes": changes})]
        if item_type in ("mcp_tool_call", "web_search") and kind == "item.started":
            name = as_str(item.get("tool")) or item_type
            return [ToolCall(item_id, name, as_str(item.get("query"))[:200], {})]
        if item_type == "error" and kind == "item.completed":  # a warning, not a failure
            return [Notice(as_str(item.get("message"))[:300] or "warning")]
        return []

    def _result(self, is_error: bool, text: str, usage: dict[str, Any]) -> RunResult:
        """Codex adds its usage up over the whole thread, across ``exec resume``."""
        return RunResult(
            session_id=self.thread,
            is_error=is_error,
            text=text,
            subtype="error" if is_error else "success",
            cumulative=USAGE_FIELDS,
            usage=Usage(
                input_tokens=as_int(usage.get("input_tokens")),
                output_tokens=as_int(usage.get("output_tokens")),
                cache_read_input_tokens=as_int(usage.get("cached_input_tokens")),
                cost_usd=cost(self.prices, self.model, usage),
            ),
        )


AGENT = CodexAdapter(
    name="codex",
    title="Codex",
    home="/home/agent/.codex",
    instructions_overrides=("AGENTS.override.md",),  # read instead of AGENTS.md
    # Codex finds ``bin/codex-code-mode-host``, ``codex-resources/`` and
    # ``codex-path/`` from its own resolved path (the root holds
    # codex-package.json), so the image needs the root above ``bin/``.
    npm_executable="node_modules/@openai/codex-linux-*/vendor/*/bin/codex",
    npm_root_up=1,
    credentials=("OPENAI_API_KEY", "CODEX_API_KEY"),
    credential_help="OPENAI_API_KEY (or CODEX_API_KEY): an API key from the OpenAI platform",
    endpoint_env="OPENAI_BASE_URL",
    api_hosts=("api.openai.com", "chatgpt.com"),
    # Until the user sets theirs in the settings; "default" is for models not listed.
    prices={
        "default": {"input": 1.25, "cached_input": 0.125, "output": 10.0},
        DEFAULT_MODEL: {"input": 1.25, "cached_input": 0.125, "output": 10.0},
        "gpt-5-codex": {"input": 1.25, "cached_input": 0.125, "output": 10.0},
        "gpt-5": {"input": 1.25, "cached_input": 0.125, "output": 10.0},
    },
)
