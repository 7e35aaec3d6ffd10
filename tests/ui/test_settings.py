"""The settings dialog shows what is in use and says when a save took."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot


def test_settings_show_the_images_in_use_the_default_agent_and_prices_and_confirm_a_save(
    page: Page, server: ServerProcess
) -> None:
    config = server.api("GET", "/api/config")
    page.click("#open-settings")
    dialog = page.locator("#settings-dialog")
    expect(dialog).to_be_visible()
    claude_image = config["agents"]["claude"]["image"]
    expect(dialog.locator("#cfg-image-claude-in-use")).to_have_text(f"In use: {claude_image}")
    codex = dialog.locator("#cfg-image-codex-in-use")
    expect(codex).to_contain_text("wallfacer-codex:")
    expect(codex).to_contain_text("(bundled)")
    expect(dialog.locator("#cfg-default_agent")).to_have_value("claude")
    table = dialog.locator("#cfg-prices table[data-agent=codex]")
    models = table.locator("[data-model]")
    assert sorted(m.input_value() for m in models.all()) == sorted(config["prices"]["codex"])
    screenshot(page, "settings-agents")

    dialog.locator("#cfg-default_agent").select_option("codex")
    default = table.locator("tr", has=page.locator("[data-model]")).filter(
        has=page.locator("input[value=default]")
    )
    default.locator("[data-price=output]").fill("12.5")
    dialog.get_by_role("button", name="Add a model").click()
    table.locator("tbody tr").last.locator("[data-model]").fill("o4-mini")
    for key, value in (("input", "1.1"), ("cached_input", "0.275"), ("output", "4.4")):
        table.locator("tbody tr").last.locator(f"[data-price={key}]").fill(value)
    dialog.get_by_role("button", name="Save").click()
    saved = dialog.get_by_role("status")
    expect(saved).to_have_text("Saved")
    screenshot(page, "settings-saved")
    after = server.api("GET", "/api/config")
    assert after["default_agent"] == "codex"
    assert after["prices"]["codex"]["default"]["output"] == 12.5
    added = {"input": 1.1, "cached_input": 0.275, "output": 4.4}
    assert after["prices"]["codex"]["o4-mini"] == added

    # A change clears the confirmation; a refused save gives none and says why.
    table.locator("tbody tr").last.locator("[data-price=output]").fill("")
    expect(saved).to_have_text("")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator('.field-error[data-for="prices"]')).to_contain_text("o4-mini")
    expect(saved).to_have_text("")


def test_the_setup_script_for_every_repository_is_edited_in_the_settings(
    page: Page, server: ServerProcess
) -> None:
    page.click("#open-settings")
    script = page.get_by_label("Setup script (every repository)")
    expect(script).to_have_value("")
    script.fill('echo mine\nnpm install --prefix "$WALLFACER_PREFIX" -g tool')
    page.click("#settings-dialog button[type=submit]")
    expect(page.locator("#settings-saved")).to_have_text("Saved")
    assert server.api("GET", "/api/config")["setup_script"] == (
        'echo mine\nnpm install --prefix "$WALLFACER_PREFIX" -g tool'
    )
    page.keyboard.press("Escape")
    page.click("#open-settings")
    expect(script).to_have_value('echo mine\nnpm install --prefix "$WALLFACER_PREFIX" -g tool')
    script.fill("")
    page.click("#settings-dialog button[type=submit]")
    expect(page.locator("#settings-saved")).to_have_text("Saved")
    assert server.api("GET", "/api/config")["setup_script"] == ""


def test_the_instructions_are_edited_in_the_settings(page: Page, server: ServerProcess) -> None:
    page.click("#open-settings")
    dialog = page.locator("#settings-dialog")
    box = dialog.get_by_label("What every task's agent is told")
    expect(box).to_have_value("")
    box.fill("# House rules\n\nRun the tests before you finish.\n")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("status")).to_have_text("Saved")
    saved = "# House rules\n\nRun the tests before you finish.\n"
    assert server.api("GET", "/api/config")["instructions"] == saved, "kept as typed"
    box.scroll_into_view_if_needed()
    screenshot(page, "settings-instructions")

    # Too long: refused beside the box, nothing saved.
    box.fill("x" * (32 * 1024 + 1))
    dialog.get_by_role("button", name="Save").click()
    error = dialog.locator('.field-error[data-for="instructions"]')
    expect(error).to_contain_text("at most 32768")
    expect(box).to_have_attribute("aria-invalid", "true")
    assert server.api("GET", "/api/config")["instructions"] == saved

    box.fill("")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("status")).to_have_text("Saved")
    assert server.api("GET", "/api/config")["instructions"] == ""
    dialog.get_by_role("button", name="Close").click()
    server.api("PUT", "/api/config", {"instructions": "From elsewhere."})
    page.click("#open-settings")
    expect(box).to_have_value("From elsewhere.")
