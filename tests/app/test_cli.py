"""The command line: its help lists everything it takes, each flag's variable stands
in for it, and bad input is refused with a message a person can act on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.commands import SUBCOMMANDS, parser
from app.flags import ENVIRONMENT_ONLY, RUNTIME, SERVER
from app.main import main, parse_args, settings_from
from tests.server_process import cli

VARIABLES = (*SERVER, *RUNTIME, *ENVIRONMENT_ONLY)


def test_a_repo_that_is_not_git_is_refused(tmp_path: Path) -> None:
    done = cli("--headless", "--data-dir", str(tmp_path / "d"), str(tmp_path))
    assert done.returncode != 0
    assert "not a git repository" in done.stderr


def test_a_bad_address_is_refused(tmp_path: Path) -> None:
    done = cli("--headless", "--addr", "nonsense", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert "HOST:PORT" in done.stderr


def test_help_names_every_variable() -> None:
    done = cli("--help")
    assert done.returncode == 0
    for flag in VARIABLES:
        assert flag.var in done.stdout


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process's environment, without the caller's own WALLFACER_* settings."""
    for flag in VARIABLES:
        monkeypatch.delenv(flag.var, raising=False)
    return monkeypatch


def test_a_variable_stands_in_for_its_flag_and_a_flag_wins(
    environ: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environ.setenv("WALLFACER_ADDR", "127.0.0.1:9999")
    environ.setenv("WALLFACER_MAX_PARALLEL", "3")
    environ.setenv("WALLFACER_ALLOW_HOSTS", "b.example, a.example,")
    environ.setenv("WALLFACER_CPUS", "not even a number")  # never read: the flag is given
    environ.setenv("WALLFACER_TOKEN", "from-the-environment")
    args = parse_args(["--cpus", "1.5", "--data-dir", str(tmp_path)])
    assert (args.host, args.port, args.data_dir) == ("127.0.0.1", 9999, str(tmp_path))
    assert args.config.max_parallel == 3 and args.config.cpus == 1.5
    assert args.config.egress_allow == ("a.example", "b.example")
    assert args.pinned == {"max_parallel", "egress_allow", "cpus"}  # the rest is the board's
    assert settings_from(args).token == "from-the-environment"


def test_a_bad_variable_is_refused_by_its_name(
    environ: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var, value in (("WALLFACER_PIDS_LIMIT", "many"), ("WALLFACER_LOG_FORMAT", "xml")):
        environ.setenv(var, value)
        with pytest.raises(SystemExit) as exited:
            parse_args([])
        assert exited.value.code == 2
        assert var in capsys.readouterr().err
        environ.delenv(var)


def test_subcommands_take_the_data_dir_from_its_variable(
    environ: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ.setenv("WALLFACER_DATA_DIR", str(tmp_path / "data"))
    assert main(["backup", str(tmp_path / "copy.db")]) == 1
    assert f"no store in {tmp_path / 'data'}" in capsys.readouterr().err


def test_help_lists_every_subcommand_and_each_has_its_own_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = cli("--help")
    assert done.returncode == 0
    section = done.stdout.partition("\nsubcommands")[2].partition("\n\n")[0]
    listed = dict(re.findall(r"^  (\w+) +(.+)$", section, re.M))
    accepted = re.search(r"{(.+)}", parser().format_usage())
    assert accepted is not None
    assert sorted(listed) == sorted(accepted[1].split(",")), "wallfacer --help misses some"
    for name, line in listed.items():
        assert line == SUBCOMMANDS[name]
        with pytest.raises(SystemExit) as exited:
            main([name, "--help"])
        assert exited.value.code == 0
        own = capsys.readouterr().out
        assert own.startswith(f"usage: wallfacer {name} ") and line in own


@pytest.mark.parametrize("backend", ["swarm", "kubernetes"])
def test_a_remote_backend_needs_an_advertise_url_and_auth(tmp_path: Path, backend: str) -> None:
    data = ["--data-dir", str(tmp_path / "d")]
    done = cli("--headless", "--backend", backend, *data)
    assert done.returncode == 2 and "--advertise-url" in done.stderr
    done = cli("--headless", "--advertise-url", "ftp://x", *data)
    assert done.returncode == 2 and "http://" in done.stderr
    # Reachable from the nodes: even on loopback, no start without auth.
    done = cli("--headless", "--backend", backend, "--advertise-url", "http://10.0.0.5:80", *data)
    assert done.returncode == 2 and "refusing to listen on http://10.0.0.5:80" in done.stderr


def test_the_swarm_backend_refuses_no_network(tmp_path: Path) -> None:
    swarm = ["--backend", "swarm", "--advertise-url", "http://10.0.0.5:80"]
    done = cli("--headless", *swarm, "--egress", "none", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert "--backend swarm takes --egress allowlist or open, not none" in done.stderr


def test_a_constraint_with_no_node_selector_form_is_refused_on_kubernetes(
    tmp_path: Path,
) -> None:
    kube = ["--backend", "kubernetes", "--advertise-url", "http://10.0.0.5:80"]
    done = cli("--headless", "--data-dir", str(tmp_path), *kube, "--constraint", "node.role==x")
    assert done.returncode == 2 and "no nodeSelector form" in done.stderr


@pytest.mark.parametrize("name", ["Bad_NS", "edge-", "x" * 64])
def test_a_namespace_the_cluster_would_refuse_is_refused_at_start(
    tmp_path: Path, name: str
) -> None:
    kube = ["--backend", "kubernetes", "--advertise-url", "http://10.0.0.5:80"]
    done = cli("--headless", "--data-dir", str(tmp_path), *kube, "--namespace", name)
    assert done.returncode == 2 and "is not a namespace's name" in done.stderr


def test_the_kubernetes_namespace_comes_from_its_flag_or_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = [
        "--data-dir",
        str(tmp_path),
        "--backend",
        "kubernetes",
        "--advertise-url",
        "http://a:1",
    ]
    assert settings_from(parse_args(given)).namespace == "default"
    monkeypatch.setenv("WALLFACER_K8S_NAMESPACE", "agents")
    assert settings_from(parse_args(given)).namespace == "agents"
    assert settings_from(parse_args([*given, "--namespace", "ci"])).namespace == "ci"


def test_the_advertise_urls_host_is_an_allowed_name(tmp_path: Path) -> None:
    args = parse_args(["--data-dir", str(tmp_path), "--advertise-url", "http://app.lan:8080/"])
    assert settings_from(args).allowed_hosts == ("app.lan",)
