"""Behind a reverse proxy every peer is the proxy: per-client limits must see the real client."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.inprocess import InProcessServer
from tests.server_process import ServerProcess, cli

PASSWORD = "correct horse battery"


def _server(
    tmp_path: Path, repo: Path, args: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> ServerProcess:
    data = tmp_path / "data"
    assert cli("passwd", "--data-dir", str(data), stdin=PASSWORD + "\n").returncode == 0
    server = InProcessServer(data, [repo], image="unused:0", extra_args=args, env=env)
    server.start()
    return server


def _login(server: ServerProcess, password: str, forwarded: str) -> requests.Response:
    return requests.post(
        server.url + "/api/login",
        json={"password": password},
        headers={"X-Forwarded-For": forwarded},
        timeout=30,
    )


def test_a_locked_out_client_does_not_lock_out_others_behind_the_proxy(
    tmp_path: Path, repo: Path
) -> None:
    # The test client stands in for Caddy on 127.0.0.1, one hop behind another proxy.
    server = _server(
        tmp_path, repo, args=("--trusted-proxy", "127.0.0.1", "--trusted-proxy", "192.0.2.1")
    )
    try:
        attacker = [_login(server, f"guess {n}", "203.0.113.5").status_code for n in range(6)]
        assert attacker == [401] * 5 + [429]
        # What the attacker puts left of the proxy's own entry changes nothing.
        spoofed = _login(server, "guess", "198.51.100.20, 203.0.113.5, 192.0.2.1")
        assert spoofed.status_code == 429
        assert _login(server, PASSWORD, "203.0.113.5").status_code == 429

        owner = _login(server, PASSWORD, "198.51.100.20")
        assert owner.status_code == 200, "a client with no failures is never blocked"
        tasks = requests.get(server.url + "/api/tasks", cookies=owner.cookies, timeout=30)
        assert tasks.status_code == 200
        assert "failed sign-in from 203.0.113.5" in server.log()
    finally:
        server.stop()


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(tmp_path: Path, repo: Path) -> None:
    # The variable names some other proxy, so this peer's header is just a claim.
    server = _server(tmp_path, repo, env={"WALLFACER_TRUSTED_PROXY": "192.0.2.1, 10.0.0.0/8"})
    try:
        statuses = [_login(server, "guess", f"198.51.100.{n}").status_code for n in range(7)]
        assert statuses == [401] * 5 + [429, 429]
    finally:
        server.stop()


def test_the_environment_fallback_is_honoured(tmp_path: Path, repo: Path) -> None:
    server = _server(tmp_path, repo, env={"WALLFACER_TRUSTED_PROXY": "10.0.0.1,127.0.0.1"})
    try:
        assert [_login(server, "guess", "203.0.113.5").status_code for _ in range(6)][-1] == 429
        assert _login(server, PASSWORD, "198.51.100.20").status_code == 200
    finally:
        server.stop()


def test_a_trusted_proxy_must_be_an_address(tmp_path: Path) -> None:
    done = cli("--headless", "--trusted-proxy", "caddy.internal", "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert "--trusted-proxy takes an IP address or network" in done.stderr
