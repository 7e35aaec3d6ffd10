"""Tags on cards and the board's tag filter, and a budget from the new-task dialog, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


def test_a_tag_chip_filters_the_board_and_the_header_clears_it(
    browser: Browser, bare_server: ServerProcess
) -> None:
    server = bare_server
    server.create("write the docs", title="Docs task", tags=["docs", "web"])
    server.create("fix the api", title="Api task", tags=["api"])
    server.create("untagged chore", title="Chore")
    page = sign_in(browser, server)
    cards = page.locator("[data-column=backlog] .card")
    expect(cards).to_have_count(3)
    docs = page.locator(".card", has_text="Docs task")
    expect(docs.locator(".tag")).to_have_text(["docs", "web"])

    docs.locator(".tag", has_text="web").click()
    expect(cards).to_have_count(1)
    expect(page.locator("#tag-filter")).to_have_value("web")
    expect(page.locator("#detail")).to_be_hidden()  # a chip filters; it does not open the task
    screenshot(page, "tag-filter")

    page.fill("#tag-filter", "api")
    page.press("#tag-filter", "Enter")
    expect(cards.locator(".title")).to_have_text(["Api task"])
    page.fill("#search", "docs")  # a search and a tag together: nothing has both
    expect(cards).to_have_count(0)
    page.fill("#search", "")
    page.fill("#tag-filter", "")
    page.press("#tag-filter", "Enter")
    expect(cards).to_have_count(3)

    page.click("#new-task")
    page.fill("#new-prompt", "tagged from the dialog")
    page.fill("#new-tags", "ops, docs")
    page.fill("#new-budget", "0.05")
    page.click("#new-dialog button[type=submit]")
    fresh = page.locator(".card", has_text="tagged from the dialog")
    expect(fresh.locator(".tag")).to_have_text(["ops", "docs"])
    expect(fresh.locator(".cost")).to_have_text("$0.0000 of $0.0500")
    page.click("#new-task")
    page.fill("#new-prompt", "badly tagged")
    page.fill("#new-tags", "two words")
    page.click("#new-dialog button[type=submit]")
    expect(page.locator('#new-form .field-error[data-for="tags"]')).to_contain_text("tag")
    page.context.close()
