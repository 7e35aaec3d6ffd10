"""The detail's log: a tool call and its result read as one row."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_a_tool_call_and_its_result_share_a_row(page: Page, server: ServerProcess) -> None:
    task = server.create("write notes.txt some notes\ntoolfail frobnicate", title="Tools")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    page.locator(".card", has_text="Tools").click()

    log = page.locator("#detail-log")
    rows = log.locator(".entry.tool")
    expect(rows).to_have_count(2)
    expect(log.locator(".entry.result")).to_have_count(0)  # no result stands alone

    write, fail = rows.nth(0), rows.nth(1)
    expect(write.locator("summary")).to_contain_text("Write")
    expect(write.locator(".outcome")).to_have_text("done")
    write.locator("summary").click()
    expect(write.locator("pre.input")).to_contain_text("notes.txt")
    expect(write.locator("pre.output")).to_contain_text("File written:")

    expect(fail.locator(".outcome")).to_have_text("tool error")
    fail.locator("summary").click()
    expect(fail.locator("pre.output.error")).to_have_text("command not found")
    screenshot(page, "detail-log-tool-rows")

    page.reload()  # the whole log again, replayed from the start: still paired
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#detail-log .entry.tool")).to_have_count(2)
    expect(page.locator("#detail-log .entry.result")).to_have_count(0)
