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


def test_a_long_log_opens_on_its_newest_page_and_shows_earlier_ones_on_demand(
    page: Page, server: ServerProcess
) -> None:
    task = server.create("flood 1\nsay the very end", title="Chatty")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.locator(".card", has_text="Chatty").click()

    log = page.locator("#detail-log")
    expect(log.locator(".entry.text").last).to_have_text("the very end")
    earlier = page.locator("#detail-earlier")
    expect(earlier).to_be_visible()
    shown = log.locator("pre.raw").count()
    assert 100 < shown <= 200, "one page of the 2,700 lines"
    events = [url for url in asked if "/events" in url]
    assert len(events) == 1 and "before=0" in events[0] and "limit=200" in events[0]
    streams = [url for url in asked if url.endswith("/logs") or "/logs?" in url]
    assert all("last_event_id=" in url for url in streams), "the live log only follows"

    earlier.click()
    expect(log.locator("pre.raw")).to_have_count(shown + 200)
    expect(earlier).to_be_visible()
    screenshot(page, "detail-log-earlier")


def test_dropped_output_is_said_where_it_was(page: Page, server: ServerProcess) -> None:
    server.api("PUT", "/api/config", {"output_cap_mb": 1})
    task = server.create("flood 2", title="Capped")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    page.locator(".card", has_text="Capped").click()
    # Up to a cap's worth may follow the marker (output is dropped once past the
    # cap), so it can lie beyond the newest page: read back to the run's start.
    earlier = page.locator("#detail-earlier")
    expect(page.locator("#detail-log pre.raw").first).to_be_attached()
    for _ in range(20):
        if earlier.is_hidden():
            break
        before = page.locator("#detail-log > *").count()
        earlier.click()
        expect(page.locator("#detail-log > *")).not_to_have_count(before)
    expect(earlier).to_be_hidden()
    marker = page.locator("#detail-log .entry.dropped")
    expect(marker).to_have_count(1)
    expect(marker).to_contain_text("of earlier output")
    expect(marker).to_contain_text("lines) dropped")
    first_output = page.locator("#detail-log pre.raw").first
    assert marker.evaluate(
        "(m, o) => !!(m.compareDocumentPosition(o) & 4)", first_output.element_handle()
    )


def test_a_cut_line_says_how_much_was_not_stored(page: Page, server: ServerProcess) -> None:
    task = server.create("endless 3", title="Endless")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "failed")
    page.locator(".card", has_text="Endless").click()
    expect(page.locator("#detail-log .entry.junk")).to_contain_text("(2.0 MB more not stored)")


def test_a_followed_run_shows_only_its_newest_entries(page: Page, server: ServerProcess) -> None:
    task = server.create("sleep 2\nflood 1\nsay the very end", title="Followed")
    server.act(task["id"], "start")
    page.locator(".card", has_text="Followed").click()
    expect(page.locator("#detail-log .entry.text", has_text="Thinking for 2")).to_be_visible()
    log = page.locator("#detail-log")
    expect(log.locator(".entry.text").last).to_have_text("the very end", timeout=30_000)
    assert log.locator("pre.raw").count() <= 1000, "of the 2,700 lines that came live"
    expect(page.locator("#detail-earlier")).to_be_visible()
