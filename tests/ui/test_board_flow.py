"""A person drives a task from the form to main, in a real Chromium."""

from __future__ import annotations

from pathlib import Path

import pygit2
from playwright.sync_api import Page, expect

from tests.gitrepo import file_on_branch
from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def card(page: Page, title: str):  # type: ignore[no-untyped-def]
    return page.locator(".card", has_text=title)


def test_create_drag_watch_feedback_accept(page: Page, server: ServerProcess, repo: Path) -> None:
    page.click("#new-task")
    page.fill(
        "#new-prompt",
        "say Working on it\nsleep 1\nwrite hello.txt hi from the board\nwrite run.py ++ sneaky",
    )
    page.fill("#new-title-input", "Board hello")
    page.click("#new-dialog button[type=submit]")
    backlog_card = page.locator("[data-column=backlog] .card", has_text="Board hello")
    expect(backlog_card).to_be_visible()

    backlog_card.drag_to(page.locator("[data-column=in_progress] .cards"))
    expect(page.locator("[data-column=in_progress] .card", has_text="Board hello")).to_be_visible()

    card(page, "Board hello").click()
    expect(page.locator("#detail-log")).to_contain_text("Working on it")
    waiting = page.locator("[data-column=waiting] .card", has_text="Board hello")
    expect(waiting).to_be_visible(timeout=20_000)
    expect(waiting.locator(".badge")).to_have_text("waiting")  # beside failed, under Needs you
    screenshot(page, "board-waiting")

    page.click("[data-tab=diff]")
    expect(page.locator(".diff-file h4")).to_have_text(["hello.txt", "run.py"])
    expect(page.locator(".diff-file tr.add").first).to_contain_text("hi from the board")
    # A content line that looks like a header is still shown (it would land).
    expect(page.locator(".diff-file tr.add", has_text="++ sneaky")).to_be_visible()
    expect(page.locator(".diff-file .diff-note").first).to_contain_text("new file mode")
    expect(page.locator(".raw-toggle")).to_be_hidden()  # it acts on the log only
    screenshot(page, "detail-diff")

    page.click("[data-tab=log]")
    page.fill("#feedback-text", "append hello.txt and a second line")
    page.click("[data-action=feedback]")
    expect(page.locator("#detail-log")).to_contain_text("You: append hello.txt", timeout=10_000)
    expect(page.locator("[data-action=accept]")).to_be_visible(timeout=20_000)
    expect(page.locator("#detail-actions [data-action=cancel]")).to_have_class(
        "danger apart"
    )  # set apart from Accept
    page.click("[data-action=accept]")
    accept = page.locator("#accept-dialog")
    expect(accept.locator("textarea")).to_have_value("Board hello")  # the title, plain
    expect(accept.locator("textarea")).to_be_focused()
    accept.locator("textarea").fill("")
    accept.get_by_role("button", name="Commit and merge").click()
    expect(accept.locator(".field-error[data-for=message]")).to_contain_text("must not be empty")
    accept.locator("textarea").fill("Greet from the board\n\nTwo lines of hello.")
    screenshot(page, "accept-dialog")
    accept.locator("textarea").press("Control+Enter")

    expect(page.locator("[data-column=done] .card", has_text="Board hello")).to_be_visible(
        timeout=20_000
    )
    assert file_on_branch(repo, "main", "hello.txt") == "hi from the board\nand a second line\n"
    landed = pygit2.Repository(str(repo)).head.peel(pygit2.Commit)
    assert landed.message == "Greet from the board\n\nTwo lines of hello."
    expect(page.locator("#detail-log")).to_contain_text(f"landed as {str(landed.id)[:12]}")
    page.click("[data-tab=usage]")
    expect(page.locator("table.usage tbody tr")).to_have_count(2)
    screenshot(page, "detail-done")


