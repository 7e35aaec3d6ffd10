"""Desktop mode under Xvfb: tray, native window with the board, notifications,
single instance, a quick, clean Quit, and what closing the window does with and
without a tray host."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.handover import control_path
from app.instance import DataDirLock, send_control
from server.settings import Settings
from tests.server_process import ROOT
from tests.ui.conftest import ARTIFACTS

if TYPE_CHECKING:
    from tests.desktop.x11 import X11


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} is needed for the desktop tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    need("Xvfb")
    missing = [m for m in ("pystray", "webview") if importlib.util.find_spec(m) is None]
    if missing:  # (pystray is not imported here: it needs a display to import)
        if os.environ.get("CI") == "true":
            pytest.fail(f"the gui extra is needed for the desktop tests: {missing}")
        pytest.skip(f"the gui extra is not installed: {missing}")
    # A free display, said by Xvfb once it takes connections: an app started before
    # then has no tray, and a fixed number collides with another run's.
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
    )
    assert xvfb.stdout is not None
    number = xvfb.stdout.readline().decode().strip()
    assert number.isdigit(), "Xvfb did not start"
    name = f":{number}"
    yield name
    xvfb.terminate()
    xvfb.wait(5)


class Desktop:
    def __init__(self, data: Path, repo: Path, image: str, display: str, runtime: Path) -> None:
        self.data = data
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("WALLFACER_")},
            "DISPLAY": display,
            "XDG_RUNTIME_DIR": str(runtime),
            "QTWEBENGINE_DISABLE_SANDBOX": "1",
            "WALLFACER_EGRESS": "none",  # the fake agent needs no network
        }
        self.cmd = [
            sys.executable,
            "-m",
            "app",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            str(data),
            "--log-dir",
            str(data / "logs"),
            "--image",
            image,
            str(repo),
        ]
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)  # so control_path() agrees
        self.sock = control_path(Settings(data_dir=data.resolve()))
        self.proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def status(self) -> dict[str, Any]:
        answer = send_control(self.sock, "status")
        return json.loads(answer) if answer else {}

    def wait(self, check: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.status()
            if current and check(current):
                return current
            assert self.proc is None or self.proc.poll() is None, self.output()
            time.sleep(0.2)
        raise AssertionError(f"desktop never reached the state: {self.status()}\n{self.output()}")

    def leftovers(self) -> list[str]:
        """Processes still running for this data dir (its path is in their command lines)."""
        found = subprocess.run(["pgrep", "-f", str(self.data)], capture_output=True, text=True)
        return found.stdout.split()

    def output(self) -> str:
        log = self.data / "logs" / "wallfacer.log"
        return log.read_text()[-3000:] if log.exists() else ""


@pytest.fixture
def desktop_env(
    tmp_path: Path, repo: Path, sandbox_image: str, display: str, runtime_dir: Path
) -> Iterator[Desktop]:
    """A desktop ready to launch; killed at the end if it still runs."""
    shell = Desktop(tmp_path / "data", repo, sandbox_image, display, runtime_dir)
    yield shell
    if shell.proc is not None and shell.proc.poll() is None:
        shell.proc.kill()
        shell.proc.wait(10)


@pytest.fixture
def desktop(desktop_env: Desktop) -> Desktop:
    desktop_env.proc = desktop_env.launch()
    return desktop_env


@pytest.fixture
def x11(display: str) -> Iterator[X11]:
    """The test's own connection to the display, open for the whole test."""
    from tests.desktop.x11 import X11  # python-xlib: only with the gui extra

    screen = X11(display)
    yield screen
    screen.disconnect()


def test_tray_window_notification_single_instance_and_quit(desktop: Desktop) -> None:
    # The tray's icon comes up on a thread of its own, maybe after the board.
    ready = desktop.wait(lambda s: s["board_ready"] and s["tray_visible"])
    assert ready["tray"] == "idle"
    assert ready["menu"][0] == "Open Dashboard" and ready["menu"][-1] == "Quit"
    assert "Open in Browser" in ready["menu"] and "Open Data Folder" in ready["menu"]
    assert ready["menu"][1] == "0 running · 0 waiting"
    ARTIFACTS.mkdir(exist_ok=True)
    from PIL import ImageGrab

    ImageGrab.grab(xdisplay=desktop.env["DISPLAY"]).save(ARTIFACTS / "desktop-window.png")

    # A task reaches waiting: a notification, and the icon asks for attention.
    import requests

    token = (desktop.data / "token").read_text().strip()
    api = ready["url"] + "/api/tasks"
    auth = {"Authorization": f"Bearer {token}"}
    task = requests.post(api, json={"prompt": "say hi", "title": "Tray task"}, headers=auth).json()
    requests.post(f"{api}/{task['id']}/start", headers=auth)
    waiting = desktop.wait(lambda s: s["tray"] == "attention")
    assert waiting["notifications"] == [["Task needs your review", "Tray task"]]
    assert waiting["status"] == "0 running · 1 waiting"

    # The tray's menu works: Open Dashboard shows the window.
    assert send_control(desktop.sock, "menu Open Dashboard") == "ok"
    assert desktop.status()["window_visible"]

    # Autopilot flips the setting as the server has it (the header may have changed it).
    assert "Autopilot" in ready["menu"] and ready["checked"] == []
    assert send_control(desktop.sock, "menu Autopilot") == "ok"
    assert desktop.status()["checked"] == ["Autopilot"]
    config = ready["url"] + "/api/config"
    assert requests.get(config, headers=auth).json()["autopilot"] is True
    requests.put(config, json={"autopilot": False}, headers=auth)
    assert send_control(desktop.sock, "menu Autopilot") == "ok"
    assert requests.get(config, headers=auth).json()["autopilot"] is True

    # A second launch hands over to the first and exits 0.
    second = desktop.launch()
    assert second.wait(30) == 0, second.stdout.read() if second.stdout else ""
    assert desktop.status()["window_visible"]

    # Quit from the tray: gone, with no lock and no socket left.
    assert desktop.proc is not None
    send_control(desktop.sock, "menu Quit")
    assert desktop.proc.wait(30) == 0
    assert not desktop.sock.exists()
    with DataDirLock(desktop.data):
        pass  # the lock is free again
    assert desktop.leftovers() == [], "no orphan processes (web view helpers included)"


