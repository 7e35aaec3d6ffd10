"""A browser that is not signed in is told exactly how to get a new link."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.server_process import ServerProcess, cli
from tests.ui.conftest import screenshot


def test_a_reused_link_leads_to_how_to_get_a_new_one(
    browser: Browser, bare_server: ServerProcess
) -> None:
    link = bare_server.api("POST", "/api/login-codes", status=201)["url"]
    first = browser.new_context()
    first.new_page().goto(link)  # the link is spent here
    first.close()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(link)
        page.wait_for_selector("body[data-offered]")
        assert page.url == f"{bare_server.url}/login?link=used"
        expect(page.locator("#link-used")).to_contain_text("used already")
        expect(page.locator("#new-link")).to_contain_text("run wallfacer open")
        expect(page.locator("#no-password")).to_contain_text("wallfacer passwd")
        expect(page.locator("#login-form")).to_be_hidden()  # no password to ask for
        screenshot(page, "signin-link-used")

        data = str(bare_server.data_dir)
        assert cli("passwd", "--data-dir", data, stdin="a long password\n").returncode == 0
        page.goto(f"{bare_server.url}/")  # the board, not signed in: to the same page
        page.wait_for_selector("body[data-offered]")
        assert page.url == f"{bare_server.url}/login"
        expect(page.locator("#link-used")).to_be_hidden()
        expect(page.locator("#no-password")).to_be_hidden()
        expect(page.locator("#login-form")).to_be_visible()
        screenshot(page, "signin-password")
    finally:
        context.close()


def test_a_reused_link_in_a_signed_in_browser_just_opens_the_board(
    browser: Browser, bare_server: ServerProcess
) -> None:
    link = bare_server.api("POST", "/api/login-codes", status=201)["url"]
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(link)
        page.wait_for_selector("body[data-ready]")
        page.goto(link)
        page.wait_for_selector("body[data-ready]")
        assert page.url == f"{bare_server.url}/"
    finally:
        context.close()
