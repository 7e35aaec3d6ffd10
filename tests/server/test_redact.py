"""Which env values count as secrets, and every form they are redacted in."""

from __future__ import annotations

import json

from server.redact import Redactor


def test_secret_values_are_redacted_raw_and_inside_json() -> None:
    quoted = 'pa"ss\\word-123'
    redactor = Redactor(
        {
            "MY_API_KEY": "sk-0123456789",
            "DB_PASSWORD": quoted,
            "GH_TOKEN": "short",
            "OPENAI_BASE_URL": "https://proxy.example/v1/sk-0123456789x",
            "MODEL": "claude-sonnet-4-5-20250929",
            "ANTHROPIC_CUSTOM_HEADERS": "x-api: hunter2hunter2",
        },
        extra_names=("ANTHROPIC_CUSTOM_HEADERS",),
    )
    assert redactor.text("key sk-0123456789 end") == "key [redacted] end"
    slashed = Redactor({"TOKEN": "ab/cd/ef/gh"})
    assert slashed.text('{"t":"ab\\/cd\\/ef\\/gh"}') == '{"t":"[redacted]"}', "JSON's \\/"
    line = json.dumps({"text": f"pw {quoted}", "n": 3, "list": ["x-api: hunter2hunter2"]})
    assert json.loads(redactor.text(line)) == {
        "text": "pw [redacted]",
        "n": 3,
        "list": ["[redacted]"],
    }
    assert redactor.value({"a": [f"{quoted}!"], "b": 1}) == {"a": ["[redacted]!"], "b": 1}
    assert redactor.text("short claude-sonnet-4-5-20250929") == "short claude-sonnet-4-5-20250929"


def test_no_secrets_means_nothing_changes() -> None:
    data = {"line": "anything", "events": []}
    assert Redactor({"PATH": "/usr/bin:/bin"}).value(data) is data
