"""The board's per-agent fields come from the registry: a third agent shows up in them."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.server_process import ServerProcess
from tests.third_agent import CLAUDE_IMAGE, NAME, TITLE
from tests.ui.conftest import sign_in


def test_the_board_offers_a_third_agent_and_its_image_setting(
    browser: Browser, third_agent_server: ServerProcess
) -> None:
    server = third_agent_server
    page = sign_in(browser, server)
    try:
        expect(page.locator(f"#new-agent option[value={NAME}]")).to_have_text(TITLE)
        page.click("#open-settings")
        expect(page.locator(f"label[for=cfg-image-{NAME}]")).to_have_text(f"{TITLE} image")
        expect(page.locator("#cfg-image-claude")).to_be_disabled()  # pinned by --image
        expect(page.locator("#env-hint")).to_contain_text(f"{NAME}: ECHO_API_KEY")
        page.fill(f"#cfg-image-{NAME}", "registry.test/echo:2")
        expect(page.locator(f"#onboarding form[data-agent={NAME}]")).to_contain_text("ECHO_API_KEY")
        page.click("#settings-dialog button[type=submit]")
        expect(page.locator("#settings-saved")).to_have_text("Saved")
        # An image of the user's own sets itself up: no credential is asked for.
        expect(page.locator(f"#onboarding form[data-agent={NAME}]")).to_have_count(0)
        page.click("#settings-dialog [data-close]")
        images = server.api("GET", "/api/config")["images"]
        assert images == {"claude": CLAUDE_IMAGE, "codex": "", NAME: "registry.test/echo:2"}

        page.keyboard.press("n")
        page.fill("#new-prompt", "say hi")
        page.select_option("#new-agent", NAME)
        page.keyboard.press("Control+Enter")
        expect(page.locator(".card", has_text="say hi")).to_be_visible()
        assert server.api("GET", "/api/tasks")["tasks"][0]["agent"] == NAME
    finally:
        page.context.close()
