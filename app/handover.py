"""What any running instance, desktop or headless, answers on its control socket,
and what a later command asks of it there.

``signin`` answers a fresh one-time browser sign-in link (``wallfacer open``);
``add-repo PATH`` registers a repository, as a second launch with a path asks.
The window's own commands (``show``, ``menu``, ``status``) are the desktop's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import platformdirs

from app.instance import ControlServer, send_control
from server.settings import Settings

log = logging.getLogger(__name__)


def control_path(settings: Settings) -> Path:
    runtime = Path(platformdirs.user_runtime_dir("wallfacer"))
    return runtime / f"{settings.instance}.sock"


def start_control(
    settings: Settings, handle: Callable[[str], str], path: Path | None = None
) -> ControlServer | None:
    """The control socket, or None (logged) where it cannot be made: serving
    matters more than being reachable by ``wallfacer open``."""
    control = ControlServer(path or control_path(settings), handle)
    try:
        control.start()
    except OSError as exc:
        log.warning("no control socket (%s); `wallfacer open` cannot reach this instance", exc)
        return None
    return control


class Served:
    """The serving instance as the control socket's thread may use it: sign-in
    links are made on the server's loop; repositories go through the API, so
    they are checked exactly as the board's own requests are."""

    def __init__(self, settings: Settings, url: str, signin: Callable[[str], str]) -> None:
        self.settings = settings
        self.url = url
        self._signin = signin
        self._loop = asyncio.get_running_loop()

    def signin_url(self, kind: str) -> str:
        async def make() -> str:
            return self._signin(kind)

        return asyncio.run_coroutine_threadsafe(make(), self._loop).result(5)

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """This instance's API, called as any client would, with its token; raises
        urllib.error.HTTPError (with the API's JSON error), OSError or ValueError."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.settings.api_token()}",
                "Content-Type": "application/json",
            },
            method=method,
        )
        context = None
        if self.url.startswith("https:"):
            # Our own port, just bound: its certificate may name a public host, not this URL's.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return json.load(response)

    def add_repo(self, path: str) -> str:
        """The answer for the caller: "ok PATH" once registered, else "error: " and
        the API's reason."""
        try:
            return f"ok {self.api('POST', '/api/repos', {'path': path})['path']}"
        except urllib.error.HTTPError as exc:
            return f"error: {json.load(exc).get('error', exc.reason)}"
        except (OSError, ValueError) as exc:
            return f"error: {exc}"

    def autopilot(self, on: bool | None = None) -> bool:
        """The autopilot setting, after setting it to ``on`` if given."""
        if on is None:
            return bool(self.api("GET", "/api/config")["autopilot"])
        return bool(self.api("PUT", "/api/config", {"autopilot": on})["autopilot"])

    def answer(self, line: str) -> str | None:
        """The answer to a command of this module's, else None."""
        command, _, arg = line.partition(" ")
        if command == "ping":
            return "ok"
        if command == "signin":
            return self.signin_url("browser")
        if command == "add-repo" and arg:
            return self.add_repo(arg)
        return None


def hand_over(settings: Settings) -> int | None:
    """Give a second launch's repositories to the running instance, saying how
    each went: the exit status, or None when no instance answers."""
    sock = control_path(settings)
    if send_control(sock, "ping") is None:
        return None
    status = 0
    for repo in settings.repos:
        answer = send_control(sock, f"add-repo {repo}", timeout=60) or "error: no answer"
        if answer.startswith("ok "):
            print(f"added {answer[3:]} to the running Wallfacer")
        else:
            print(f"wallfacer: {repo}: {answer.removeprefix('error: ')}", file=sys.stderr)
            status = 1
    return status
