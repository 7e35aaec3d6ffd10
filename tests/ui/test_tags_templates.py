"""Tags on cards and the board's tag filter, a budget and a prompt template from the new-task
dialog, in a real Chromium."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


def test_a_tag_chip_filters_the_board_and_the_header_clears_it(
    browser: Browser, bare_server: ServerProcess
) -> None:
    server = bare_server
    server.create("write the docs", title="Docs task", tags=["docs", "web"])
    server.create("fix the api", title="Api task", tags=["api"])
    server.create("untagged chore", title="Chore")
    page = sign_in(browser, server)
    cards = page.locator("[data-column=backlog] .card")
    expect(cards).to_have_count(3)
    docs = page.locator(".card", has_text="Docs task")
    expect(docs.locator(".tag")).to_have_text(["docs", "web"])

    docs.locator(".tag", has_text="web").click()
    expect(cards).to_have_count(1)
    expect(page.locator("#tag-filter")).to_have_value("web")
    expect(page.locator("#detail")).to_be_hidden()  # a chip filters; it does not open the task
    screenshot(page, "tag-filter")

    page.fill("#tag-filter", "api")
    page.press("#tag-filter", "Enter")
    expect(cards.locator(".title")).to_have_text(["Api task"])
    page.fill("#search", "docs")  # a search and a tag together: nothing has both
    expect(cards).to_have_count(0)
    page.fill("#search", "")
    page.fill("#tag-filter", "")
    page.press("#tag-filter", "Enter")
    expect(cards).to_have_count(3)

    page.click("#new-task")
    page.fill("#new-prompt", "tagged from the dialog")
    page.fill("#new-tags", "ops, docs")
    page.fill("#new-budget", "0.05")
    page.click("#new-dialog button[type=submit]")
    fresh = page.locator(".card", has_text="tagged from the dialog")
    expect(fresh.locator(".tag")).to_have_text(["ops", "docs"])
    expect(fresh.locator(".cost")).to_have_text("$0.0000 of $0.0500")
    page.click("#new-task")
    page.fill("#new-prompt", "badly tagged")
    page.fill("#new-tags", "two words")
    page.click("#new-dialog button[type=submit]")
    expect(page.locator('#new-form .field-error[data-for="tags"]')).to_contain_text("tag")
    page.context.close()


def test_the_new_task_dialog_fills_a_template_and_saves_one(
    browser: Browser, bare_server: ServerProcess
) -> None:
    server = bare_server
    template = {"name": "Bug fix", "text": "Fix {{issue}} in {{module}}"}
    server.api("POST", "/api/templates", template, status=201)
    page = sign_in(browser, server)
    page.click("#new-task")
    page.select_option("#new-template", label="Bug fix")
    expect(page.locator("#new-prompt")).to_have_value("Fix {{issue}} in {{module}}")
    variables = page.locator("#new-variables [data-variable]")
    expect(variables).to_have_count(2)
    page.fill("[data-variable=issue]", "#12")
    page.click("#new-dialog button[type=submit]")
    expect(page.locator('#new-form .field-error[data-for="variables"]')).to_have_text(
        "template variables: missing module"
    )
    page.fill("[data-variable=module]", "auth")
    screenshot(page, "template-picker")
    page.click("#new-dialog button[type=submit]")
    expect(page.locator(".card", has_text="Fix #12 in auth")).to_be_visible()

    page.click("#new-task")
    expect(page.locator("#new-variables [data-variable]")).to_have_count(0)
    page.fill("#new-prompt", "Review {{file}} for style")
    page.fill("#new-template-name", "Review")
    page.click("#save-template")
    expect(page.locator("#new-template option:checked")).to_have_text("Review")
    expect(page.locator("[data-variable=file]")).to_be_visible()
    page.fill("#new-template-name", "Review")
    page.click("#save-template")  # the same name again: refused, beside the name
    expect(page.locator('#new-form .field-error[data-for="name"]')).to_contain_text("exists")
    page.click("#delete-template")
    expect(page.locator("#new-template option")).to_have_text(["None: write the prompt", "Bug fix"])
    assert [t["name"] for t in server.api("GET", "/api/templates")["templates"]] == ["Bug fix"]
    page.context.close()


def test_the_task_panel_edits_tags_and_budget(browser: Browser, bare_server: ServerProcess) -> None:
    server = bare_server
    task = server.create("tidy the docs", title="Tidy", tags=["docs"])
    page = sign_in(browser, server)
    card = page.locator(".card", has_text="Tidy")
    card.click()
    expect(page.locator("#detail-tags")).to_have_value("docs")
    page.fill("#detail-tags", "docs, later")
    page.press("#detail-tags", "Enter")
    expect(card.locator(".tag")).to_have_text(["docs", "later"])
    page.fill("#detail-budget", "0.25")
    page.press("#detail-budget", "Enter")
    expect(card.locator(".cost")).to_have_text("$0.0000 of $0.2500")
    assert server.task(task["id"])["budget_usd"] == 0.25
    screenshot(page, "task-fields")
    page.fill("#detail-tags", "no spaces please")
    page.press("#detail-tags", "Enter")
    expect(page.locator('.task-fields .field-error[data-for="tags"]')).to_contain_text("tag")
    assert server.task(task["id"])["tags"] == ["docs", "later"]
    page.context.close()
