"""A task's preview on the real engine: busybox httpd, started by the fake agent in its
container, reached through the preview's own origin with its token and nothing else."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import docker
import pytest
import requests

from server.previews import COOKIE_PREFIX, TOKEN_PARAM
from server.sessions import COOKIE
from tests.engine import containers_of
from tests.polling import until
from tests.server_process import ServerProcess

Start = Callable[[ServerProcess, str], dict[str, Any]]

# The agent serves the user's page on 8000, with a CGI script that echoes the cookies
# and body it was sent and another that sets cookies, and "declares" another port,
# 9000, that only the user may choose.
SERVING = "\n".join(
    [
        "run mkdir -p site/cgi-bin other",
        "run echo '<h1>the page on 8000</h1>' > site/index.html",
        "run echo 'the page on 9000' > other/index.html",
        "run printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\n"
        'echo "cookie=$HTTP_COOKIE"\\necho "query=$QUERY_STRING"\\n'
        'echo "body=$(head -c ${CONTENT_LENGTH:-0})"\\n\' > site/cgi-bin/env',
        "run printf '#!/bin/sh\\necho Content-Type: text/plain\\n"
        "echo Set-Cookie: wallfacer_session=planted\\necho Set-Cookie: app=theirs\\n"
        "echo\\necho set\\n' > site/cgi-bin/setcookie",
        "run chmod +x site/cgi-bin/env site/cgi-bin/setcookie",
        "run httpd -p 8000 -h $PWD/site",
        "run httpd -p 9000 -h $PWD/other",
        "say preview me on port 9000",
        "sleep 300",
    ]
)


def previewed(server: ServerProcess, task_id: str, port: int) -> dict[str, Any]:
    """The preview the user named, once the task's container exists (409 before)."""
    made = until(
        "the task's container",
        lambda: _named(server.request("PUT", f"/api/tasks/{task_id}/preview", json={"port": port})),
    )
    assert made is not None
    return made.json()  # type: ignore[no-any-return]


def _named(made: requests.Response) -> requests.Response | None:
    if made.status_code == 409:  # its container is still being made
        return None
    assert made.status_code == 200, made.text
    return made


def signed_in(url: str) -> requests.Session:
    """A browser that opened the board's preview link (the token is traded for a cookie)."""
    browser = requests.Session()
    first = browser.get(url, allow_redirects=False, timeout=30)
    assert first.status_code == 303, first.text
    assert TOKEN_PARAM not in first.headers["Location"]
    return browser


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_a_preview_serves_the_port_the_user_named_to_its_token_only(
    open_server: ServerProcess, started: Start, docker_client: docker.DockerClient
) -> None:
    server = open_server
    task = started(server, SERVING)
    other = started(server, "sleep 300")
    # No preview until the user names a port: the agent's "declared" 9000 is not used.
    server.api("GET", f"/api/tasks/{task['id']}/preview", status=404)

    shown = until("the agent's server", lambda: _page(server, task["id"], 8000))
    assert "the page on 8000" in shown
    preview = server.api("GET", f"/api/tasks/{task['id']}/preview")
    assert preview["port"] == 8000
    url = preview["url"]
    base = origin(url)
    assert base != server.url, "a preview is an origin of its own"

    # Without the token, or with a wrong one: refused, nothing forwarded.
    assert requests.get(base + "/", timeout=30).status_code == 403
    assert requests.get(f"{base}/?{TOKEN_PARAM}=guess", timeout=30).status_code == 403
    # Another task's token does not open this task's preview.
    theirs = previewed(server, other["id"], 8000)["url"]
    stolen = f"{base}/?{TOKEN_PARAM}={theirs.split(TOKEN_PARAM + '=')[1]}"
    assert requests.get(stolen, timeout=30).status_code == 403
    assert origin(theirs) != base

    # The board's cookie and the preview's never reach the container; others do.
    browser = signed_in(url)
    browser.cookies.set(COOKIE, "board-session-value")
    browser.cookies.set("app", "mine")
    echoed = browser.get(base + f"/cgi-bin/env?x=1&{TOKEN_PARAM}=leak", timeout=30)
    assert echoed.status_code == 200, echoed.text
    assert "app=mine" in echoed.text
    assert COOKIE not in echoed.text and "board-session-value" not in echoed.text
    assert "wallfacer_preview" not in echoed.text
    assert "query=x=1\n" in echoed.text

    # Nor may the container set them.
    planted = browser.get(base + "/cgi-bin/setcookie", timeout=30)
    assert planted.raw.headers.getlist("Set-Cookie") == ["app=theirs"]

    # Bodies go through, to a size; a foreign Host (DNS rebinding) is refused.
    posted = browser.post(base + "/cgi-bin/env", data=b"a form's fields", timeout=30)
    assert "body=a form's fields\n" in posted.text
    chunked = browser.post(base + "/cgi-bin/env", data=iter([b"a", b"b"]), timeout=30)
    assert chunked.status_code == 411
    held = f"{COOKIE_PREFIX}{task['id']}={browser.cookies[COOKIE_PREFIX + task['id']]}"
    huge = f"POST / HTTP/1.1\r\nContent-Length: 99999999\r\nCookie: {held}\r\n"
    assert _raw(base, huge).startswith(b"HTTP/1.1 413")
    rebound = browser.get(base + "/", headers={"Host": "evil.example"}, timeout=30)
    assert rebound.status_code == 403

    # The user may switch to the port the agent named; then, and only then, it is shown.
    assert previewed(server, task["id"], 9000)["url"] == url
    assert "the page on 9000" in browser.get(base + "/", timeout=30).text

    # Nothing listens on a port: a clear 502, not a hang or a 500.
    previewed(server, task["id"], 8999)
    down = browser.get(base + "/", timeout=30)
    assert down.status_code == 502 and "port 8999" in down.text

    # The run ends: its container goes, and its preview with it.
    server.act(task["id"], "cancel")
    server.wait_for(task["id"], "cancelled")
    until("the preview to end", lambda: _ended(server, task["id"]))
    with pytest.raises(requests.ConnectionError):
        browser.get(base + "/", timeout=30)
    until("the containers to go", lambda: not containers_of(docker_client, task["id"]))


