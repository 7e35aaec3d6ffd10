"""What needs a person is visible: failed beside waiting, counted in the header and
the title, and announced by the browser once the person allowed it."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in

# The browser's own Notification, recording what the board shows with it.
RECORD = """
window.shown = [];
const Real = window.Notification;
window.Notification = class extends Real {
  constructor(title, options) { super(title, options); window.shown.push(title); }
};
"""


def start(server: ServerProcess, prompt: str, title: str) -> str:
    task_id: str = server.create(prompt, title=title)["id"]
    server.act(task_id, "start")
    return task_id


def test_failed_tasks_need_you_beside_waiting_ones(page: Page, server: ServerProcess) -> None:
    page.context.grant_permissions(["notifications"])
    page.add_init_script(RECORD)
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#notify")).to_be_hidden()  # already allowed: nothing to ask
    expect(page).to_have_title("Wallfacer")

    waits = start(server, "say done", "Waits for review")
    fails = start(server, "fail", "Fails loudly")
    server.wait_for(waits, "waiting")
    server.wait_for(fails, "failed")

    column = page.locator("[data-column=waiting]")
    expect(column.locator("h2")).to_contain_text("Needs you · 2")
    expect(column.locator(f".card[data-id='{waits}'] .badge")).to_have_text("waiting")
    expect(column.locator(f".card[data-id='{fails}'] .badge")).to_have_text("failed")
    expect(page.locator("[data-column=done] .card")).to_have_count(0)
    expect(page.locator("#totals [data-needs-you]")).to_have_text("2 need you")
    expect(page).to_have_title("(2) Wallfacer")
    page.wait_for_function("window.shown.length === 2")
    shown = page.evaluate("window.shown")
    assert sorted(shown) == ["Fails loudly: failed", "Waits for review: waiting"]
    screenshot(page, "attention-needs-you")

    server.act(fails, "cancel")
    expect(page).to_have_title("(1) Wallfacer")
    expect(page.locator("#totals [data-needs-you]")).to_have_text("1 needs you")


def test_the_browser_asks_only_after_a_click(browser: Browser, server: ServerProcess) -> None:
    page = sign_in(browser, server)
    try:
        # Loading the board asked nothing: the permission is still undecided.
        assert page.evaluate("Notification.permission") == "default"
        ask = page.locator("#notify")
        expect(ask).to_be_visible()
        screenshot(page, "attention-notify-offer")
        ask.click()  # headless Chromium answers "denied" by itself
        expect(ask).to_be_hidden()
    finally:
        page.context.close()


def test_the_desktop_window_leaves_notifications_to_the_app(
    browser: Browser, server: ServerProcess
) -> None:
    page = sign_in(browser, server)
    try:
        page.context.grant_permissions(["notifications"])
        page.add_init_script("window.pywebview = {};" + RECORD)  # what pywebview injects
        page.reload()
        page.wait_for_selector("body[data-ready]")
        expect(page.locator("#notify")).to_be_hidden()
        fails = start(server, "fail", "Fails in the desktop")
        server.wait_for(fails, "failed")
        expect(page).to_have_title("(1) Wallfacer")  # the count still shows
        assert page.evaluate("window.shown") == []
    finally:
        page.context.close()