def test_a_window_that_cannot_run_leaves_the_board_in_the_browser(
    desktop_env: Desktop, tmp_path: Path
) -> None:
    """Qt's web view made to fail for real: as root with its sandbox on, it
    calls exit() in its process (here the window's, no longer the app's)."""
    if os.geteuid() != 0:
        pytest.fail("this test makes Qt's web view fail by running as root: run it as root")
    opened = tmp_path / "opened"
    opener = tmp_path / "bin" / "xdg-open"  # the OS opener, recording what it is given
    opener.parent.mkdir()
    opener.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    opener.chmod(0o755)
    desktop = desktop_env
    del desktop.env["QTWEBENGINE_DISABLE_SANDBOX"]
    desktop.env["PATH"] = f"{opener.parent}:{desktop.env['PATH']}"
    desktop.proc = desktop.launch()
    state = desktop.wait(lambda s: not s["window"] and opened.exists() and s["tray"])
    assert state["server"] and desktop.proc.poll() is None
    link = opened.read_text().split()[-1]
    assert link.startswith(state["url"] + "/?token=")
    import requests

    assert requests.get(link, allow_redirects=False, timeout=10).headers["Location"] == "/"
    assert requests.get(state["url"] + "/health", timeout=10).ok  # still serving

    # Open Dashboard, with no window to show, opens the browser again.
    assert send_control(desktop.sock, "menu Open Dashboard") == "ok"
    desktop.wait(lambda s: len(opened.read_text().split()) == 2)
    assert send_control(desktop.sock, "quit") == "ok"
    assert desktop.proc.wait(10) == 0


def test_closing_the_window_hides_it_when_a_tray_can_bring_it_back(
    desktop_env: Desktop, x11: X11
) -> None:
    x11.claim_tray()  # a tray host, before the app asks whether there is one
    desktop = desktop_env
    desktop.proc = desktop.launch()
    ready = desktop.wait(lambda s: s["board_ready"])
    assert ready["tray_hosted"]

    x11.close(x11.shown("Wallfacer"))
    hidden = desktop.wait(lambda s: not s["window_visible"] and x11.shown("Wallfacer") is None)
    assert hidden["window"]
    import requests

    assert requests.get(ready["url"] + "/health", timeout=10).ok  # still serving

    assert send_control(desktop.sock, "menu Open Dashboard") == "ok"
    desktop.wait(lambda s: s["window_visible"] and x11.shown("Wallfacer") is not None)
    assert send_control(desktop.sock, "quit") == "ok"
    assert desktop.proc.wait(10) == 0


def test_closing_the_window_asks_before_quitting_when_no_tray_could_bring_it_back(
    desktop: Desktop, x11: X11
) -> None:
    ready = desktop.wait(lambda s: s["board_ready"])
    assert not ready["tray_hosted"]
    window = x11.shown("Wallfacer")
    question = "Quit Wallfacer?"

    # Cancelled (the dialog's own close button): the window stays, the app runs.
    x11.close(window)
    desktop.wait(lambda _: x11.shown(question) is not None)
    ARTIFACTS.mkdir(exist_ok=True)
    from PIL import ImageGrab

    ImageGrab.grab(xdisplay=desktop.env["DISPLAY"]).save(ARTIFACTS / "desktop-quit-confirm.png")
    x11.close(x11.shown(question))
    desktop.wait(lambda _: x11.shown(question) is None)
    state = desktop.status()
    assert state["window"] and state["window_visible"] and x11.shown("Wallfacer") is not None

    # Confirmed: the app quits, and leaves nothing behind.
    x11.close(window)
    desktop.wait(lambda _: x11.shown(question) is not None)
    x11.press(x11.shown(question), "Return")
    assert desktop.proc is not None
    assert desktop.proc.wait(10) == 0
    assert not desktop.sock.exists()
    assert desktop.leftovers() == [], "no orphan processes (web view helpers included)"
