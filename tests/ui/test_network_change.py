"""Requests Chromium drops when the host's network changes (Docker making a container's
interface does it) cost the board nothing: a module is loaded again, a read is asked again."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests.server_process import ServerProcess


def drop_first(page: Page, pattern: str) -> list[str]:
    """Fail the first request matching ``pattern`` as a network change would; return
    the URLs of every request it saw."""
    seen: list[str] = []

    def handle(route: Route) -> None:
        seen.append(route.request.url)
        if len(seen) == 1:
            route.abort("failed")
        else:
            route.continue_()

    page.route(pattern, handle)
    return seen


def test_a_module_that_failed_to_load_is_loaded_again(page: Page, server: ServerProcess) -> None:
    server.create("on the board")
    seen = drop_first(page, "**/static/js/cards.js")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator(".card", has_text="on the board")).to_be_visible()
    assert len(seen) == 2, "dropped once, then loaded with the page again"
    assert page.evaluate("sessionStorage.getItem('wallfacer-reloads')") is None


def test_a_read_that_got_no_answer_is_asked_again(page: Page, server: ServerProcess) -> None:
    seen = drop_first(page, "**/api/stats*")
    # Not the answer to a read the page made before the route (the dropped one has none).
    asked = page.expect_response(lambda r: "/api/stats" in r.url and bool(seen))
    with asked as answer:
        server.create("counted")
    assert answer.value.ok
    assert len(seen) == 2, "dropped once, asked again"
    expect(page.locator("[data-column=backlog] h2")).to_contain_text("· 1")
