"""Browsers sign in with a one-time code traded for an HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

import requests

from tests.server_process import ServerProcess, cli


def redeem(server: ServerProcess) -> requests.Response:
    link = server.api("POST", "/api/login-codes", status=201)["url"]
    assert link.startswith(server.url + "/?token=")
    return requests.get(link, allow_redirects=False, timeout=10)


def test_a_code_signs_in_once_and_leaves_the_url(bare_server: ServerProcess) -> None:
    link = bare_server.api("POST", "/api/login-codes", status=201)["url"]
    first = requests.get(link, allow_redirects=False, timeout=10)
    assert first.status_code == 303
    assert first.headers["Location"] == "/"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert first.headers["Referrer-Policy"] == "no-referrer"

    again = requests.get(link, allow_redirects=False, timeout=10)
    assert again.status_code == 303
    assert "Set-Cookie" not in again.headers, "a code works only once"


def test_the_cookie_authenticates_reads_and_same_origin_changes(
    bare_server: ServerProcess,
) -> None:
    session = requests.Session()
    session.cookies.update(redeem(bare_server).cookies)
    assert session.get(bare_server.url + "/api/tasks", timeout=10).status_code == 200

    same_origin = session.post(
        bare_server.url + "/api/tasks", json={"prompt": "p"}, headers={"Origin": bare_server.url}
    )
    assert same_origin.status_code == 201
    no_origin = session.post(bare_server.url + "/api/tasks", json={"prompt": "p"})
    assert no_origin.status_code == 403
    assert "Origin" in no_origin.json()["error"]


def test_a_page_on_another_port_of_this_host_cannot_read_with_the_cookie(
    bare_server: ServerProcess,
) -> None:
    """Cookies are not port-scoped: a task's preview on another port gets ours sent
    along, so the server refuses, not only the browser's CORS."""
    session = requests.Session()
    session.cookies.update(redeem(bare_server).cookies)
    preview = "http://127.0.0.1:1"
    read = session.get(bare_server.url + "/api/tasks", headers={"Origin": preview}, timeout=10)
    assert read.status_code == 403 and "cross-origin" in read.json()["error"]
    assert not any(h.lower().startswith("access-control-") for h in read.headers)
    # An <img> or a no-cors fetch sends no Origin; the browser still says whose it is.
    for site in ("same-site", "cross-site"):
        blind = session.get(
            bare_server.url + "/api/tasks", headers={"Sec-Fetch-Site": site}, timeout=10
        )
        assert blind.status_code == 403
    own = session.get(
        bare_server.url + "/api/tasks", headers={"Sec-Fetch-Site": "same-origin"}, timeout=10
    )
    assert own.status_code == 200
    assert not any(h.lower().startswith("access-control-") for h in own.headers)
    assert requests.get(bare_server.url + "/health", headers={"Origin": preview}).ok


def test_a_forged_or_missing_cookie_is_refused(bare_server: ServerProcess) -> None:
    for value in ("", "9999999999.deadbeef", "garbage", "1.abc"):
        response = requests.get(
            bare_server.url + "/api/tasks", cookies={"wallfacer_session": value}, timeout=10
        )
        assert response.status_code == 401


def test_pages_carry_the_security_headers(bare_server: ServerProcess) -> None:
    page = requests.get(bare_server.url + "/", timeout=10)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" in page.text and "onclick" not in page.text.lower()


def test_static_files_cannot_escape_their_folder(bare_server: ServerProcess) -> None:
    assert requests.get(bare_server.url + "/static/js/app.js", timeout=10).status_code == 200
    for path in (
        "/static/../api/common.py",
        "/static/%2e%2e/api/common.py",
        "/static/..%2F..%2Fstore.py",
        "/static//etc/passwd",
    ):
        response = requests.get(bare_server.url + path, timeout=10)
        assert response.status_code in (401, 404), path
        assert "import" not in response.text, "no source file is ever served"


def _tasks_status(server: ServerProcess, cookies: requests.cookies.RequestsCookieJar) -> int:
    return requests.get(server.url + "/api/tasks", cookies=cookies, timeout=10).status_code


def _sign_in(server: ServerProcess, password: str) -> requests.cookies.RequestsCookieJar:
    response = requests.post(server.url + "/api/login", json={"password": password}, timeout=30)
    assert response.status_code == 200, response.text
    return response.cookies


def test_a_new_password_signs_out_every_browser_signed_in_before(
    bare_server: ServerProcess,
) -> None:
    data = str(bare_server.data_dir)
    assert cli("passwd", "--data-dir", data, stdin="first password\n").returncode == 0
    by_password = _sign_in(bare_server, "first password")
    by_code = redeem(bare_server).cookies
    assert _tasks_status(bare_server, by_password) == _tasks_status(bare_server, by_code) == 200

    changed = cli("passwd", "--data-dir", data, stdin="second password\n")  # while serving
    assert changed.returncode == 0 and "signed out" in changed.stdout
    assert _tasks_status(bare_server, by_password) == 401
    assert _tasks_status(bare_server, by_code) == 401
    assert _tasks_status(bare_server, _sign_in(bare_server, "second password")) == 200


def test_revoking_a_token_signs_out_every_browser_signed_in_before(
    bare_server: ServerProcess,
) -> None:
    data = str(bare_server.data_dir)
    assert cli("token", "create", "--name", "ci", "--data-dir", data).returncode == 0
    token_id = cli("token", "list", "--data-dir", data).stdout.split()[0]
    before = redeem(bare_server).cookies
    assert _tasks_status(bare_server, before) == 200

    revoked = cli("token", "revoke", token_id, "--data-dir", data)
    assert revoked.returncode == 0, revoked.stderr
    assert _tasks_status(bare_server, before) == 401
    assert _tasks_status(bare_server, redeem(bare_server).cookies) == 200
