"""Attempts in the browser: started from the task's panel, their diffs side by side in
the compare view, one accepted after a confirmation that names what it discards."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.gitrepo import file_on_branch
from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_attempts_are_started_compared_and_one_accepted(
    page: Page, server: ServerProcess, repo: Path
) -> None:
    task = server.create("model answer.txt", title="Answer")
    page.locator(".card", has_text="Answer").click()
    page.click("#detail-actions [data-action=attempts]")
    dialog = page.locator("#compare-dialog")
    expect(dialog).to_be_visible()
    models = dialog.locator(".attempt-specs input[name=model]")
    expect(models).to_have_count(2)
    models.nth(0).fill("alpha")
    models.nth(1).fill("beta")
    dialog.locator("button[type=submit]", has_text="Start attempts").click()
    columns = dialog.locator(".attempt")
    expect(columns).to_have_count(2)  # started: the server made them

    group = server.api("GET", f"/api/tasks/{task['id']}/attempts")["tasks"]
    assert [t["model"] for t in group[1:]] == ["alpha", "beta"]
    first, second = (t["id"] for t in group[1:])
    for attempt in (first, second):
        server.wait_for(attempt, "waiting")
    expect(columns.nth(0).locator("> header")).to_contain_text("alpha")
    expect(columns.nth(0).locator(".diff-view")).to_contain_text("alpha")
    expect(columns.nth(1).locator(".diff-view")).to_contain_text("beta")
    expect(columns.nth(1).locator(".badge.waiting")).to_be_visible()
    screenshot(page, "attempts-compare")

    # From an attempt's own panel, Accept asks first too; going back accepts nothing.
    dialog.locator("[data-close]").click()
    page.locator(f'.card[data-id="{first}"]').click()
    page.click("#detail-actions [data-action=accept]")
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("Original, Attempt 2")
    expect(confirm).to_contain_text("discarded")
    confirm.locator("button[value=no]").click()
    expect(page.locator("#accept-dialog")).to_be_hidden()
    assert server.task(first)["status"] == "waiting"

    # The comparison is one key away from the original's card.
    page.keyboard.press("Escape")  # the task's panel
    card = page.locator(f'.card[data-id="{task["id"]}"]')
    expect(card.locator(".badge.attempts")).to_have_text("2 attempts")
    expect(page.locator(f'.card[data-id="{first}"] .badge.attempts')).to_have_text("attempt")
    card.focus()
    page.keyboard.press("c")
    expect(dialog).to_be_visible()

    columns.nth(1).locator("[data-accept]").click()
    expect(confirm).to_contain_text("Accept Attempt 2? ")
    expect(confirm).to_contain_text("Original, Attempt 1")
    confirm.locator("button[value=yes]").click()
    page.locator("#accept-dialog button[type=submit]").click()  # the normal accept's message
    server.wait_for(second, "done")
    assert file_on_branch(repo, "main", "answer.txt") == "beta\n"
    assert server.wait_for(first, "cancelled")
    assert server.wait_for(task["id"], "cancelled")
    expect(columns.nth(0).locator(".badge.cancelled")).to_be_visible()
    expect(dialog.locator("[data-accept]")).to_have_count(0)
