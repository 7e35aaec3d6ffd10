"""Preview in the task's panel opens the agent's page in a new tab, whose script cannot
reach the board's API: the board refuses its read and its writes, cookie or not."""

from __future__ import annotations

import requests
from playwright.sync_api import Browser, Response, expect

from tests.e2e.test_preview import Start, refusal
from tests.polling import until
from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


def hostile_page(board: str) -> str:
    """The agent's page: a credentialed read of the board's tasks, a no-cors one (no
    Origin: an <img> could do the same), a no-cors write, and a form that posts to the
    board; what the script saw lands in #out."""
    api = f"{board}/api/tasks"
    script = (
        'const out = document.getElementById("out"); '
        f'fetch("{api}", {{credentials: "include"}})'
        '.then((r) => "read " + r.status, () => "read failed")'
        f'.then((read) => fetch("{api}", {{mode: "no-cors", credentials: "include"}})'
        ".then(() => read))"
        f'.then((read) => fetch("{api}", {{method: "POST", mode: "no-cors", '
        'credentials: "include", body: JSON.stringify({prompt: "planted by a preview"})})'
        '.then(() => read + "; write sent", () => read + "; write failed"))'
        ".then((seen) => { out.textContent = seen; document.body.dataset.done = 1; });"
    )
    return (
        "<!doctype html><title>the agent's page</title><h1>the agent's page</h1>"
        '<p id="out">pending</p>'
        f'<form method="post" action="{api}" enctype="text/plain">'
        '<input name="prompt" value="planted by a form"><button id="go">go</button></form>'
        f"<script>{script}</script>"
    )


def test_the_preview_opens_in_a_tab_whose_script_the_board_refuses(
    browser: Browser, open_server: ServerProcess, started: Start
) -> None:
    server = open_server
    prompt = "\n".join(
        [
            "run mkdir -p site",
            f"write site/index.html {hostile_page(server.url)}",
            "run httpd -p 8000 -h $PWD/site",
            "sleep 300",
        ]
    )
    task = started(server, prompt)
    until("the agent's server", lambda: _serving(server, task["id"]))
    page = sign_in(browser, server)
    board: list[tuple[str, int]] = []

    def seen(response: Response) -> None:
        """The board's answers to the preview's pages (the board's own page calls too)."""
        if response.url.startswith(server.url + "/api/tasks") and response.frame.page != page:
            board.append((response.request.method, response.status))

    page.goto(f"{server.url}/#task={task['id']}")
    page.wait_for_selector("body[data-ready]")
    port = page.locator("#detail-preview input[name=port]")
    expect(port).to_be_visible()
    port.fill("8000")
    page.context.on("response", seen)
    with page.context.expect_page() as opened:
        port.press("Enter")  # the keyboard's way: the form submits
    tab = opened.value
    expect(page.locator("#detail-preview a")).to_have_text("Preview of port 8000")
    screenshot(page, "preview-panel")
    tab.wait_for_selector("body[data-done]")
    assert tab.url.startswith("http://127.0.0.1:") and not tab.url.startswith(server.url)
    assert "wallfacer_preview" not in tab.url, "the token left the address bar"
    expect(tab.locator("h1")).to_have_text("the agent's page")
    # The read failed in the page, and not only by CORS: the board refused it (the
    # no-cors read's answer shows below, where a CORS failure has none to show).
    expect(tab.locator("#out")).to_have_text("read failed; write sent")
    screenshot(tab, "preview-tab")
    tab.click("#go")
    expect(tab.locator("body")).to_contain_text("cross-origin request")
    assert board and all(status == 403 for _, status in board), board
    assert {method for method, _ in board} == {"GET", "POST"}

    tasks = server.api("GET", "/api/tasks")["tasks"]
    assert [t["id"] for t in tasks] == [task["id"]]
    assert tasks[0]["status"] == "in_progress"
    page.context.close()


def _serving(server: ServerProcess, task_id: str) -> bool:
    made = server.request("PUT", f"/api/tasks/{task_id}/preview", json={"port": 8000})
    if made.status_code != 200:  # the container is still being made
        return False
    return requests.get(made.json()["url"], timeout=30).status_code == 200


def test_a_preview_refused_says_why_beside_the_port(
    browser: Browser, server: ServerProcess, started: Start
) -> None:
    """The default fixture's tasks have no network: the reason shows in the form."""
    task = started(server, "sleep 300")
    until("the container to run", lambda: refusal(server, f"/api/tasks/{task['id']}/preview"))
    page = sign_in(browser, server)
    page.goto(f"{server.url}/#task={task['id']}")
    page.wait_for_selector("body[data-ready]")
    page.fill("#detail-preview input[name=port]", "8000")
    page.click("#detail-preview [data-action=preview]")
    expect(page.locator("#detail-preview .field-error")).to_contain_text("no network")
    expect(page.locator("#detail-preview a")).to_have_count(0)
    assert page.context.pages == [page], "the tab opened for it is closed again"
    screenshot(page, "preview-refused")
    page.context.close()
