"""The task detail is a route beside the board: it never covers what needs a person."""

from __future__ import annotations

from playwright.sync_api import Browser, FloatRect, Page, Route, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


def waiting_task(server: ServerProcess, title: str) -> str:
    task = server.create("say done for now", title=title)
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    return str(task["id"])


def box(page: Page, selector: str) -> FloatRect:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def test_the_address_names_the_open_task(page: Page, server: ServerProcess) -> None:
    first = server.create("first routed task", title="First routed")
    second = server.create("second routed task", title="Second routed")
    page.locator(".card", has_text="First routed").click()
    expect(page.locator("#detail-title")).to_have_text("First routed")
    assert page.evaluate("location.hash") == f"#task={first['id']}"

    page.locator(".card", has_text="Second routed").click()
    expect(page.locator("#detail-title")).to_have_text("Second routed")
    page.go_back()
    expect(page.locator("#detail-title")).to_have_text("First routed")
    page.go_forward()
    expect(page.locator("#detail-title")).to_have_text("Second routed")

    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#detail-title")).to_have_text("Second routed")
    assert page.evaluate("location.hash") == f"#task={second['id']}"

    page.locator("#detail [data-close]").click()
    expect(page.locator("#detail")).to_be_hidden()
    assert page.evaluate("location.hash") == ""
    expect(page.locator(".card", has_text="Second routed")).to_be_focused()
    page.go_back()
    expect(page.locator("#detail-title")).to_have_text("Second routed")


def test_a_task_that_loads_late_never_replaces_or_closes_the_one_asked_for_since(
    page: Page, server: ServerProcess
) -> None:
    """Clicked one after the other, the first task's answer held back until the second
    is shown: the panel stays on the second, as does the address."""
    first = server.create("first task", title="Slow to load")
    second = server.create("second task", title="Asked for since")
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(f"**/api/tasks/{first['id']}", hold)
    page.locator(".card", has_text="Slow to load").click()
    page.wait_for_function("location.hash.includes('task=')")
    page.locator(".card", has_text="Asked for since").click()
    expect(page.locator("#detail-title")).to_have_text("Asked for since")
    assert len(held) == 1
    held[0].continue_()  # the first answer arrives last
    page.wait_for_timeout(300)
    expect(page.locator("#detail-title")).to_have_text("Asked for since")
    assert page.evaluate("location.hash") == f"#task={second['id']}"


def test_an_unknown_task_in_the_address_leaves_the_board(page: Page) -> None:
    page.goto(page.url.split("#")[0] + "#task=no-such-task")
    expect(page.locator(".toast")).to_be_visible()
    expect(page.locator("#detail")).to_be_hidden()
    assert page.evaluate("location.hash") == ""


def test_the_board_shrinks_beside_the_detail_at_1280_px(page: Page, server: ServerProcess) -> None:
    waiting_task(server, "Needs an answer")
    server.create("say finished", title="Queued")
    page.locator(".card", has_text="Needs an answer").click()
    expect(page.locator("#detail-title")).to_have_text("Needs an answer")
    detail = box(page, "#detail")
    header = box(page, ".topbar")
    assert detail["y"] >= header["y"] + header["height"] - 1, "the header stays in view"
    for column in ("backlog", "in_progress", "waiting", "done"):
        col = box(page, f"[data-column={column}]")
        assert col["x"] >= 0 and col["x"] + col["width"] <= detail["x"], column
        assert col["width"] >= 140, column
    expect(page.locator("[data-column=waiting] .card")).to_be_in_viewport()
    screenshot(page, "detail-split-1280")


def test_the_split_is_resized_by_drag_and_keys_and_remembered(
    page: Page, server: ServerProcess
) -> None:
    server.create("resizable", title="Resizable")
    page.locator(".card", has_text="Resizable").click()
    expect(page.locator("#detail-title")).to_have_text("Resizable")
    before = box(page, "#detail")["width"]

    handle = box(page, "#splitter")
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + 200
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 50, y, steps=5)
    page.mouse.up()
    dragged = box(page, "#detail")["width"]
    assert abs(dragged - (before + 50)) <= 2

    page.focus("#splitter")
    page.keyboard.press("ArrowRight")
    narrowed = box(page, "#detail")["width"]
    assert abs(narrowed - (dragged - 40)) <= 2
    expect(page.locator("#splitter")).to_have_attribute("aria-valuenow", str(round(narrowed)))

    page.keyboard.press("Home")  # the narrowest it may be
    assert box(page, "#detail")["width"] == 320
    page.keyboard.press("End")  # the widest: the board keeps room for its columns
    widest = box(page, "#detail")["width"]
    done = box(page, "[data-column=done]")
    assert done["x"] + done["width"] <= box(page, "#detail")["x"]

    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#detail-title")).to_have_text("Resizable")
    assert abs(box(page, "#detail")["width"] - widest) <= 2


def test_at_900_px_the_detail_is_a_page_with_a_back_button(
    browser: Browser, server: ServerProcess
) -> None:
    waiting_task(server, "Narrow waiting")
    page = sign_in(browser, server, width=900, height=700)
    try:
        page.locator(".card", has_text="Narrow waiting").click()
        expect(page.locator("#detail-title")).to_have_text("Narrow waiting")
        expect(page.locator("#board")).to_be_hidden()
        back = page.get_by_role("button", name="← Back")
        expect(back).to_be_visible()
        detail = box(page, "#detail")
        header = box(page, ".topbar")
        assert detail["width"] >= 880 and detail["y"] >= header["y"] + header["height"] - 1
        screenshot(page, "detail-page-900px")

        back.click()
        expect(page.locator("#detail")).to_be_hidden()
        expect(page.locator(".card", has_text="Narrow waiting")).to_be_focused()
        for column in ("backlog", "in_progress", "waiting", "done"):
            assert box(page, f"[data-column={column}]")["width"] >= 180, column
        screenshot(page, "board-after-back-900px")
    finally:
        page.context.close()
