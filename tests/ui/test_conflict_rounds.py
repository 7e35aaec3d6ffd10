"""An accept's conflict rounds as a person sees them: the setting in Settings, the
card of a task whose agent is resolving, and the round in its log."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.gitrepo import commit
from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_the_rounds_setting_the_card_and_the_log(
    page: Page, server: ServerProcess, repo: Path
) -> None:
    page.click("#open-settings")
    rounds = page.locator("#cfg-conflict_rounds")
    expect(rounds).to_have_value("3")
    rounds.fill("2")
    page.click("#settings-dialog button[type=submit]")
    expect(page.locator("#settings-saved")).to_have_text("Saved")
    assert server.api("GET", "/api/config")["conflict_rounds"] == 2
    page.click("#settings-dialog [data-close]")

    task = server.create(
        "onconflict merged\nconflictsleep 600\nwrite README.md agent version", title="Readme"
    )
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    commit(repo, {"README.md": "user version\n"})
    server.act(task["id"], "accept")

    card = page.locator("#board .card", has_text="Readme")
    expect(card.locator(".badge.conflict")).to_have_text("resolving conflict, round 1")
    expect(card).to_have_attribute("data-status", "in_progress")
    card.click()
    expect(page.locator("#detail")).to_contain_text("conflict round 1 of 2: README.md conflict")
    screenshot(page, "conflict-round")
    server.act(task["id"], "cancel")
    expect(card).to_have_attribute("data-status", "cancelled")
