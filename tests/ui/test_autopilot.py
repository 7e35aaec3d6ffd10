"""The header's Autopilot toggle and the cards of a plan: "blocked by" and "starts at"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


@pytest.fixture
def page(browser: Browser, bare_server: ServerProcess) -> Iterator[Page]:
    page = sign_in(browser, bare_server)
    yield page
    page.context.close()


def test_the_header_toggle_sets_the_autopilot_and_follows_other_changes(
    page: Page, bare_server: ServerProcess
) -> None:
    toggle = page.get_by_role("button", name="Autopilot")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.focus()
    page.keyboard.press("Enter")  # reachable from the keyboard
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert bare_server.api("GET", "/api/config")["autopilot"] is True
    bare_server.api("PUT", "/api/config", {"autopilot": False})  # as the tray does
    expect(toggle).to_have_attribute("aria-pressed", "false")


def test_cards_say_what_blocks_them_and_when_they_start(
    page: Page, bare_server: ServerProcess
) -> None:
    plan = [
        {"ref": "a", "prompt": "first", "title": "Make the parser"},
        {"ref": "b", "prompt": "then", "depends_on": ["a"], "scheduled_at": "2031-05-06T07:08Z"},
    ]
    refs = bare_server.api("POST", "/api/tasks/batch", {"tasks": plan}, status=201)["refs"]
    card = page.locator(f".card[data-id='{refs['b']}']")
    expect(card.locator(".blocked")).to_have_text("blocked by Make the parser")
    expect(card.locator(".scheduled")).to_contain_text("starts at")
    expect(card.locator(".scheduled")).to_contain_text("2031")
    expect(page.locator(f".card[data-id='{refs['a']}'] .waits")).to_have_count(0)
    # A task made in the dialog can wait for one on the board, and for a time.
    page.keyboard.press("n")
    dialog = page.locator("#new-dialog")
    dialog.get_by_label("Prompt").fill("last")
    dialog.locator("#new-depends").select_option(label="then")
    dialog.get_by_label("Start at").fill("2031-05-06T09:00")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    made = page.locator(".card", has_text="last")
    expect(made.locator(".blocked")).to_have_text("blocked by then")
    expect(made.locator(".scheduled")).to_contain_text("2031")
    screenshot(page, "cards-blocked")
