"""A refused request is shown where it belongs: beside the field the server
named, else as a toast; never in a blocking alert()."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.server_process import ServerProcess, cli


def no_alerts(page: Page) -> list[str]:
    """Every alert/confirm the page opens, dismissed so a test cannot hang on one."""
    seen: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


def test_a_refused_setting_is_marked_beside_its_field(page: Page, server: ServerProcess) -> None:
    alerts = no_alerts(page)
    page.click("#open-settings")
    page.fill("#cfg-memory", "lots")
    page.click("#settings-dialog button[type=submit]")
    beside = page.locator("#cfg-memory + .field-error")
    expect(beside).to_contain_text("memory must look like 512m")
    expect(beside).to_have_attribute("data-for", "memory")
    expect(page.locator("#cfg-memory")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cfg-memory")).to_be_focused()
    expect(page.locator('#settings-dialog [data-for="form"]')).to_be_empty()
    expect(page.locator("#settings-dialog")).to_be_visible()
    assert server.api("GET", "/api/config")["memory"] is None

    page.fill("#cfg-memory", "1g")  # fixed: saved, and the mark is gone on reopening
    page.click("#settings-dialog button[type=submit]")
    expect(page.locator("#settings-saved")).to_have_text("Saved")
    assert server.api("GET", "/api/config")["memory"] == "1g"
    page.click("#settings-dialog [data-close]")
    page.click("#open-settings")
    expect(page.locator("#cfg-memory")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cfg-memory + .field-error")).to_be_empty()
    assert alerts == []


def test_an_error_about_a_hidden_field_shows_on_the_form(page: Page, repo: Path) -> None:
    page.click("#new-task")
    expect(page.locator("#new-repo-row")).to_be_hidden()  # one repository: no picker
    shutil.rmtree(repo)
    page.fill("#new-prompt", "say hi")
    page.click("#new-dialog button[type=submit]")
    expect(page.locator('#new-dialog [data-for="form"]')).to_contain_text(str(repo))
    expect(page.locator("#new-dialog")).to_be_visible()


def test_a_refused_drag_is_a_toast_and_the_card_stays(page: Page, server: ServerProcess) -> None:
    alerts = no_alerts(page)
    server.create("say hi", title="Codex without a key", agent="codex")
    # The page saw a key that is gone by the drop: the server's refusal is the word.
    server.api("PUT", "/api/config", {"env": {"OPENAI_API_KEY": "sk-test-0123456789"}})
    page.reload()
    page.wait_for_selector("body[data-ready]")
    server.api("PUT", "/api/config", {"env": {"OPENAI_API_KEY": None}})
    card = page.locator("[data-column=backlog] .card", has_text="Codex without a key")
    card.drag_to(page.locator("[data-column=in_progress] .cards"))
    toast = page.locator("#toast")
    expect(toast).to_contain_text("codex has no credentials")
    expect(card).to_be_visible()
    page.click("#toast button")
    expect(toast).to_be_hidden()

    card.click()  # the same refusal from the panel's button shows in the panel
    page.click("[data-action=start]")
    expect(page.locator('#detail [data-for="form"]')).to_contain_text("codex has no credentials")
    assert alerts == []


def test_a_wrong_password_is_marked_beside_the_password(
    browser: Browser, server: ServerProcess
) -> None:
    data = str(server.data_dir)
    assert cli("passwd", "--data-dir", data, stdin="the right one\n").returncode == 0
    context = browser.new_context()
    page = context.new_page()
    try:
        alerts = no_alerts(page)
        page.goto(f"{server.url}/login")
        page.fill("#password", "a wrong one")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#password + .field-error")).to_have_text("wrong password")
        expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
        page.fill("#password", "the right one")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("body[data-ready]")
        assert alerts == []
    finally:
        context.close()
