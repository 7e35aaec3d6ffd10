"""Searching every task, the archive view and bulk actions, in a real Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_search_finds_tasks_beyond_the_loaded_page(page: Page, server: ServerProcess) -> None:
    for n in range(3):
        server.create(f"rotate the needle {n}", title=f"Needle {n}")
    for n in range(105):  # newer: the backlog's first page of 100 holds none of the needles
        server.create(f"routine chore {n}")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    backlog = page.locator("[data-column=backlog] .card")
    expect(backlog).to_have_count(100)
    expect(page.locator(".card", has_text="Needle")).to_have_count(0)

    page.keyboard.press("/")
    page.keyboard.type("needl")
    expect(backlog).to_have_count(3)
    expect(page.locator("[data-column=backlog] .count")).to_have_text("· 3 found")
    screenshot(page, "search-beyond-page")

    page.keyboard.press("Escape")
    expect(backlog).to_have_count(100)
    expect(page.locator("[data-column=backlog] .count")).to_have_text("· 108")


def test_bulk_start_cancel_then_archive_all_and_unarchive(
    page: Page, server: ServerProcess
) -> None:
    for n in range(3):
        server.create(f"say bulk {n}", title=f"Bulk {n}")
    server.create("say left alone", title="Left alone")
    bulk = page.locator("#bulk")

    page.click("#select-mode")
    for n in range(3):
        page.locator(".card", has_text=f"Bulk {n}").click()
    expect(bulk).to_contain_text("3 tasks selected")
    page.click("[data-bulk=start]")
    waiting = page.locator("[data-column=waiting] .card", has_text="Bulk")
    expect(waiting).to_have_count(3, timeout=30_000)

    page.keyboard.press("s")  # selection mode again, from the keyboard
    for n in range(3):
        card = page.locator(".card", has_text=f"Bulk {n}")
        card.focus()
        page.keyboard.press(" ")
        expect(card).to_have_attribute("aria-selected", "true")
    expect(bulk.locator("[data-bulk=cancel]")).to_have_text("Cancel 3")
    page.click("[data-bulk=cancel]")
    expect(page.locator("#confirm-text")).to_contain_text("Cancel 3 tasks?")
    expect(page.locator("#confirm-dialog button[value=yes]")).to_have_text("Cancel 3 tasks")
    screenshot(page, "bulk-cancel-confirm")
    page.click("#confirm-dialog button[value=yes]")
    done = page.locator("[data-column=done] .card", has_text="Bulk")
    expect(done).to_have_count(3, timeout=20_000)
    expect(bulk).to_be_hidden()
    screenshot(page, "bulk-cancelled")

    page.click("[data-column=done] .archive-all")
    expect(done).to_have_count(0)
    expect(page.locator(".card", has_text="Left alone")).to_be_visible()

    page.click("#archive-view")
    archived = page.locator("[data-column=archived] .card")
    expect(archived).to_have_count(3)
    expect(page.locator("[data-column=backlog]")).to_have_count(0)
    screenshot(page, "archive-view")
    page.locator(".card", has_text="Bulk 1").locator("[data-unarchive]").click()
    expect(archived).to_have_count(2)

    page.click("#archive-view")
    expect(page.locator("[data-column=done] .card", has_text="Bulk 1")).to_be_visible()
    assert not server.task(page.locator(".card", has_text="Bulk 1").get_attribute("data-id") or "")[
        "archived"
    ]
