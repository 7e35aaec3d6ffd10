"""Cards a person can scan: plain titles, no badge the column already says, the
queue for a slot told apart from running, run time that ticks, cost, agent, repo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.inprocess import InProcessServer
from tests.ui.conftest import screenshot, sign_in


@pytest.fixture
def one_slot(tmp_path: Path, repo: Path, sandbox_image: str) -> Iterator[InProcessServer]:
    proc = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--max-parallel", "1"))
    proc.start()
    yield proc
    proc.stop()


def test_queued_runs_wait_in_order_and_running_ones_tick(
    browser: Browser, one_slot: InProcessServer, repo: Path
) -> None:
    page: Page = sign_in(browser, one_slot)
    try:
        draft = one_slot.create("say later", title="## A **draft** in `backlog`")
        backlog = page.locator(f".card[data-id='{draft['id']}']")
        expect(backlog.locator(".title")).to_have_text("A draft in backlog")
        expect(backlog.locator(".badge")).to_have_count(0)  # the column says "Backlog"
        expect(backlog.locator(".agent")).to_have_text("Claude Code")
        expect(backlog.locator(".repo")).to_have_text(repo.name)

        ids = [one_slot.create(f"say run {n}\nsleep 4", title=f"Run *{n}*")["id"] for n in range(3)]
        for task_id in ids:
            one_slot.act(task_id, "start")
        card = {task_id: page.locator(f".card[data-id='{task_id}']") for task_id in ids}
        expect(page.locator("#totals")).to_contain_text("1 running · 2 queued")
        expect(card[ids[1]].locator(".badge.queued")).to_have_text("queued (1 of 2)")
        expect(card[ids[2]].locator(".badge.queued")).to_have_text("queued (2 of 2)")
        expect(card[ids[2]].locator(".title")).to_have_text("Run 2")

        running = card[ids[0]]
        expect(running.locator(".badge")).to_have_text("running")  # beside committing
        clock = running.locator(".elapsed[data-running]")
        first = clock.inner_text()
        expect(clock).not_to_have_text(first)  # one shared timer moves it on
        screenshot(page, "cards-queue")

        expect(page.locator("#totals")).to_contain_text("1 running · 1 queued", timeout=20_000)
        expect(card[ids[2]].locator(".badge.queued")).to_have_text("queued (1 of 1)")
        done = page.locator(f"[data-column=waiting] .card[data-id='{ids[0]}']")
        expect(done.locator(".cost")).to_have_text("$0.0125")
    finally:
        page.context.close()
