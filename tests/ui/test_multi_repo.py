"""A task spanning two repositories, from the new-task dialog's boxes to its diff grouped
by repository and the commit each repository got, in a real Chromium on the real
engine with the fake agent."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.gitrepo import make_repo
from tests.server_process import ServerProcess
from tests.ui.conftest import screenshot, sign_in


def test_picking_another_repo_and_seeing_the_diff_grouped_by_repo(
    browser: Browser, server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    lib = make_repo(tmp_path / "lib", {"lib.txt": "v1\n"}).resolve()
    server.api("POST", "/api/repos", {"path": str(lib)}, status=201)
    page = sign_in(browser, server)
    page.click("#new-task")
    page.fill("#new-prompt", "write app.txt app change\nwrite /workspace/lib/util.txt lib change")
    page.select_option("#new-repo", label="project")
    boxes = page.locator("#new-also input[type=checkbox]")
    expect(boxes).to_have_count(1)  # the primary is not offered again
    page.get_by_label("Also in lib").check()
    screenshot(page, "multi-repo-dialog")
    page.click("#new-dialog button[type=submit]")
    card = page.locator(".card", has_text="write app.txt")
    expect(card.locator(".repo")).to_have_text(["project", "lib"])
    [task] = server.api("GET", "/api/tasks")["tasks"]
    assert task["also"] == [str(lib)]

    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    card.click()
    expect(page.locator("#detail-repos")).to_contain_text("Repositories: project, lib")
    page.click("[data-tab=diff]")
    groups = page.locator(".diff-repo")
    expect(groups.locator("> h3")).to_have_text(["project", "lib"])
    expect(groups.nth(0).locator(".diff-file")).to_have_attribute("data-path", "project/app.txt")
    expect(groups.nth(1).locator(".diff-file")).to_have_attribute("data-path", "lib/util.txt")
    expect(groups.nth(1)).to_contain_text("lib change")
    screenshot(page, "multi-repo-diff")

    server.act(task["id"], "accept")
    done = server.wait_for(task["id"], "done")
    commits = {entry["name"]: entry["commit"][:12] for entry in done["landed"]}
    landed = page.locator("#detail-repos")
    expect(landed).to_contain_text(f"project {commits['project']}")
    expect(landed).to_contain_text(f"lib {commits['lib']}")
    screenshot(page, "multi-repo-landed")
    page.context.close()
