"""Agent lines are read by orjson, and what it refuses by the stdlib: the same objects."""

from __future__ import annotations

import json

import pytest

from runner.agents.events import json_object


@pytest.mark.parametrize(
    "line",
    [
        '{"type": "assistant", "message": {"content": [{"type": "text", "text": "a\\nb"}]}}',
        '{"n": NaN, "big": 123456789012345678901234567890}',  # orjson refuses both
        '{"lone": "\\ud800"}',  # a lone surrogate, escaped
        '{"dup": 1, "dup": 2}',
        '{"float": 1e400, "neg": -0.0, "u": "caf\\u00e9 \\ud83d\\ude00"}',
    ],
)
def test_an_object_reads_as_the_stdlib_reads_it(line: str) -> None:
    assert json_object(line) == json.loads(line) or (
        repr(json_object(line)) == repr(json.loads(line))  # NaN is not equal to itself
    )


@pytest.mark.parametrize("line", ["", "not json", "[1, 2]", '"text"', "{", '{"a": 1} trailing'])
def test_anything_but_an_object_is_none(line: str) -> None:
    assert json_object(line) is None
