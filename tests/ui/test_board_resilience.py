"""The page survives a server restart, escapes everything, and fits small windows."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, Route, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in

XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def test_the_page_catches_up_after_a_server_restart(page: Page, server: ServerProcess) -> None:
    before = server.create("made before the restart")
    expect(page.locator(".card", has_text="made before")).to_be_visible()

    server.stop()
    expect(page.locator("#banner")).to_be_visible(timeout=10_000)
    expect(page.locator("#banner")).to_have_text("Reconnecting…")
    screenshot(page, "board-reconnecting")

    server.start()
    after = server.create("made after the restart")
    server.api("PATCH", f"/api/tasks/{before['id']}", {"title": "renamed while away"})
    expect(page.locator(".card", has_text="made after the restart")).to_be_visible(timeout=15_000)
    expect(page.locator(".card", has_text="renamed while away")).to_be_visible()
    expect(page.locator("#banner")).to_be_hidden()
    assert after["id"]


def test_a_task_created_before_the_stream_opens_still_shows(
    browser: Browser, server: ServerProcess
) -> None:
    """The board is loaded, then its stream opens: a task made between the two is
    replayed from the sequence the listing gave, not missed."""
    context = browser.new_context()
    page = context.new_page()
    held: list[Route] = []

    def hold(route: Route) -> None:  # the stream opens once the test lets it
        held.append(route)

    page.route("**/api/stream*", hold)
    try:
        page.goto(server.api("POST", "/api/login-codes", status=201)["url"])
        page.wait_for_selector("body[data-ready]")
        assert len(held) == 1
        server.create("made before the stream opened")
        held[0].continue_()
        expect(page.locator(".card", has_text="made before the stream opened")).to_be_visible()
    finally:
        context.close()


def test_markup_in_prompts_and_agent_output_never_runs(page: Page, server: ServerProcess) -> None:
    task = server.create(f"say {XSS}\nsay **bold** and `code`", title=XSS)
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")

    card = page.locator(".card", has_text="<img src=x")
    expect(card).to_be_visible()
    card.click()
    expect(page.locator("#detail-title")).to_have_text(XSS)
    expect(page.locator("#detail-prompt")).to_contain_text("<script>window.__pwned=2</script>")
    log = page.locator("#detail-log")
    expect(log).to_contain_text('<img src=x onerror="window.__pwned=1">')
    expect(log.locator("strong", has_text="bold")).to_be_visible()
    page.click("#raw-toggle")
    expect(log.locator("pre.raw").first).to_be_visible()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    screenshot(page, "detail-xss-escaped")


def test_the_board_is_readable_at_900_px(browser: Browser, server: ServerProcess) -> None:
    for n in range(3):
        server.create(f"narrow window task {n}")
    page = sign_in(browser, server, width=900, height=700)
    try:
        expect(page.locator(".card")).to_have_count(3)
        for column in ("backlog", "in_progress", "waiting", "done"):
            box = page.locator(f"[data-column={column}]").bounding_box()
            assert box is not None and box["width"] >= 180
        screenshot(page, "board-900px")
    finally:
        page.context.close()


def test_settings_are_edited_with_credentials_masked(page: Page, server: ServerProcess) -> None:
    server.api("PUT", "/api/config", {"env": {"ANTHROPIC_API_KEY": "sk-ant-secret-value-1234"}})
    page.click("#open-settings")
    expect(page.locator("#env-rows li")).to_have_count(1)
    key_input = page.locator("#env-rows input")
    expect(key_input).to_have_attribute("placeholder", "sk-…1234")
    assert "secret" not in page.content()
    expect(page.locator("#cfg-image-claude")).to_be_disabled()  # pinned by --image for this run
    expect(page.locator("#cfg-image-codex")).to_be_enabled()
    expect(page.locator("#cfg-egress")).to_be_disabled()  # --egress none, for the fake agent
    expect(page.locator("#env-hint")).to_contain_text("codex: OPENAI_API_KEY (or CODEX_API_KEY)")
    expect(page.locator("#env-hint")).to_contain_text("endpoint ANTHROPIC_BASE_URL")
    page.fill("#cfg-max_parallel", "2")
    page.fill("#cfg-memory", "512m")
    page.fill("#cfg-pids_limit", "512")
    expect(page.locator("#cfg-diff_file_kb")).to_have_value("1024")
    page.fill("#cfg-diff_file_kb", "2048")
    expect(page.locator("#cfg-output_cap_mb")).to_have_value("100")
    page.fill("#cfg-output_cap_mb", "250")
    page.fill("#cfg-egress_allow", "Example.com, *.corp.example")
    page.check("#cfg-host_access")
    page.click("#settings-dialog button[type=submit]")
    expect(page.locator("#settings-saved")).to_have_text("Saved")
    page.keyboard.press("Escape")
    config = server.api("GET", "/api/config")
    assert (config["max_parallel"], config["memory"], config["pids_limit"]) == (2, "512m", 512)
    assert config["diff_file_kb"] == 2048
    assert config["output_cap_mb"] == 250
    assert config["egress_allow"] == ["*.corp.example", "example.com"]
    assert config["host_access"] is True
    page.click("#open-settings")
    expect(page.locator("#settings-saved")).to_be_empty()
    page.fill("#cfg-egress_allow", "not a host!")
    page.click("#settings-dialog button[type=submit]")
    expect(page.locator("#settings-dialog .field-error[data-for=egress_allow]")).to_contain_text(
        "not a host"
    )
    page.keyboard.press("Escape")
    assert config["env"] == [{"key": "ANTHROPIC_API_KEY", "value": "sk-…1234"}]


def test_a_failed_image_shows_in_the_header_with_a_retry(
    browser: Browser, server: ServerProcess, unbuildable_base: str, tmp_path: Path
) -> None:
    server.stop()
    server.extra_env["WALLFACER_IMAGE_BASE"] = unbuildable_base
    server.start()
    server.api("PUT", "/api/config", {"env": {"OPENAI_API_KEY": "sk-test-for-the-build"}})
    page = sign_in(browser, server)
    try:
        page.keyboard.press("n")
        page.fill("#new-prompt", "say hi")
        page.select_option("#new-agent", "codex")
        page.keyboard.press("Control+Enter")
        expect(page.locator(".card", has_text="say hi")).to_be_visible()
        task = server.api("GET", "/api/tasks")["tasks"][0]
        assert task["agent"] == "codex"
        server.act(task["id"], "start")
        chip = page.locator("#images .chip.failed")
        expect(chip).to_contain_text("codex image failed", timeout=60_000)
        expect(chip.locator("button[data-retry=codex]")).to_be_visible()
        screenshot(page, "board-image-failed")
    finally:
        page.context.close()
