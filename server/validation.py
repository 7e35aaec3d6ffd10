"""Each setting's check: a wrong type is a 400, a wrong value a 422, and either names
the field, so the settings form can show the error beside it.

Apart from ``config``, which owns where settings come from and how they are
kept: the checks are the longest part and change with every new setting.
"""

from __future__ import annotations

import math
import re
from typing import Any

from runner import boot, workspaces
from runner.agents import REGISTRY
from runner.egress import patterns
from runner.errors import RunnerError
from server import briefing, budget
from server.errors import ApiError, BadRequest, Unprocessable

PriceTable = dict[str, dict[str, float]]  # model -> input / cached_input / output
_MEMORY = re.compile(r"^\d+(\.\d+)?[bkmgBKMG]?$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$")
EGRESS_MODES = ("none", "open", "allowlist")
_INT_RANGES = {
    "max_parallel": (1, 64),
    "pids_limit": (64, 1_000_000),
    "diff_file_kb": (16, workspaces.MAX_FILE_BYTES // 1024),  # the largest file it takes
    "output_cap_mb": (1, 1_000_000),
    "workspace_pool": (0, 8),
    "conflict_rounds": (0, 10),
}


def default_prices() -> dict[str, PriceTable]:
    """The agents that need a price table (their CLI prints no cost), with theirs."""
    return {
        name: {model: dict(row) for model, row in agent.prices.items()}
        for name, agent in REGISTRY.items()
        if agent.prices
    }


def validate(name: str, value: Any) -> Any:
    """Check one field; raise 400 for a wrong type and 422 for a wrong value,
    naming the field so the settings form can show the error beside it."""
    try:
        return _check(name, value)
    except ApiError as exc:
        exc.field = exc.field or name
        raise


def _check(name: str, value: Any) -> Any:
    if name == "images":
        for agent, ref in _per_agent(name, value, REGISTRY).items():
            if not isinstance(ref, str):
                raise BadRequest(f"the image for {agent} must be a string", field=f"images.{agent}")
            if ref and (not _NAME.fullmatch(ref) or len(ref) > 255):
                raise Unprocessable(f"{ref!r} is not an image reference", field=f"images.{agent}")
    elif name == "default_agent":
        if value not in REGISTRY:
            raise Unprocessable(f"default_agent must be one of {', '.join(REGISTRY)}")
    elif name == "prices":
        for agent, table in _per_agent(name, value, default_prices()).items():
            _check_prices(agent, table)
    elif name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadRequest(f"{name} must be an integer")
        if not low <= value <= high:
            raise Unprocessable(f"{name} must be between {low} and {high}")
    elif name == "egress":
        if value not in EGRESS_MODES:
            raise Unprocessable(f"egress must be one of {', '.join(EGRESS_MODES)}")
    elif name == "egress_allow":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise BadRequest("egress_allow must be a list of host names")
        try:
            return tuple(patterns(value))
        except RunnerError as exc:
            raise Unprocessable(str(exc)) from exc
    elif name in ("host_access", "autopilot", "auto_test", "auto_accept", "helpers"):
        if not isinstance(value, bool):
            raise BadRequest(f"{name} must be true or false")
    elif name in ("cpus", "timeout_min"):
        if value is None and name == "cpus":
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise BadRequest(f"{name} must be a number")
        if not 0 < value <= (256 if name == "cpus" else 24 * 60):
            raise Unprocessable(f"{name} is out of range")
        return float(value)
    elif name == "memory":
        if value is None:
            return None
        if not isinstance(value, str) or not _MEMORY.fullmatch(value):
            raise Unprocessable("memory must look like 512m or 4g")
    elif name == "setup_script":
        if value is not None and not isinstance(value, str):
            raise BadRequest("setup_script must be the script's text")
        if len((value or "").encode()) > boot.MAX_SCRIPT_BYTES:
            raise Unprocessable(f"setup_script is over {boot.MAX_SCRIPT_BYTES} bytes")
        return value or ""
    elif name == "default_budget_usd":
        return budget.checked(value, name)
    elif name == "instructions":
        return briefing.checked(value)
    elif name == "network":
        if value is None:
            return None
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise Unprocessable(f"{value!r} is not a network name")
    return value


def _per_agent(name: str, value: Any, agents: dict[str, Any]) -> dict[str, Any]:
    """A per-agent field's value, checked to name only ``agents``."""
    if not isinstance(value, dict):
        raise BadRequest(f"{name} must be an object of agent: value")
    for agent in value:
        if agent not in agents:
            raise Unprocessable(f"{name} can name {', '.join(agents)}, not {agent!r}")
    return value


def _check_prices(agent: str, value: Any) -> None:
    if not isinstance(value, dict) or not value:
        raise BadRequest(
            f"the prices for {agent} must be an object of model: {{input, cached_input, output}}"
        )
    for model, row in value.items():
        if not isinstance(row, dict) or set(row) - {"input", "cached_input", "output"}:
            raise Unprocessable(f"prices for {model!r} take input, cached_input and output")
        if any(  # json.loads takes NaN and Infinity, which no browser could read back
            not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v < math.inf
            for v in row.values()
        ):
            raise Unprocessable(f"prices for {model!r} must be numbers of at least 0")
