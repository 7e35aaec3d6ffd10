"""The Diff tab's view (diffview.js) in a real Chromium, fed the server's own JSON for
real git changes: the file tree, counts, highlighting, layouts, caps and line comments.

The page loads the modules and the stylesheet from disk; no Wallfacer server or Docker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from runner import conflicts, diffs, workspaces
from server import review
from tests.gitrepo import commit, make_repo
from tests.runner.test_review_git import task_ws
from tests.ui.conftest import screenshot
from tests.ui.static_page import ORIGIN, serve

SHOW = """async ([data, canSend]) => {
  const { DiffView } = await import("/js/diffview.js");
  window.sent = [];
  window.view = new DiffView({ onSend: async (m) => { window.sent.push(m); return true; } });
  document.querySelector("#pane").replaceChildren(window.view.render(data, canSend));
}"""
MINUS = "\N{MINUS SIGN}"  # the view's minus, as a typesetter writes it
HOSTILE = "<img src=x onerror=window.pwned=1><script>window.pwned=1</script>"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.route("**/*", serve)
    page.goto(f"{ORIGIN}/")
    yield page
    context.close()


@pytest.fixture
def change(tmp_path: Path) -> dict[str, Any]:
    """A task's change as the diff endpoint sends it: code, a big file, a huge one, and
    one past the byte cap."""
    repo = make_repo(
        tmp_path / "p",
        {"src/app.py": "def main():\n    return 1\n", "docs/notes.md": "# N\n", "old.txt": "x\n"},
    )
    ws = task_ws(repo, tmp_path)
    (ws.path / "src" / "app.py").write_text(
        'def main():\n    """Say hi."""\n    return "hi"  # changed\n'
    )
    (ws.path / "docs" / "notes.md").write_text(f"# N\n{HOSTILE}\n")
    (ws.path / "old.txt").unlink()
    (ws.path / "data.csv").write_text("".join(f"{i},{i * i}\n" for i in range(500)))
    (ws.path / "huge.txt").write_text("y\n" * 10_001)
    (ws.path / "dump.log").write_bytes(b"z\n" * (diffs.MAX_FILE_BYTES // 2 + 1))  # not read
    return review.diff_json(workspaces.diff(ws))


def test_tree_counts_highlighting_and_caps(page: Page, change: dict[str, Any]) -> None:
    page.evaluate(SHOW, [change, True])
    expect(page.locator(".diff-total")).to_have_text(f"6 files +10504 {MINUS}2 (1 not counted)")
    tree = page.locator(".diff-tree")
    expect(tree.locator(".dir > span")).to_have_text(["docs/", "src/"])
    expect(tree.locator("button[data-path='src/app.py']")).to_have_text(f"app.py+2 {MINUS}1")
    app = page.locator(".diff-file[data-path='src/app.py']")
    expect(app.locator("header .stats")).to_have_text(f"+2 {MINUS}1")
    expect(app.locator("td.code .t-k").first).to_have_text("def")
    expect(app.locator("tr.add td.code .t-s").first).to_have_text('"""Say hi."""')
    expect(app.locator("tr.add td.code .t-c")).to_have_text("# changed")
    big = page.locator(".diff-file[data-path='data.csv']")
    expect(big.locator("button.expand")).to_have_text("Show 500 lines")
    expect(page.locator(".diff-file[data-path='huge.txt'] .too-large")).to_have_text(
        "Too large to show (10001 lines changed)."
    )
    expect(page.locator(".diff-file[data-path='dump.log'] .too-large")).to_have_text(
        "Too large to show (1.0 MB, not read)."
    )
    expect(tree.locator("button[data-path='dump.log']")).to_have_text("dump.log1.0 MB")
    expect(page.locator(".diff-file[data-path='old.txt'] .diff-note")).to_have_text(
        "deleted file mode 100644"
    )
    screenshot(page, "diffview-unified")
    big.locator("button.expand").click()
    expect(page.locator(".diff-file[data-path='data.csv'] tr.add")).to_have_count(500)
    # Untrusted text stays text: the markup in the file is shown, never run.
    notes = page.locator(".diff-file[data-path='docs/notes.md'] tr.add td.code")
    expect(notes).to_have_text(HOSTILE)
    assert page.evaluate("window.pwned ?? null") is None
    assert page.locator(".diff-files img, .diff-files script").count() == 0


def test_split_view_is_remembered(page: Page, change: dict[str, Any]) -> None:
    page.evaluate(SHOW, [change, True])
    page.click("[data-mode=split]")
    app = page.locator(".diff-file[data-path='src/app.py'] table.split")
    expect(app).to_be_visible()
    # The removed line faces the first added one on the same row.
    row = app.locator("tr.change").first
    expect(row.locator("td.code.del")).to_have_text("    return 1")
    expect(row.locator("td.code.add")).to_have_text('    """Say hi."""')
    screenshot(page, "diffview-split")
    page.reload()
    page.evaluate(SHOW, [change, True])
    expect(page.locator("[data-mode=split]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".diff-file table.split").first).to_be_visible()


def test_line_comments_gather_into_one_message(page: Page, change: dict[str, Any]) -> None:
    page.evaluate(SHOW, [change, True])
    app = page.locator(".diff-file[data-path='src/app.py']")
    app.locator("td.code", has_text="# changed").click()
    page.fill("tr.comment-form textarea", "Keep returning a number.")
    page.click("tr.comment-form button[type=submit]")
    app.locator("tr.del td.code").click()
    page.fill("tr.comment-form textarea", "Why remove this?")
    page.click("tr.comment-form button[type=submit]")
    expect(page.locator(".diff-comments li")).to_have_count(2)
    expect(app.locator("tr.comment")).to_have_count(2)
    screenshot(page, "diffview-comments")
    page.click("[data-action=send-comments]")
    expect(page.locator(".diff-comments")).to_have_count(0)
    assert page.evaluate("window.sent") == [
        "Comments on the diff:\n\n"
        'src/app.py:3\n>     return "hi"  # changed\nKeep returning a number.\n\n'
        "src/app.py:2 (a removed line)\n>     return 1\nWhy remove this?"
    ]


def test_comments_wait_for_a_task_that_takes_feedback(page: Page, change: dict[str, Any]) -> None:
    page.evaluate(SHOW, [change, False])
    page.locator(".diff-file[data-path='src/app.py'] tr.add td.code").first.click()
    page.fill("tr.comment-form textarea", "Later.")
    page.click("tr.comment-form button[type=submit]")
    expect(page.locator("[data-action=send-comments]")).to_be_disabled()
    expect(page.locator(".diff-comments")).to_contain_text("while the task waits for you")


def test_conflicting_hunks_show_both_sides(page: Page, tmp_path: Path) -> None:
    lines = "".join(f"line {i}\n" for i in range(1, 12))
    repo = make_repo(tmp_path / "p", {"a.py": lines})
    ws = task_ws(repo, tmp_path)
    (ws.path / "a.py").write_text(lines.replace("line 5\n", "task = 5\n"))
    commit(repo, {"a.py": lines.replace("line 5\n", "main = 5\n")})
    data = review.conflicts_json(conflicts.conflicts(ws, repo, "main"))
    page.evaluate(
        """async ([data]) => {
          const { conflictView } = await import("/js/diffview.js");
          document.querySelector("#pane").replaceChildren(conflictView(data, "main"));
        }""",
        [data],
    )
    file = page.locator(".conflict-file[data-path='a.py']")
    expect(file.locator("tr.del")).to_have_text(["main" + "main = 5"])
    expect(file.locator("tr.add")).to_have_text(["task" + "5" + "task = 5"])
    expect(file.locator("tr.ctx")).to_have_count(6)
    screenshot(page, "diffview-conflict")
