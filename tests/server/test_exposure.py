"""Running as a server others can reach: auth before exposure, tokens, passwords, TLS."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from server.sessions import Epoch, Sessions
from tests.inprocess import InProcessServer
from tests.ports import free_port
from tests.server_process import ROOT, ServerProcess, cli


def test_a_public_bind_without_auth_refuses_to_start(tmp_path: Path, repo: Path) -> None:
    done = cli(
        "--headless",
        "--addr",
        f"0.0.0.0:{free_port()}",
        "--data-dir",
        str(tmp_path / "d"),
        "--log-dir",
        str(tmp_path / "logs"),
        str(repo),
    )
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0 without auth" in done.stderr
    assert "wallfacer passwd" in done.stderr and "wallfacer token create" in done.stderr


def test_a_bind_name_is_judged_by_the_addresses_it_resolves_to(tmp_path: Path, repo: Path) -> None:
    done = cli(
        "--headless",
        "--addr",
        f"127.example.invalid:{free_port()}",  # looks local, names nothing
        "--data-dir",
        str(tmp_path / "d"),
        "--log-dir",
        str(tmp_path / "logs"),
        str(repo),
    )
    assert done.returncode == 2, done.stderr
    assert "cannot resolve '127.example.invalid'" in done.stderr
    local = InProcessServer(tmp_path / "local", [repo], image="unused:0", host="localhost")
    local.start()  # resolves to loopback only: no auth needed
    local.stop()


def test_the_generated_local_token_does_not_count_as_auth(tmp_path: Path, repo: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "token").write_text("a-local-token\n")
    done = cli(
        "--headless",
        "--addr",
        f"0.0.0.0:{free_port()}",
        "--data-dir",
        str(data),
        "--log-dir",
        str(tmp_path / "logs"),
        str(repo),
    )
    assert done.returncode == 2


@pytest.fixture
def public_server(tmp_path: Path, repo: Path) -> ServerProcess:
    data = tmp_path / "data"
    made = cli("token", "create", "--name", "laptop", "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    server = InProcessServer(
        data,
        [repo],
        image="unused:0",
        host="0.0.0.0",
        extra_args=("--allowed-host", "board.example.org"),
    )
    server.api_token = made.stdout.strip().splitlines()[-1]  # type: ignore[attr-defined]
    return server


def test_api_tokens_work_until_revoked(public_server: ServerProcess, tmp_path: Path) -> None:
    public_server.start()
    try:
        token = public_server.api_token  # type: ignore[attr-defined]
        url = public_server.url + "/api/tasks"
        assert requests.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert requests.get(url, headers={"Authorization": "Bearer wf_nope"}).status_code == 401
        assert requests.get(url).status_code == 401

        listed = cli("token", "list", "--data-dir", str(public_server.data_dir))
        token_id = listed.stdout.split()[0]
        assert "laptop" in listed.stdout and token not in listed.stdout
        revoked = cli("token", "revoke", token_id, "--data-dir", str(public_server.data_dir))
        assert revoked.returncode == 0
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert "revoked" in response.json()["error"]
        again = cli("token", "revoke", token_id, "--data-dir", str(public_server.data_dir))
        assert again.returncode == 1
    finally:
        public_server.stop()


def test_allowed_hosts_extend_the_host_check(public_server: ServerProcess) -> None:
    public_server.start()
    try:

        def status(host: str) -> int:
            return requests.get(public_server.url + "/health", headers={"Host": host}).status_code

        assert status("board.example.org") == 200
        assert status("board.example.org:443") == 200
        assert status("evil.example.org") == 403
    finally:
        public_server.stop()


def test_password_sign_in_with_rate_limited_failures(tmp_path: Path, repo: Path) -> None:
    data = tmp_path / "data"
    short = cli("passwd", "--data-dir", str(data), stdin="short\n")
    assert short.returncode == 1 and "at least" in short.stderr
    assert cli("passwd", "--data-dir", str(data), stdin="correct horse battery\n").returncode == 0
    server = InProcessServer(data, [repo], image="unused:0")
    server.start()
    try:
        login = server.url + "/api/login"
        assert requests.get(server.url + "/login").status_code == 200
        good = requests.post(login, json={"password": "correct horse battery"})
        assert good.status_code == 200
        cookie = good.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
        assert requests.get(server.url + "/api/tasks", cookies=good.cookies).status_code == 200
        cross = requests.post(
            server.url + "/api/tasks",
            json={"prompt": "x"},
            cookies=good.cookies,
            headers={"Origin": "https://evil.example"},
        )
        assert cross.status_code == 403

        statuses = [
            requests.post(login, json={"password": f"guess {n}"}).status_code for n in range(7)
        ]
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429, 429]
        blocked = requests.post(login, json={"password": "correct horse battery"})
        assert blocked.status_code == 429, "even the right password waits out the backoff"
        assert "failed sign-in" in server.log()
    finally:
        server.stop()


def test_an_expired_session_is_refused(bare_server: ServerProcess) -> None:
    sessions = Sessions(bare_server.token, Epoch(bare_server.data_dir))
    expired = sessions.cookie(lifetime_s=-60)
    fresh = sessions.cookie()
    url = bare_server.url + "/api/tasks"
    assert requests.get(url, cookies={"wallfacer_session": expired}).status_code == 401
    assert requests.get(url, cookies={"wallfacer_session": fresh}).status_code == 200


def test_tls_serves_https_with_secure_cookies(tmp_path: Path, repo: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server = InProcessServer(
        tmp_path / "data",
        [repo],
        image="unused:0",
        scheme="https",
        extra_args=("--tls-cert", str(cert), "--tls-key", str(key)),
    )
    server.start()
    try:
        assert server.request("GET", "/health", auth=False).json()["status"] == "ok"
        link = server.api("POST", "/api/login-codes", status=201)["url"]
        assert link.startswith("https://")
        signed = requests.get(link, allow_redirects=False, verify=False)
        assert "Secure" in signed.headers["Set-Cookie"]
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{server.port}/health", timeout=5)
    finally:
        server.stop()


def test_one_data_dir_serves_one_instance(bare_server: ServerProcess) -> None:
    second = ServerProcess(bare_server.data_dir, bare_server.repos, image="unused:0")
    done = subprocess.run(
        second.command(),
        cwd=ROOT,
        env=second.environment(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "another Wallfacer is using" in done.stderr


def test_odd_cookies_and_hosts_are_refused_not_crashed(bare_server: ServerProcess) -> None:
    for cookie in ("².x.y", "1e9.browser.sig", "..", "x" * 5000, "9999999999.browser.0.\xe9"):
        response = requests.get(
            bare_server.url + "/api/tasks", cookies={"wallfacer_session": cookie}
        )
        assert response.status_code == 401, cookie
        assert requests.get(bare_server.url + "/health", cookies={"wallfacer_session": cookie}).ok
    assert requests.get(bare_server.url + "/health", headers={"Host": "["}).status_code == 403
    weird_origin = requests.post(
        bare_server.url + "/api/tasks",
        json={"prompt": "x"},
        headers={"Origin": "http://[", "Authorization": f"Bearer {bare_server.token}"},
    )
    assert weird_origin.status_code == 403


def test_a_burst_of_parallel_guesses_is_cut_short(tmp_path: Path, repo: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = tmp_path / "data"
    assert cli("passwd", "--data-dir", str(data), stdin="correct horse battery\n").returncode == 0
    server = InProcessServer(data, [repo], image="unused:0")
    server.start()
    try:

        def guess(n: int) -> int:
            return requests.post(server.url + "/api/login", json={"password": f"g{n}"}).status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(guess, range(40)))
        assert statuses.count(401) <= 5, statuses
        assert statuses.count(429) >= 35
    finally:
        server.stop()


def test_the_store_and_its_copies_are_owner_only(
    bare_server: ServerProcess, tmp_path: Path
) -> None:
    def mode(path: Path) -> int:
        return path.stat().st_mode & 0o777

    data = bare_server.data_dir
    bare_server.create("a prompt is as private as the hashes beside it")
    for name in ("wallfacer.db", "wallfacer.db-wal", "wallfacer.db-shm", "token"):
        assert mode(data / name) == 0o600, name
    copy = tmp_path / "backups" / "copy.db"
    assert cli("backup", str(copy), "--data-dir", str(data)).returncode == 0
    assert mode(copy) == 0o600

    bare_server.stop()
    (data / "wallfacer.db").chmod(0o644)  # as an older version left it
    assert cli("token", "list", "--data-dir", str(data)).returncode == 0
    assert mode(data / "wallfacer.db") == 0o600, "an existing store is tightened on open"
    assert cli("restore", str(copy), "--data-dir", str(data)).returncode == 0
    assert mode(data / "wallfacer.db") == 0o600
