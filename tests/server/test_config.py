"""Settings from the board: each field's checks, what wins over what, and the agent env file."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runner.agents import REGISTRY
from server.config import (
    ENV_FILE_TEMPLATE,
    FIELD_NAMES,
    ConfigStore,
    RuntimeConfig,
    mask,
    read_env_file,
)
from server.errors import ApiError
from server.validation import validate

SECRET = "sk-ant-api03-0123456789abcdefghij"


def in_use(agent: str) -> str:
    """What the server passes to ``to_json``: Images.image_for."""
    return f"in-use/{agent}:1"


# --- validate: one table of accepted values and one of refused ones ---------------------

# (field, value as the board sends it, value as kept)
ACCEPTED: list[tuple[str, Any, Any]] = [
    ("max_parallel", 1, 1),
    ("max_parallel", 64, 64),
    ("pids_limit", 64, 64),
    ("pids_limit", 1_000_000, 1_000_000),
    ("diff_file_kb", 16, 16),
    ("diff_file_kb", 102_400, 102_400),
    ("output_cap_mb", 1, 1),
    ("output_cap_mb", 1_000_000, 1_000_000),
    ("default_budget_usd", None, None),  # no budget
    ("default_budget_usd", 2, 2.0),
    ("default_budget_usd", 0.05, 0.05),
    ("workspace_pool", 0, 0),
    ("workspace_pool", 8, 8),
    ("setup_script", "npm ci\n", "npm ci\n"),
    ("setup_script", None, ""),  # no script
    ("conflict_rounds", 0, 0),
    ("conflict_rounds", 10, 10),
    ("cpus", None, None),  # no limit
    ("cpus", 2, 2.0),
    ("cpus", 0.5, 0.5),
    ("cpus", 256, 256.0),
    ("timeout_min", 1, 1.0),
    ("timeout_min", 24 * 60, 1440.0),
    ("memory", None, None),
    ("memory", "512m", "512m"),
    ("memory", "1.5G", "1.5G"),
    ("memory", "1073741824", "1073741824"),  # bytes
    ("instructions", "", ""),
    ("instructions", "é" * (16 * 1024), "é" * (16 * 1024)),  # 32 KiB in UTF-8: the cap
    ("network", None, None),
    ("network", "my_net-1", "my_net-1"),
    ("host_access", True, True),
    ("host_access", False, False),
    ("autopilot", True, True),
    ("autopilot", False, False),
    ("auto_test", True, True),
    ("auto_accept", False, False),
    ("helpers", True, True),
    ("egress", "none", "none"),
    ("egress", "open", "open"),
    ("egress", "allowlist", "allowlist"),
    ("egress_allow", [], ()),
    (
        "egress_allow",
        ["PyPI.org.", "*.github.com", "pypi.org"],
        ("*.github.com", "pypi.org"),  # lower case, no root dot, sorted, unique
    ),
    ("egress_allow", ("files.example",), ("files.example",)),
]
# Agent-specific fields, kept together to follow the agents' settings.
AGENT_ACCEPTED: list[tuple[str, Any, Any]] = [
    ("images", {"claude": ""}, {"claude": ""}),  # the bundled image
    ("images", {"claude": "ghcr.io/me/agent:1.2"}, {"claude": "ghcr.io/me/agent:1.2"}),
    ("images", {"claude": "me/agent@sha256:0123abcd"}, {"claude": "me/agent@sha256:0123abcd"}),
    ("images", {"codex": "registry:5000/codex:latest"}, {"codex": "registry:5000/codex:latest"}),
    ("default_agent", "claude", "claude"),
    ("default_agent", "codex", "codex"),
    (
        "prices",
        {"codex": {"m": {"input": 1, "output": 2.5}}},
        {"codex": {"m": {"input": 1, "output": 2.5}}},
    ),
    (
        "prices",
        {"codex": {"m": {"input": 0, "cached_input": 0}}},
        {"codex": {"m": {"input": 0, "cached_input": 0}}},
    ),
]

# (field, value, HTTP status: 400 for a wrong type, 422 for a wrong value, words of the message)
REFUSED: list[tuple[str, Any, int, str]] = [
    ("max_parallel", 0, 422, "between 1 and 64"),
    ("max_parallel", 65, 422, "between 1 and 64"),
    ("max_parallel", "4", 400, "integer"),
    ("max_parallel", 4.0, 400, "integer"),
    ("max_parallel", True, 400, "integer"),
    ("pids_limit", 63, 422, "between 64 and 1000000"),
    ("pids_limit", 1_000_001, 422, "between 64 and 1000000"),
    ("pids_limit", None, 400, "integer"),
    ("diff_file_kb", 15, 422, "between 16 and 102400"),
    ("diff_file_kb", 102_401, 422, "between 16 and 102400"),
    ("diff_file_kb", 1.5, 400, "integer"),
    ("output_cap_mb", 0, 422, "between 1 and 1000000"),
    ("output_cap_mb", 0.5, 400, "integer"),
    ("default_budget_usd", 0, 422, "more than 0"),
    ("default_budget_usd", 1e9, 422, "at most"),
    ("default_budget_usd", "5", 400, "number"),
    ("workspace_pool", -1, 422, "between 0 and 8"),
    ("workspace_pool", 9, 422, "between 0 and 8"),
    ("workspace_pool", 1.0, 400, "integer"),
    ("setup_script", ["npm ci"], 400, "the script's text"),
    ("setup_script", "x" * (256 * 1024 + 1), 422, "over 262144 bytes"),
    ("conflict_rounds", 11, 422, "between 0 and 10"),
    ("cpus", 0, 422, "out of range"),
    ("instructions", None, 400, "must be a string"),
    ("instructions", "é" * (16 * 1024) + "x", 413, "32769 bytes; at most 32768"),
    ("instructions", "\ud800", 422, "valid text"),  # a lone surrogate, which JSON can carry
    ("cpus", -1, 422, "out of range"),
    ("cpus", 256.5, 422, "out of range"),
    ("cpus", float("nan"), 422, "out of range"),
    ("cpus", "2", 400, "number"),
    ("cpus", True, 400, "number"),
    ("timeout_min", None, 400, "number"),  # unlike cpus, a run always has a timeout
    ("timeout_min", 0, 422, "out of range"),
    ("timeout_min", 24 * 60 + 1, 422, "out of range"),
    ("timeout_min", float("inf"), 422, "out of range"),
    ("memory", "lots", 422, "512m or 4g"),
    ("memory", "512mb", 422, "512m or 4g"),
    ("memory", "", 422, "512m or 4g"),
    ("memory", "512m\n", 422, "512m or 4g"),
    ("network", "my net", 422, "not a network name"),
    ("network", "", 422, "not a network name"),
    ("network", "host\n", 422, "not a network name"),
    ("host_access", "yes", 400, "true or false"),
    ("host_access", 1, 400, "true or false"),
    ("host_access", None, 400, "true or false"),
    ("autopilot", "on", 400, "true or false"),
    ("autopilot", 0, 400, "true or false"),
    ("auto_test", None, 400, "true or false"),
    ("auto_accept", 1, 400, "true or false"),
    ("helpers", "yes", 400, "true or false"),
    ("egress", "closed", 422, "none, open, allowlist"),
    ("egress_allow", "example.com", 400, "list of host names"),
    ("egress_allow", None, 400, "list of host names"),
    ("egress_allow", ["example.com", 1], 400, "list of host names"),
    ("egress_allow", ["exa mple.com"], 422, "not a host name"),
    ("egress_allow", ["^.*$"], 422, "not a host name"),  # no regex reaches the proxy
    ("egress_allow", ["*"], 422, "not a host name"),
    ("egress_allow", ["https://example.com"], 422, "not a host name"),
]
AGENT_REFUSED: list[tuple[str, Any, int, str]] = [
    ("images", {"claude": 5}, 400, "must be a string"),
    ("images", {"claude": None}, 400, "must be a string"),
    ("images", {"claude": "my image"}, 422, "not an image reference"),
    ("images", {"claude": "-flag"}, 422, "not an image reference"),
    ("images", {"claude": "a" * 256}, 422, "not an image reference"),
    ("images", {"claude": "ubuntu\n"}, 422, "not an image reference"),  # whole value must match
    ("images", {"codex": "codex image"}, 422, "not an image reference"),
    ("images", {"gemini": ""}, 422, "not 'gemini'"),
    ("default_agent", "gemini", 422, "claude, codex"),
    ("prices", {"codex": {}}, 400, "object of model"),
    ("prices", {"codex": []}, 400, "object of model"),
    ("prices", {"codex": {"m": 1}}, 422, "take input, cached_input and output"),
    ("prices", {"codex": {"m": {"tokens": 1}}}, 422, "take input, cached_input and output"),
    ("prices", {"codex": {"m": {"input": -1}}}, 422, "at least 0"),
    ("prices", {"codex": {"m": {"input": "1"}}}, 422, "at least 0"),
    ("prices", {"codex": {"m": {"output": True}}}, 422, "at least 0"),
    ("prices", {"codex": {"m": {"input": float("nan")}}}, 422, "at least 0"),
    ("prices", {"codex": {"m": {"input": float("inf")}}}, 422, "at least 0"),
]


def refusal(call: Callable[..., object], *args: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


def test_every_setting_has_cases() -> None:
    """A new field must come with its checks."""
    for table in (ACCEPTED + AGENT_ACCEPTED, REFUSED + AGENT_REFUSED):
        assert {case[0] for case in table} == set(FIELD_NAMES)


@pytest.mark.parametrize(("name", "value", "kept"), ACCEPTED + AGENT_ACCEPTED)
def test_a_valid_value_is_kept_in_its_normal_form(name: str, value: Any, kept: Any) -> None:
    result = validate(name, value)
    assert result == kept
    assert type(result) is type(kept), "e.g. a whole number of cpus is kept as a float"


@pytest.mark.parametrize(("name", "value", "status", "words"), REFUSED + AGENT_REFUSED)
def test_an_invalid_value_is_refused_with_the_right_status(
    name: str, value: Any, status: int, words: str
) -> None:
    error = refusal(validate, name, value)
    assert error.status == status
    assert words in error.message


# --- ConfigStore: flags, then what was saved, then the defaults -------------------------


def save(data_dir: Path, settings: dict[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "config.json").write_text(json.dumps(settings))


def saved(data_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((data_dir / "config.json").read_text())
    return data


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_saved_settings_beat_the_defaults_and_flags_beat_both(tmp_path: Path) -> None:
    save(
        tmp_path,
        {
            "image": "saved:1",  # a legacy name for Claude's image, pinned by a flag: ignored
            "max_parallel": 2,
            "cpus": 3,
            "egress_allow": ["Pypi.org"],
            "colour": "blue",  # not a setting: ignored
        },
    )
    flags = RuntimeConfig(images={"claude": "flag:1", "codex": ""}, max_parallel=8, memory="1g")
    store = ConfigStore(tmp_path, flags, frozenset({"images.claude"}))
    assert store.current == RuntimeConfig(
        images={"claude": "flag:1", "codex": ""},
        max_parallel=2,
        cpus=3.0,
        memory="1g",
        egress_allow=("pypi.org",),
    )
    assert store.to_json(in_use)["pinned"] == ["images.claude"]


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '["max_parallel", 2]',
        '{"max_parallel": 2, "memory": "lots"}',  # one bad value: none of the file is used
    ],
)
def test_a_broken_saved_file_leaves_the_defaults(tmp_path: Path, text: str) -> None:
    (tmp_path / "config.json").write_text(text)
    assert ConfigStore(tmp_path, RuntimeConfig()).current == RuntimeConfig()


def test_an_update_is_saved_privately_and_read_back_after_a_restart(tmp_path: Path) -> None:
    save(tmp_path, {"memory": "2g", "egress": "open"})
    store = ConfigStore(tmp_path, RuntimeConfig(), frozenset({"egress"}))
    updated = store.update({"cpus": 2, "egress_allow": ["B.example", "a.example."]})
    assert updated == store.current
    assert (updated.cpus, updated.egress_allow) == (2.0, ("a.example", "b.example"))
    assert saved(tmp_path) == {
        "memory": "2g",
        "egress": "open",  # pinned for this run only: kept for the next
        "cpus": 2.0,
        "egress_allow": ["a.example", "b.example"],
    }
    assert private(tmp_path / "config.json")
    assert ConfigStore(tmp_path, RuntimeConfig()).current == replace(updated, egress="open")


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"colour": "blue"}, 400, "unknown settings: colour"),
        ({"max_parallel": 2, "egress": "open"}, 409, "egress set on the command line"),
        ({"max_parallel": 2, "memory": "lots"}, 422, "512m or 4g"),
        ({"max_parallel": 2, "cpus": "2"}, 400, "number"),
    ],
)
def test_a_refused_update_changes_nothing(
    tmp_path: Path, changes: dict[str, Any], status: int, words: str
) -> None:
    save(tmp_path, {"memory": "2g"})
    store = ConfigStore(tmp_path, RuntimeConfig(), frozenset({"egress"}))
    before = store.current
    error = refusal(store.update, changes)
    assert (error.status, store.current, saved(tmp_path)) == (status, before, {"memory": "2g"})
    assert words in error.message


# --- the agent env file -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "env"),
    [
        ("", {}),
        (ENV_FILE_TEMPLATE, {}),  # every example in it is a comment
        ("A=1\n\n  # B=2\nnot a variable\n", {"A": "1"}),
        ("export A=1\n", {"A": "1"}),
        ("  A = spaced  \n", {"A": "spaced"}),
        ("A=x=y\n", {"A": "x=y"}),
        ('A=\'single\'\nB="double"\nC="open\n', {"A": "single", "B": "double", "C": '"open'}),
        ("A=\n", {"A": ""}),
        ("A=1\nA=2\n", {"A": "2"}),
    ],
)
def test_the_env_file_is_read_as_a_shell_would_mostly(
    tmp_path: Path, text: str, env: dict[str, str]
) -> None:
    (tmp_path / "env").write_text(text)
    assert read_env_file(tmp_path / "env") == env


def test_a_missing_env_file_is_created_private_with_examples(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "data", RuntimeConfig())
    path = tmp_path / "data" / "env"
    assert store.env() == {}
    assert path.read_text() == ENV_FILE_TEMPLATE
    assert private(path)


def test_an_env_update_sets_and_removes_only_the_keys_given(tmp_path: Path) -> None:
    (tmp_path / "env").write_text("KEEP=1\nDROP=2\nCHANGE=3\n")
    store = ConfigStore(tmp_path, RuntimeConfig())
    store.update_env({"DROP": None, "CHANGE": "three", "NEW_API_KEY": SECRET, "ABSENT": None})
    assert store.env() == {"KEEP": "1", "CHANGE": "three", "NEW_API_KEY": SECRET}
    assert private(tmp_path / "env")
    assert store.redactor.text(f"echo {SECRET}") == "echo [redacted]", "the redactor knows it"


@pytest.mark.parametrize(
    "value", ["", "spaces inside", "a=b==", "#not a comment", "tab\tinside", "ünï€ode"]
)
def test_an_env_value_reads_back_as_it_was_set(tmp_path: Path, value: str) -> None:
    store = ConfigStore(tmp_path, RuntimeConfig())
    store.update_env({"KEY": value})
    assert ConfigStore(tmp_path, RuntimeConfig()).env() == {"KEY": value}


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"1BAD": "x"}, 422, "not a valid variable name"),
        ({"BAD-NAME": "x"}, 422, "not a valid variable name"),
        ({"": "x"}, 422, "not a valid variable name"),
        ({"KEY\n": "x"}, 422, "not a valid variable name"),
        ({"OK": "x", "KEY": 5}, 400, "one-line string or null"),
        ({"KEY": ["x"]}, 400, "one-line string or null"),
        ({"KEY": "two\nlines"}, 400, "one-line string or null"),
        ({"KEY": "one\rINJECTED=1"}, 400, "one-line string or null"),
        ({"KEY": "one\u2028INJECTED=1"}, 400, "one-line string or null"),
    ],
)
def test_a_refused_env_update_changes_nothing(
    tmp_path: Path, changes: dict[str, Any], status: int, words: str
) -> None:
    (tmp_path / "env").write_text("KEY=1\n")
    store = ConfigStore(tmp_path, RuntimeConfig())
    error = refusal(store.update_env, changes)
    assert error.status == status and words in error.message
    assert (tmp_path / "env").read_text() == "KEY=1\n"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", ""),
        ("1", "•"),
        ("12345678", "••••••••"),
        ("hunter22!", "•" * 9),
        ("abcdefghijklmnopqrstuvw", "•" * 23),
        ("abcdefghijklmnopqrstuvwx", "abc…uvwx"),  # 17 unknown characters
        (SECRET, "sk-…ghij"),
    ],
)
def test_a_masked_value_is_recognisable_but_not_usable(value: str, masked: str) -> None:
    assert mask(value) == masked


def test_the_settings_never_show_an_env_value_in_clear(tmp_path: Path) -> None:
    (tmp_path / "env").write_text(f"ANTHROPIC_API_KEY={SECRET}\nMY_PASSWORD=hunter22!\n")
    store = ConfigStore(tmp_path, RuntimeConfig())
    shown = json.dumps([store.masked_env(), store.to_json(in_use)])
    assert SECRET not in shown and SECRET[3:-4] not in shown and "unter22" not in shown
    assert store.masked_env() == [
        {"key": "ANTHROPIC_API_KEY", "value": mask(SECRET)},
        {"key": "MY_PASSWORD", "value": "•" * 9},
    ]


# --- which agents can start: agent-specific, kept together --------------------------------


@pytest.mark.parametrize(
    ("agent", "env", "image", "ready"),
    [
        ("claude", "", "", False),
        ("claude", "CLAUDE_CODE_OAUTH_TOKEN=tok-0123456789", "", True),
        ("claude", "ANTHROPIC_API_KEY=   ", "", False),  # blank is not a credential
        ("claude", "OPENAI_API_KEY=sk-0123456789", "", False),  # another agent's
        ("claude", "", "mine/claude:1", True),  # an image of the user's own sets itself up
        ("codex", "CODEX_API_KEY=sk-0123456789", "", True),
        ("codex", "", "mine/claude:1", False),  # Claude's image is not Codex's
    ],
)
def test_an_agent_without_a_credential_is_told_which_to_set(
    tmp_path: Path, agent: str, env: str, image: str, ready: bool
) -> None:
    (tmp_path / "env").write_text(env)
    store = ConfigStore(tmp_path, RuntimeConfig(images={"claude": image, "codex": ""}))
    missing = store.missing(agent)
    assert store.to_json(in_use)["agents"][agent]["missing"] == missing
    if ready:
        assert missing == ""
    else:
        assert missing.startswith(f"{agent} has no credentials")
        assert all(name in missing for name in REGISTRY[agent].credentials)


def test_testing_accepting_and_helpers_are_off_by_default() -> None:
    """Each costs model calls, or lands changes no person looked at."""
    config = RuntimeConfig()
    assert (config.auto_test, config.auto_accept, config.helpers) == (False, False, False)