def _page(server: ServerProcess, task_id: str, port: int) -> str:
    """The page through the preview, once the container runs and the agent's server
    answers ("" before)."""
    made = _named(server.request("PUT", f"/api/tasks/{task_id}/preview", json={"port": port}))
    if made is None:
        return ""
    page = requests.get(made.json()["url"], timeout=30)  # follows the redirect, cookie and all
    return page.text if page.status_code == 200 else ""


def _ended(server: ServerProcess, task_id: str) -> bool:
    return server.request("GET", f"/api/tasks/{task_id}/preview").status_code == 404


def test_a_preview_needs_a_running_task_and_a_port(open_server: ServerProcess) -> None:
    server = open_server
    task = server.create("say hi")
    path = f"/api/tasks/{task['id']}/preview"
    refused = server.request("PUT", path, json={"port": 8000})
    assert refused.status_code == 409 and "run" in refused.json()["error"]
    for body, status in (
        ({}, 400),
        ({"port": "80"}, 400),
        ({"port": 0}, 422),
        ({"port": 65536}, 422),
    ):
        answer = server.request("PUT", path, json=body)
        assert answer.status_code == status and answer.json()["field"] == "port"
    assert server.request("PUT", "/api/tasks/nope/preview", json={"port": 80}).status_code == 404


def test_a_task_without_a_network_says_why_it_has_no_preview(
    server: ServerProcess, started: Start
) -> None:
    """The default fixture runs with egress none: the container has no address at all."""
    task = started(server, "sleep 300")
    path = f"/api/tasks/{task['id']}/preview"
    error = until("the container to run", lambda: refusal(server, path))
    assert "no network" in error


def refusal(server: ServerProcess, path: str) -> str:
    """Why a preview is refused, once the container is made ("" before)."""
    answer = server.request("PUT", path, json={"port": 8000})
    assert answer.status_code == 409, answer.text
    error: str = answer.json()["error"]
    return "" if "not started" in error else error


def _raw(base: str, head: str) -> bytes:
    """The first bytes answered to a request head sent as is (a body never sent)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(f"{head}Host: {parts.netloc}\r\n\r\n".encode())
        return conn.recv(100)
