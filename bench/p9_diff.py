"""P9 the Diff tab at scale: a 5,000-line change rendered in Chromium, target < 500 ms.

The change is real: 20 Python files of 250 changed lines each in a task's
workspace, read back through the diff endpoint's own JSON (counts, hunks,
Pygments classes). Every file is under the collapse cap, so every line is drawn.
Candidate: diffview.js renders it, layout included. Baseline, in the same page
and run: the same lines as plain text rows, one element each.

Run: python -m bench.p9_diff   (needs Debian's chromium)
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from runner import repos, workspaces
from server import review
from tests.gitrepo import make_repo
from tests.ui.static_page import ORIGIN, serve

FILES, LINES, ROUNDS = 20, 250, 9
TARGET_MS = 500
RENDER = """async (data) => {
  const { DiffView } = await import("/js/diffview.js");
  const pane = document.querySelector("#pane");
  const start = performance.now();
  pane.replaceChildren(new DiffView({ onSend: async () => true }).render(data, true));
  void pane.offsetHeight;  // layout is part of being on screen
  return performance.now() - start;
}"""
PLAIN = """(lines) => {
  const pane = document.querySelector("#pane");
  const start = performance.now();
  const rows = lines.map((text) => { const row = document.createElement("div");
    row.textContent = text; return row; });
  pane.replaceChildren(...rows);
  void pane.offsetHeight;
  return performance.now() - start;
}"""


def change(root: Path) -> dict[str, Any]:
    source = {f"pkg/m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(FILES)}
    repo = make_repo(root / "repo", source)
    ws = workspaces.create(repos.inspect_repo(repo), "bench", root / "ws", "main")
    for n in range(FILES):
        body = "".join(f"def g{i}(x):\n    return x * {i}  # line {i}\n" for i in range(LINES // 2))
        (ws.path / "pkg" / f"m{n}.py").write_text(f"def f{n}():\n    return {n}\n" + body)
    return review.diff_json(workspaces.diff(ws))


def measure(page: Page, data: dict[str, Any]) -> tuple[list[float], list[float]]:
    lines = [
        "".join(text for _, text in line[3])
        for change in data["changes"]
        for hunk in change["hunks"]
        for line in [[" ", 0, 0, [["", hunk["header"]]]], *hunk["lines"]]
    ]
    fancy: list[float] = []
    plain: list[float] = []
    for _ in range(ROUNDS):  # interleaved, so drift on a shared machine hits both
        plain.append(float(page.evaluate(PLAIN, lines)))
        fancy.append(float(page.evaluate(RENDER, data)))
    return fancy, plain


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = change(Path(tmp))
    drawn = sum(f["additions"] + f["deletions"] for f in data["changes"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route("**/*", serve)
        page.goto(f"{ORIGIN}/")
        fancy, plain = measure(page, data)
        browser.close()
    cand, base = statistics.median(fancy), statistics.median(plain)
    print(f"P9 diff view: {len(data['changes'])} files, {drawn} changed lines, {ROUNDS} rounds")
    print(f"  baseline  plain text rows           {base:8.1f} ms")
    print(f"  candidate diffview.js (highlighted) {cand:8.1f} ms  (max {max(fancy):.1f})")
    verdict = "meets" if cand < TARGET_MS else "MISSES"
    print(f"  ratio {cand / base:.2f}x; target < {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
