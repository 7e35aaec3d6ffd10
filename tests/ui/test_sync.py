"""A card says how far behind main its task is; Sync in the panel brings it level."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.gitrepo import commit
from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_a_card_shows_behind_and_sync_clears_it(
    page: Page, server: ServerProcess, repo: Path
) -> None:
    task = server.create("write feature.txt new feature", title="Feature")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    commit(repo, {"a.txt": "a\n"})
    commit(repo, {"b.txt": "b\n"})
    page.reload()
    page.wait_for_selector("body[data-ready]")
    card = page.locator(".card", has_text="Feature")
    expect(card.locator(".badge.behind")).to_have_text("2 behind")
    screenshot(page, "card-behind")

    card.click()
    page.click("#detail-actions [data-action=sync]")
    expect(card.locator(".badge.behind")).to_have_count(0)
    assert server.task(task["id"])["behind"] == 0
