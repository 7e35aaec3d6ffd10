"""What each agent's container gets from the agent env file: options and env names."""

from __future__ import annotations

from runner.agents import REGISTRY


def test_codex_takes_its_endpoint_as_a_global_option_before_exec() -> None:
    codex = REGISTRY["codex"]
    env = {"OPENAI_BASE_URL": "http://host.docker.internal:8080/v1"}
    options = codex.options(env)
    assert options == ["-c", 'openai_base_url="http://host.docker.internal:8080/v1"']
    assert [*options, *codex.args("go")][2] == "exec"
    assert codex.options({}) == [] and codex.options({"OPENAI_BASE_URL": " "}) == []


def test_codex_gets_codex_api_key_from_openai_api_key_only_when_it_lacks_one() -> None:
    codex = REGISTRY["codex"]
    assert codex.environment({"OPENAI_API_KEY": "sk-1"}) == {
        "OPENAI_API_KEY": "sk-1",
        "CODEX_API_KEY": "sk-1",
    }
    both = {"OPENAI_API_KEY": "sk-1", "CODEX_API_KEY": "sk-2"}
    assert codex.environment(both) == both
    assert codex.environment({"OTHER": "x"}) == {"OTHER": "x"}


def test_claude_reads_its_endpoint_from_the_env_as_it_is() -> None:
    claude = REGISTRY["claude"]
    env = {"ANTHROPIC_BASE_URL": "http://stub", "ANTHROPIC_API_KEY": "k"}
    assert claude.options(env) == [] and claude.environment(env) == env
