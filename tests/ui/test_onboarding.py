"""A first run: credentials asked for by name, starts held until there is one, and
an image that cannot be built says what to do while its task waits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from runner.agents import REGISTRY
from tests.inprocess import InProcessServer
from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


@pytest.fixture
def fresh_server(tmp_path: Path, repo: Path, unbuildable_base: str) -> Iterator[ServerProcess]:
    """No credentials and the bundled images, built on the busybox test image: the
    builds fail (it has no apt-get), as they would offline."""
    server = InProcessServer(
        tmp_path / "data", [repo], image=None, env={"WALLFACER_IMAGE_BASE": unbuildable_base}
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_page(browser: Browser, fresh_server: ServerProcess) -> Iterator[Page]:
    page = sign_in(browser, fresh_server)
    yield page
    page.context.close()


def test_the_first_run_asks_each_agent_for_a_credential_and_holds_starts_until_then(
    fresh_page: Page, fresh_server: ServerProcess
) -> None:
    page, server = fresh_page, fresh_server
    task = server.create("say hi")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    strip = page.locator("#onboarding")
    expect(strip).to_be_visible()
    for name, agent in REGISTRY.items():
        form = strip.locator(f"form[data-agent={name}]")
        expect(form).to_contain_text(agent.title)
        options = form.locator("select option").all_text_contents()
        assert options == list(agent.credentials), "the names come from the registry"
    expect(strip.locator("form[data-agent=claude]")).to_contain_text("claude setup-token")
    expect(strip.locator("form[data-agent=codex]")).to_contain_text("OPENAI_API_KEY")

    # The default agent's image build fails in the background and its chip grows
    # the header; a click aimed before that lands would miss the moved card.
    expect(page.locator("#images .chip.failed[data-image=claude]")).to_be_visible(timeout=30_000)
    card = page.locator(f".card[data-id='{task['id']}']")
    card.click()
    start = page.locator("#detail-actions [data-action=start]")
    expect(start).to_be_disabled()
    expect(page.locator("#detail-blocked")).to_contain_text("claude has no credentials")
    expect(page.locator("#detail-blocked")).to_contain_text("CLAUDE_CODE_OAUTH_TOKEN")
    screenshot(page, "onboarding-start-held")
    page.locator("#detail [data-close]").click()
    card.drag_to(page.locator("[data-column=in_progress] .cards"))
    page.reload()  # whatever the drop did has reached the server by now
    page.wait_for_selector("body[data-ready]")
    expect(page.locator(f"[data-column=backlog] .card[data-id='{task['id']}']")).to_be_visible()
    assert server.task(task["id"])["status"] == "backlog"

    claude = strip.locator("form[data-agent=claude]")
    claude.locator("select").select_option("CLAUDE_CODE_OAUTH_TOKEN")
    claude.locator("input").fill("tok-test-0123456789-abcdefghijkl")
    claude.locator("button[type=submit]").click()
    expect(claude).to_have_count(0)
    expect(strip.locator("form[data-agent=codex]")).to_be_visible()
    screenshot(page, "onboarding-codex-left")
    keys = [e["key"] for e in server.api("GET", "/api/config")["env"]]
    assert "CLAUDE_CODE_OAUTH_TOKEN" in keys
    page.locator(f".card[data-id='{task['id']}']").drag_to(
        page.locator("[data-column=in_progress] .cards")
    )
    expect(page.locator(f"[data-column=in_progress] .card[data-id='{task['id']}']")).to_be_visible()


def test_a_failed_image_says_what_to_do_in_a_strip_that_covers_nothing_and_its_task_waits(
    fresh_page: Page, fresh_server: ServerProcess
) -> None:
    page, server = fresh_page, fresh_server
    server.api("PUT", "/api/config", {"env": {"ANTHROPIC_API_KEY": "sk-ant-test-0123456789abc"}})
    task = server.create("say hi")
    server.act(task["id"], "start")
    chip = page.locator("#images .chip.failed[data-image=claude]")
    expect(chip).to_contain_text("WALLFACER_IMAGE_BASE=", timeout=120_000)
    expect(chip).to_contain_text("WALLFACER_CLAUDE_BINARY=")
    expect(chip.locator("[data-retry=claude]")).to_be_visible()
    screenshot(page, "image-failed-chip")

    chip.locator("[data-log=claude]").click()
    panel = page.locator("#image-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".image-log")).to_contain_text("apt-get")
    strip, board = panel.bounding_box(), page.locator("#board").bounding_box()
    assert strip and board and strip["y"] + strip["height"] <= board["y"], "it covers no column"
    screenshot(page, "image-failed-panel")

    page.locator(f".card[data-id='{task['id']}']").click()
    expect(page.locator("#detail-log")).to_contain_text("image is not available")
    expect(page.locator("#detail-status")).to_have_text("running")
    page.locator("#detail-actions [data-action=cancel]").click()
    expect(page.locator("#confirm-text")).to_contain_text("0 files changed")
    page.locator("#confirm-dialog button[value=yes]").click()
    expect(page.locator("#detail-status")).to_have_text("cancelled")