def test_the_conflict_reason_and_files_are_shown(
    page: Page, server: ServerProcess, repo: Path
) -> None:
    from tests.gitrepo import commit

    server.api("PUT", "/api/config", {"conflict_rounds": 0})  # the agent gets no rounds
    task = server.create("write README.md agent version", title="Conflicting")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    commit(repo, {"README.md": "user version\n"})
    card(page, "Conflicting").click()
    page.click("[data-action=accept]")
    page.locator("#accept-dialog button[type=submit]").click()
    reason = page.locator("#detail-reason .reason")
    expect(reason).to_contain_text("conflicts in", timeout=20_000)
    expect(reason.locator("li code")).to_have_text("README.md")
    expect(page.locator("#detail-conflicts .conflict-file tr.add")).to_contain_text("agent version")
    expect(card(page, "Conflicting").locator(".badge.conflict")).to_be_visible()
    expect(page.locator("#detail-log .entry.error")).to_contain_text("conflicts in")
    screenshot(page, "detail-conflict")


def test_keyboard_only_creation_and_opening(page: Page, server: ServerProcess) -> None:
    page.keyboard.press("n")
    expect(page.locator("#new-dialog")).to_be_visible()
    page.keyboard.type("Typed entirely from the keyboard")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#new-dialog")).to_be_hidden()
    expect(card(page, "Typed entirely")).to_be_visible()

    page.keyboard.press("/")
    page.keyboard.type("typed entirely")
    page.keyboard.press("Enter")
    expect(card(page, "Typed entirely")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#detail-title")).to_have_text("Typed entirely from the keyboard")
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    expect(card(page, "Typed entirely")).to_be_focused()


def test_validation_errors_show_next_to_their_field(page: Page) -> None:
    page.keyboard.press("n")
    page.click("#new-dialog button[type=submit]")
    expect(page.locator('[data-for="prompt"]')).to_contain_text("must not be empty")
    page.fill("#new-prompt", "x" * 100_001)
    page.click("#new-dialog button[type=submit]")
    expect(page.locator('[data-for="prompt"]')).to_contain_text("longer than")


def test_backlog_order_is_dragged_and_persists(page: Page, server: ServerProcess) -> None:
    for name in ("first", "second", "third"):
        server.create(f"order {name}")
    cards = page.locator("[data-column=backlog] .card")
    expect(cards).to_have_count(3)
    expect(cards.first).to_contain_text("order third")  # newest on top by default

    card(page, "order first").drag_to(card(page, "order third"))
    expect(cards.first).to_contain_text("order first")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("[data-column=backlog] .card").first).to_contain_text("order first")
    titles = [
        t["title"] for t in server.api("GET", "/api/tasks?status=backlog&order=position")["tasks"]
    ]
    assert titles == ["order first", "order third", "order second"]


def test_arrow_keys_move_between_cards_and_columns(page: Page, server: ServerProcess) -> None:
    server.create("older card")
    server.create("newer card")
    running = server.create("sleep 30")
    server.act(running["id"], "start")
    expect(page.locator("[data-column=in_progress] .card")).to_have_count(1)
    page.keyboard.press("/")
    page.keyboard.press("Enter")
    expect(card(page, "newer card")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(card(page, "older card")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-column=in_progress] .card")).to_be_focused()
    server.act(running["id"], "cancel")


def test_cancel_says_what_it_discards_and_asks_first(page: Page, server: ServerProcess) -> None:
    task = server.create("write notes.txt some notes", title="Discardable")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    card(page, "Discardable").click()
    page.locator("#detail-actions [data-action=cancel]").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm.locator("#confirm-text")).to_contain_text("discarded: 1 file changed")
    expect(page.locator("#detail-actions")).not_to_contain_text("null")
    screenshot(page, "cancel-confirm")
    confirm.get_by_role("button", name="Go back").click()
    assert server.task(task["id"])["status"] == "waiting", "going back cancels nothing"
    page.locator("#detail-actions [data-action=cancel]").click()
    confirm.get_by_role("button", name="Cancel the task").click()
    expect(page.locator("#detail-status")).to_have_text("cancelled")
