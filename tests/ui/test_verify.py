"""Test in the task's panel runs the verifier; the card and the panel show its
verdict, the panel with its reasons (as text), and each task's switches."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_test_shows_the_verdict_on_the_card_and_its_reasons_in_the_panel(
    page: Page, server: ServerProcess
) -> None:
    passing = server.create(
        "write ok.txt fine\nverdict PASS ok.txt holds <b>fine</b>", title="Passing"
    )
    failing = server.create("write no.txt bad\nverdict FAIL no.txt is wrong", title="Failing")
    for task in (passing, failing):
        server.act(task["id"], "start")
        server.wait_for(task["id"], "waiting")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    page.keyboard.press("Escape")  # the first-run prompts, if any
    card = page.locator(".card", has_text="Passing")
    expect(card.locator(".badge.verdict")).to_have_count(0)

    card.click()
    page.click("#detail-actions [data-action=verify]")
    expect(card.locator(".badge.verdict")).to_have_text("PASS", timeout=30_000)
    panel = page.locator("#detail-verdict")
    expect(panel.locator(".badge.verdict")).to_have_text("PASS")
    # The verifier's words are text: the markup in them shows, and is not run.
    expect(panel.locator(".verdict-reasons")).to_have_text("ok.txt holds <b>fine</b>")
    expect(panel.locator("b")).to_have_count(0)
    expect(card.locator(".badge.verdict")).to_have_attribute("title", "ok.txt holds <b>fine</b>")
    page.click("[data-tab=usage]")
    expect(page.locator("#detail-pane td.activity")).to_have_text(["run", "verify"])

    other = page.locator(".card", has_text="Failing")
    other.click()
    page.click("#detail-actions [data-action=verify]")
    expect(other.locator(".badge.verdict")).to_have_text("FAIL", timeout=30_000)
    expect(page.locator("#detail-verdict .verdict-reasons")).to_have_text("no.txt is wrong")
    page.locator("#detail-verdict").scroll_into_view_if_needed()
    screenshot(page, "verify-fail")

    page.select_option("#detail-auto_accept", "false")
    expect(page.locator("#detail-auto_accept")).to_have_value("false")
    assert server.task(failing["id"])["auto_accept"] is False


def test_the_settings_switch_testing_accepting_and_helpers(
    page: Page, server: ServerProcess
) -> None:
    page.click("#open-settings")
    for name in ("auto_test", "auto_accept", "helpers"):
        expect(page.locator(f"#cfg-{name}")).not_to_be_checked()
        page.check(f"#cfg-{name}")
    page.click("#settings-dialog button[type=submit]")
    expect(page.locator("#settings-saved")).to_have_text("Saved")
    config = server.api("GET", "/api/config")
    assert (config["auto_test"], config["auto_accept"], config["helpers"]) == (True, True, True)
