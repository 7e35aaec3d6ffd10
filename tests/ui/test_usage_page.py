"""The usage page draws cost and tokens per day, repository and agent, and exports CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect

from runner.agents import Usage
from tests.server_process import ServerProcess
from tests.turns import turn
from tests.ui.conftest import screenshot, sign_in


def test_the_usage_page_charts_the_period_and_downloads_csv(
    browser: Browser, bare_server: ServerProcess
) -> None:
    claude = bare_server.create("a claude task")
    codex = bare_server.create("a codex task", agent="codex")
    noon = datetime.now(UTC).replace(hour=12)
    turn(bare_server, claude["id"], noon, Usage(1200, 300, 0, 0, 1.5))
    turn(bare_server, codex["id"], noon - timedelta(days=2), Usage(400, 100, 0, 0, 0.5))
    page = sign_in(browser, bare_server)
    try:
        page.keyboard.press("Escape")  # the first-run prompts, if any
        page.get_by_role("button", name="Usage").click()
        dialog = page.locator("#usage-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#usage-totals")).to_have_text("$2.00 and 2,000 tokens in 30 days")
        cost = dialog.get_by_role("img", name="Cost per day")
        assert cost.locator("rect").count() == 30, "a bar for every day, empty ones too"
        tall = cost.locator("rect[height]:not([height='0'])")
        expect(tall).to_have_count(2)
        tokens = dialog.get_by_role("img", name="Tokens per day")
        expect(tokens.locator("rect.output:not([height='0'])")).to_have_count(2)
        shares = dialog.locator(".shares").nth(1)  # per agent
        expect(shares.locator("li")).to_have_count(2)
        expect(shares.locator("li").first).to_contain_text("claude")
        expect(shares.locator("li").first).to_contain_text("$1.50")
        screenshot(page, "usage-page")

        dialog.locator("#usage-days").select_option("7")
        expect(dialog.locator("#usage-totals")).to_have_text("$2.00 and 2,000 tokens in 7 days")
        with page.expect_download() as download:
            dialog.get_by_role("link", name="Download CSV").click()
        lines = download.value.path().read_text().splitlines()
        assert lines[0].startswith("day,repo,agent,")
        assert len(lines) == 3
    finally:
        page.context.close()
