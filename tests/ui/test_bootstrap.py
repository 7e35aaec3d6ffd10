"""The detail's log shows what a setup script printed, and why it failed the run."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_a_failed_setup_script_shows_its_output_and_the_reason(
    page: Page, server: ServerProcess, repo: Path
) -> None:
    (repo / ".wallfacer").mkdir()
    (repo / ".wallfacer" / "setup.sh").write_text("echo installing tools\nexit 4\n")
    task = server.create("say never", title="Bootstrapped")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "failed")
    page.locator(".card", has_text="Bootstrapped").click()

    log = page.locator("#detail-log")
    expect(log.locator(".entry.note", has_text="running .wallfacer/setup.sh")).to_be_visible()
    expect(log.locator(".entry.junk")).to_have_text("[setup] installing tools")
    expect(log.locator(".entry", has_text="failed with exit code 4").last).to_be_visible()
    screenshot(page, "detail-log-setup-failed")
