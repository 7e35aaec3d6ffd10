"""What a new user meets: no container engine, no repository yet, a link to a task."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


def test_without_an_engine_the_page_explains_how_to_start_one(
    browser: Browser, tmp_path: Path, repo: Path
) -> None:
    server = ServerProcess(
        tmp_path / "data",
        [repo],
        image="unused:0",
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )
    server.start()
    page = sign_in(browser, server)
    try:
        notice = page.locator("#engine-missing")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("Docker is not running")
        expect(notice).to_contain_text("systemctl start docker")
        screenshot(page, "first-run-no-engine")
    finally:
        page.context.close()
        server.stop()


def test_without_a_repository_the_page_offers_to_add_one(
    browser: Browser, tmp_path: Path, repo: Path
) -> None:
    server = ServerProcess(tmp_path / "data", [], image="unused:0")
    server.start()
    page = sign_in(browser, server)
    try:
        notice = page.locator("#no-repo")
        expect(notice).to_be_visible()
        page.fill("#repo-path", str(tmp_path))
        page.click("#add-repo")
        expect(page.locator("#repo-error")).to_contain_text("not a git repository")
        page.fill("#repo-path", str(repo))
        page.click("#add-repo")
        expect(notice).to_be_hidden()
        expect(page.locator("#repos li")).to_contain_text("project")
        assert server.api("GET", "/api/repos")["repos"][0]["path"] == str(repo)
    finally:
        page.context.close()
        server.stop()


def test_a_task_link_opens_its_panel(page: Page, server: ServerProcess) -> None:
    task = server.create("opened from a notification")
    page.goto(f"{server.url}/#task={task['id']}")
    expect(page.locator("#detail-title")).to_have_text("opened from a notification")
