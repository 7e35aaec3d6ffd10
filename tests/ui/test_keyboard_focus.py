"""The keyboard: a tab stop per column, and focus goes back to where it came from."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def card(page: Page, title: str):  # type: ignore[no-untyped-def]
    return page.locator(".card", has_text=title)


def test_tab_goes_column_to_column_remembering_the_card(page: Page, server: ServerProcess) -> None:
    for n in range(3):
        server.create(f"backlog card {n}")
    waiting = server.create("say over to you", title="Waiting card")
    server.act(waiting["id"], "start")
    server.wait_for(waiting["id"], "waiting")
    expect(page.locator("[data-column=waiting] .card")).to_have_count(1)
    stops = page.locator('[data-column=backlog] .card[tabindex="0"]')
    expect(stops).to_have_count(1)

    page.keyboard.press("/")
    page.keyboard.press("Enter")
    expect(card(page, "backlog card 2")).to_be_focused()
    page.keyboard.press("Tab")  # past the other backlog cards and the empty In Progress
    expect(card(page, "Waiting card")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(card(page, "backlog card 2")).to_be_focused()

    page.keyboard.press("ArrowDown")  # board.js's arrows still move within a column
    expect(card(page, "backlog card 1")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(card(page, "backlog card 1")).to_be_focused()

    server.create("backlog card 3")  # a live update draws cards again: still one stop
    expect(page.locator("[data-column=backlog] .card")).to_have_count(4)
    expect(stops).to_have_count(1)
    expect(card(page, "backlog card 1")).to_have_attribute("tabindex", "0")
    screenshot(page, "board-roving-focus")


def test_focus_returns_to_the_card_after_escape(page: Page, server: ServerProcess) -> None:
    server.create("escape back", title="Escape back")
    card(page, "Escape back").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail-title")).to_have_text("Escape back")
    expect(page.locator("#detail [data-close]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    expect(card(page, "Escape back")).to_be_focused()


def test_a_dialog_gives_focus_back_to_what_opened_it(page: Page, server: ServerProcess) -> None:
    task = server.create("write notes.txt notes", title="Dialog opener")
    card(page, "Dialog opener").click()
    delete = page.locator("#detail-actions [data-action=delete]")
    delete.focus()
    page.keyboard.press("Enter")
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_be_visible()
    # While it asks, an update draws the detail's buttons again: the opener is a new node.
    server.api("PATCH", f"/api/tasks/{task['id']}", {"title": "Dialog opener renamed"})
    expect(page.locator("#detail-title")).to_have_text("Dialog opener renamed")
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(delete).to_be_focused()

    card(page, "Dialog opener").focus()
    page.keyboard.press("n")
    expect(page.locator("#new-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(card(page, "Dialog opener")).to_be_focused()
