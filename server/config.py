"""Settings a person may change while the app runs: the board's settings dialog.

Precedence, highest first: a command-line flag or its WALLFACER_* variable
(such a field is *pinned* for this run and cannot be changed from the board),
then what was saved from the board (``config.json`` in the data dir), then the
built-in default. The agent env file is edited here too; its values are never
sent back whole.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from runner import diffs
from runner.agents import REGISTRY, SECRET_ENV
from server import validation
from server.errors import BadRequest, Conflict, Unprocessable
from server.redact import Redactor

ENV_FILE_TEMPLATE = """\
# Environment for agent containers, re-read before each launch.
# One KEY=VALUE per line, e.g.:
# ANTHROPIC_API_KEY=sk-ant-...
# CLAUDE_CODE_OAUTH_TOKEN=...
"""
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Fields with a value per agent: a change names the agents it changes, and a
# flag pins one agent's value ("images.claude"), not the others'.
PER_AGENT = ("images", "prices")
# The names settings had when each agent had fields of its own: a saved
# config.json may still use them, and --image (WALLFACER_IMAGE) is Claude's.
LEGACY = {
    "image": ("images", "claude"),
    "codex_image": ("images", "codex"),
    "codex_prices": ("prices", "codex"),
}


def _bundled_images() -> dict[str, str]:
    return {name: "" for name in REGISTRY}


@dataclass(frozen=True)
class RuntimeConfig:
    # Each agent's sandbox image; "" means the bundled one, built on demand.
    images: dict[str, str] = field(default_factory=_bundled_images)
    default_agent: str = "claude"
    # USD per million tokens, per model ("default": any other), per agent.
    prices: dict[str, validation.PriceTable] = field(default_factory=validation.default_prices)
    max_parallel: int = 4
    cpus: float | None = None
    memory: str | None = None
    network: str | None = None
    timeout_min: float = 60.0
    pids_limit: int = 1024  # processes per task container: a fork bomb stops there
    host_access: bool = False  # let every task reach host.docker.internal
    egress: str = "allowlist"  # none | open | allowlist (see server.network)
    egress_allow: tuple[str, ...] = ()  # hosts allowed beyond the defaults, in allowlist mode
    # A file larger than this shows in review as "too large to show", unread.
    diff_file_kb: int = diffs.MAX_FILE_BYTES // 1024
    # Agent output kept per task, in MiB; past it, only the newest tenth is kept.
    output_cap_mb: int = 100
    # The budget a new task gets when its request names none (None: no budget).
    default_budget_usd: float | None = None
    # Start the top backlog card that may start whenever a slot is free (server.autopilot).
    autopilot: bool = False
    # Workspaces kept checked out per repository for the next task starts; 0: none.
    workspace_pool: int = 1
    # A script every task's container runs before the agent, before its repository's own
    # .wallfacer/setup.sh (runner.boot): for what your machine needs, not the project.
    setup_script: str = ""
    # Times an accept's conflict is handed to the task's agent before it goes back
    # to review (server.landing); 0: never.
    conflict_rounds: int = 3
    # Markdown every task's agent reads as its user's own instructions (server.briefing).
    instructions: str = ""
    # Verify a task when its run ends in waiting; accept it when the verdict is PASS
    # (server.verify). A task may say otherwise for itself.
    auto_test: bool = False
    auto_accept: bool = False
    # Small agent sessions that name new tasks and write commit messages (server.helpers);
    # off by default: each costs a model call.
    helpers: bool = False

    @property
    def timeout_s(self) -> float:
        return self.timeout_min * 60

    @property
    def diff_file_bytes(self) -> int:
        return self.diff_file_kb * 1024

    @property
    def output_cap_bytes(self) -> int:
        return self.output_cap_mb * 1024 * 1024


FIELD_NAMES = tuple(f.name for f in fields(RuntimeConfig))


def migrate(saved: dict[str, Any]) -> dict[str, Any]:
    """Settings in legacy names moved to their per-agent fields (a new name wins)."""
    out = {name: value for name, value in saved.items() if name not in LEGACY}
    for old, (name, agent) in LEGACY.items():
        if old in saved:
            out[name] = {agent: saved[old], **_as_dict(out.get(name))}
    return out


def setting_names(changes: dict[str, Any]) -> set[str]:
    """What ``changes`` set, as pinning counts it: per agent in the per-agent fields."""
    names: set[str] = set()
    for name, value in changes.items():
        if name in PER_AGENT:
            names.update(f"{name}.{agent}" for agent in _as_dict(value))
        else:
            names.add(name)
    return names


def validated(changes: dict[str, Any]) -> dict[str, Any]:
    """Each change checked (see ``validate``), some made canonical."""
    return {name: validation.validate(name, value) for name, value in changes.items()}


def merged(current: RuntimeConfig, clean: dict[str, Any]) -> RuntimeConfig:
    """``current`` with ``clean`` (validated changes) applied."""
    return replace(current, **_merge(asdict(current), clean))


def _merge(old: dict[str, Any], clean: dict[str, Any]) -> dict[str, Any]:
    """The changed fields' new values: per-agent ones keep the agents not named."""
    return {
        name: {**_as_dict(old.get(name)), **value} if name in PER_AGENT else value
        for name, value in clean.items()
    }


def _unpinned(name: str, value: Any, pinned: frozenset[str]) -> Any:
    """A saved value without the agents' values a flag pins for this run."""
    if name in PER_AGENT and isinstance(value, dict):
        return {agent: v for agent, v in value.items() if f"{name}.{agent}" not in pinned}
    return value


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class ConfigStore:
    def __init__(
        self, data_dir: Path, defaults: RuntimeConfig, pinned: frozenset[str] = frozenset()
    ) -> None:
        self.path = data_dir / "config.json"
        self.env_path = data_dir / "env"
        self.pinned = pinned
        self.current = defaults
        self.redactor = Redactor({})
        self.env()
        usable = {
            name: _unpinned(name, value, pinned)
            for name, value in self._saved().items()
            if name in FIELD_NAMES and name not in pinned
        }
        # A hand-edited file with a bad value keeps the defaults rather than crash.
        with suppress(BadRequest, Unprocessable):
            self.current = merged(defaults, validated(usable))

    def _saved(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return migrate(data) if isinstance(data, dict) else {}

    def update(self, changes: dict[str, Any]) -> RuntimeConfig:
        changes = migrate(changes)  # scripts written for the old names keep working
        unknown = set(changes) - set(FIELD_NAMES)
        if unknown:
            raise BadRequest(f"unknown settings: {', '.join(sorted(unknown))}", field=min(unknown))
        pinned = setting_names(changes) & self.pinned
        if pinned:
            raise Conflict(
                f"{', '.join(sorted(pinned))} set on the command line or environment "
                "for this run; change it there",
                field=min(pinned),
            )
        clean = validated(changes)
        self.current = merged(self.current, clean)
        saved = self._saved()  # pinned values stay out of it
        saved.update(_merge(saved, clean))
        _write_private(self.path, json.dumps(saved, indent=2) + "\n")
        return self.current

    def to_json(self, in_use: Callable[[str], str]) -> dict[str, Any]:
        """The settings, with what the board needs of each agent: ``in_use`` names the
        image it would run (the bundled tag unless one is configured)."""
        agents = {
            name: {
                "title": agent.title,
                "credentials": list(agent.credentials),
                "help": agent.credential_help,
                "endpoint": agent.endpoint_env,
                "image": in_use(name),
                "missing": self.missing(name),
            }
            for name, agent in REGISTRY.items()
        }
        return {**asdict(self.current), "pinned": sorted(self.pinned), "agents": agents}

    def configured_image(self, agent: str) -> str:
        """The image the user named for ``agent``; "" means the bundled one."""
        return self.current.images.get(agent, "")

    def missing(self, agent: str) -> str:
        """Why ``agent`` cannot start yet ("" when it can): the bundled image needs a
        credential in the env file; an image of the user's own is theirs to set up."""
        if self.configured_image(agent):
            return ""
        names = REGISTRY[agent].credentials
        if any(value.strip() for name, value in self.env().items() if name in names):
            return ""
        return (
            f"{agent} has no credentials: set {' or '.join(names)} in the settings' "
            "agent environment"
        )

    # --- the agent env file ----------------------------------------------------

    def env(self) -> dict[str, str]:
        """The agent env as the file has it now; the redactor follows every read."""
        env = read_env_file(self.env_path)
        self.redactor = Redactor(env, SECRET_ENV)
        return env

    def masked_env(self) -> list[dict[str, str]]:
        return [{"key": k, "value": mask(v)} for k, v in self.env().items()]

    @staticmethod
    def check_env(changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            if not _ENV_KEY.fullmatch(key):
                raise Unprocessable(f"{key!r} is not a valid variable name", field="env")
            # Any line break splitlines knows (\r, \u2028, ...) would split the entry in two.
            if value is not None and (
                not isinstance(value, str) or value.splitlines() not in ([], [value])
            ):
                raise BadRequest(
                    f"the value of {key} must be a one-line string or null", field="env"
                )

    def update_env(self, changes: dict[str, Any]) -> None:
        """Set keys to new values, or remove them with null; other keys stay."""
        self.check_env(changes)
        env = {**self.env(), **changes}
        lines = ENV_FILE_TEMPLATE.splitlines()
        lines += [f"{k}={v}" for k, v in env.items() if v is not None]
        _write_private(self.env_path, "\n".join(lines) + "\n")
        self.env()


def mask(value: str) -> str:
    """Enough to recognise a credential, never enough to use it: the seven characters
    shown leave at least 17 unknown, or none is shown (a 9-character password would
    otherwise lose all but two)."""
    if len(value) < 24:
        return "•" * len(value)
    return value[:3] + "…" + value[-4:]


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; comments, blanks and ``export`` prefixes are allowed."""
    if not path.exists():
        _write_private(path, ENV_FILE_TEMPLATE)
        return {}
    env: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def _write_private(path: Path, text: str) -> None:
    """Write atomically, readable by the user only (it may hold credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
