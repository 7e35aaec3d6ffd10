"""render.js in a real browser: the DOM it builds from Markdown, diffs and numbers.

One page loads the module from disk (no Wallfacer server, no Docker) and every case
renders in it; ``inline`` is not exported, so its cases go through ``markdown``.
Untrusted text must only ever become text: no case may create an element or
attribute from its input, or make the page fetch anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest
from playwright.sync_api import Browser, Page, Route

from runner.repos import diff_commits
from tests.gitrepo import commit_all, make_repo

STATIC = Path(__file__).resolve().parents[2] / "server" / "static"
ORIGIN = "http://render.test"
MODULE = "/js/render.js"
# The DOM of a rendered node as JSON: [tag, {attributes}, ...children], text as strings.
TREE = """([fn, args]) => {
  const tree = (n) => n.nodeType === Node.TEXT_NODE ? n.data : [
    n.localName,
    Object.fromEntries([...n.attributes].map((a) => [a.name, a.value])),
    ...[...n.childNodes].map(tree),
  ];
  const node = window.render[fn](...args);
  node.normalize();
  return tree(node);
}"""

Tree = list[Any]


def h(tag: str, *children: str | Tree, **attrs: str) -> Tree:
    """The expected tree of an element; ``cls`` stands for the class attribute."""
    if "cls" in attrs:
        attrs["class"] = attrs.pop("cls")
    return [tag, attrs, *children]


class RenderPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.fetched: list[str] = []  # every URL the page asked for beyond the module

    def serve(self, route: Route) -> None:
        url = route.request.url
        if url == f"{ORIGIN}/":
            route.fulfill(body="<!doctype html><title>render</title>", content_type="text/html")
        elif url == f"{ORIGIN}{MODULE}":
            route.fulfill(path=STATIC / MODULE.lstrip("/"), content_type="text/javascript")
        else:
            self.fetched.append(url)
            route.abort()

    def tree(self, fn: str, *args: Any) -> Tree:
        result: Tree = self.page.evaluate(TREE, [fn, list(args)])
        return result

    def call(self, fn: str, *args: Any) -> Any:
        return self.page.evaluate("([fn, args]) => window.render[fn](...args)", [fn, list(args)])


@pytest.fixture(scope="module")
def render(browser: Browser) -> Iterator[RenderPage]:
    context = browser.new_context()
    page = context.new_page()
    rendered = RenderPage(page)
    page.route("**/*", rendered.serve)
    page.goto(f"{ORIGIN}/")
    page.evaluate(f"async () => {{ window.render = await import('{MODULE}'); }}")
    yield rendered
    context.close()


# --- Markdown --------------------------------------------------------------------------------


def md(*children: str | Tree) -> Tree:
    return h("div", *children, cls="md")


def link(label: str, href: str) -> Tree:
    return h("a", label, href=href, target="_blank", rel="noopener noreferrer")


@pytest.mark.parametrize(
    ("text", "dom"),
    [
        ("", md()),
        (
            "# One\n## Two\n### Three\n#### Four\n##### Five",
            md(
                h("h3", "One"),
                h("h4", "Two"),
                h("h5", "Three"),
                h("h6", "Four"),
                h("p", "##### Five"),
            ),
        ),
        ("#not a heading", md(h("p", "#not a heading"))),
        (
            "- one\n* two\n  - **three**",
            md(h("ul", h("li", "one"), h("li", "two"), h("li", h("strong", "three")))),
        ),
        (
            "1. one\n2. two\n\n- dash",
            md(h("ol", h("li", "one"), h("li", "two")), h("ul", h("li", "dash"))),
        ),
        (
            "```python\nif a < b:\n\n    print('<b>')\n```\nafter",
            md(h("pre", h("code", "if a < b:\n\n    print('<b>')")), h("p", "after")),
        ),
        (
            "```\nnever closed\n# not a heading",
            md(h("pre", h("code", "never closed\n# not a heading"))),
        ),
        (
            "one\nstill one\n\ntwo\n# heading\n- item",
            md(
                h("p", "one\nstill one"),
                h("p", "two"),
                h("h3", "heading"),
                h("ul", h("li", "item")),
            ),
        ),
        (
            "run `a < b` **now**, *gently*: [docs](https://example.com/x?a=1&b=2)",
            md(
                h(
                    "p",
                    "run ",
                    h("code", "a < b"),
                    " ",
                    h("strong", "now"),
                    ", ",
                    h("em", "gently"),
                    ": ",
                    link("docs", "https://example.com/x?a=1&b=2"),
                )
            ),
        ),
        ("`**not bold**`", md(h("p", h("code", "**not bold**")))),
        ("2 * 3 * 4", md(h("p", "2 * 3 * 4"))),
        # Only http(s) links become links; anything else stays the text it was.
        ("[click](javascript:alert(1))", md(h("p", "[click](javascript:alert(1))"))),
        (
            "[x](data:text/html,<script>1</script>)",
            md(h("p", "[x](data:text/html,<script>1</script>)")),
        ),
        ("[x](//evil.example/)", md(h("p", "[x](//evil.example/)"))),
        # Markup in the input is text, wherever it is.
        ("<img src=x onerror=alert(1)>", md(h("p", "<img src=x onerror=alert(1)>"))),
        ("# <script>alert(1)</script>", md(h("h3", "<script>alert(1)</script>"))),
        ("- <b onclick=alert(1)>hi</b>", md(h("ul", h("li", "<b onclick=alert(1)>hi</b>")))),
        (
            "[<img src=x onerror=alert(1)>](https://example.com)",
            md(h("p", link("<img src=x onerror=alert(1)>", "https://example.com"))),
        ),
        (
            '[x](https://example.com/"onmouseover="alert(1))',
            md(h("p", link("x", 'https://example.com/"onmouseover="alert(1'), ")")),
        ),
    ],
)
def test_markdown_builds_the_expected_nodes(render: RenderPage, text: str, dom: Tree) -> None:
    assert render.tree("markdown", text) == dom


# --- diffs -------------------------------------------------------------------------------------


def diff(*files: Tree) -> Tree:
    return h("div", *files, cls="diff")


def file(name: str, *rows: tuple[str, int | str, int | str, str]) -> Tree:
    """A file's section; each row is (class, old line, new line, text)."""
    cells = [
        h(
            "tr",
            h("td", *[str(old)] if old else [], cls="ln"),
            h("td", *[str(new)] if new else [], cls="ln"),
            h("td", text),
            cls=kind,
        )
        for kind, old, new, text in rows
    ]
    return h("section", h("h4", name), h("table", *cells), cls="diff-file")


def hunk(text: str) -> tuple[str, str, str, str]:
    return ("hunk", "", "", text)


def meta(text: str) -> tuple[str, str, str, str]:
    return ("meta", "", "", text)


MODIFIED = """\
diff --git a/src/app.py b/src/app.py
index 4cb29ea..047ece5 100644
--- a/src/app.py
+++ b/src/app.py
@@ -10,3 +10,4 @@ def main():
 keep
-old
+new
++++ starts with pluses
@@ -40 +41 @@
-x
+y
\\ No newline at end of file
"""


@pytest.mark.parametrize(
    ("patch", "dom"),
    [
        ("", diff(h("p", "No changes.", cls="hint"))),
        (None, diff(h("p", "No changes.", cls="hint"))),
        (
            MODIFIED,
            diff(
                file(
                    "src/app.py",
                    hunk("@@ -10,3 +10,4 @@ def main():"),
                    ("", 10, 10, " keep"),
                    ("del", 11, "", "-old"),
                    ("add", "", 11, "+new"),
                    ("add", "", 12, "++++ starts with pluses"),
                    hunk("@@ -40 +41 @@"),
                    ("del", 40, "", "-x"),
                    ("add", "", 41, "+y"),
                )
            ),
        ),
        (  # a mode in a name is not the file's mode
            "diff --git a/icon-120000.png b/icon-120000.png\nnew file mode 100644\n"
            "Binary files /dev/null and b/icon-120000.png differ\n",
            diff(
                file(
                    "icon-120000.png",
                    meta("new file mode 100644"),
                    meta("Binary files /dev/null and b/icon-120000.png differ"),
                )
            ),
        ),
        # Text before a file and a file's header lines are no rows.
        ("a preamble\n" + MODIFIED[: MODIFIED.index("@@")], diff(file("src/app.py"))),
        (
            "diff --git a/<img src=x onerror=alert(1)> b/<img src=x onerror=alert(1)>\n"
            "new file mode 100644\n"
            "@@ -0,0 +1 @@\n+<script>alert(1)</script>\n",
            diff(
                file(
                    "<img src=x onerror=alert(1)>",
                    meta("new file mode 100644"),
                    hunk("@@ -0,0 +1 @@"),
                    ("add", "", 1, "+<script>alert(1)</script>"),
                )
            ),
        ),
    ],
)
def test_a_diff_shows_hunks_with_line_numbers(
    render: RenderPage, patch: str | None, dom: Tree
) -> None:
    assert render.tree("diffView", patch) == dom


def test_a_diff_from_pygit2_shows_what_a_review_must_not_miss(
    render: RenderPage, tmp_path: Path
) -> None:
    """Deletions, binary files, links and executable bits, as pygit2 writes them."""
    path = make_repo(
        tmp_path / "repo", {"a.txt": "one\ntwo\n", "gone.txt": "bye\n", "tool.sh": "x\n"}
    )
    base = str(pygit2.Repository(str(path)).head.target)
    (path / "a.txt").write_text("one\n2\nthree")
    (path / "gone.txt").unlink()
    (path / "image.bin").write_bytes(b"\x00\x01binary")
    (path / "link").symlink_to("a.txt")
    (path / "run.sh").write_text("#!/bin/sh\n")
    for name in ("run.sh", "tool.sh"):
        os.chmod(path / name, 0o755)
    patch = diff_commits(path, base, commit_all(path)).patch
    assert render.tree("diffView", patch) == diff(
        file(
            "a.txt",
            hunk("@@ -1,2 +1,3 @@"),
            ("", 1, 1, " one"),
            ("del", 2, "", "-two"),
            ("add", "", 2, "+2"),
            ("add", "", 3, "+three"),
        ),
        file(
            "gone.txt",
            meta("deleted file mode 100644"),
            hunk("@@ -1 +0,0 @@"),
            ("del", 1, "", "-bye"),
        ),
        file(
            "image.bin",
            meta("new file mode 100644"),
            meta("Binary files /dev/null and b/image.bin differ"),
        ),
        file(
            "link",
            meta("new file mode 120000 (a symbolic link)"),
            hunk("@@ -0,0 +1 @@"),
            ("add", "", 1, "+a.txt"),
        ),
        file(
            "run.sh",
            meta("new file mode 100755 (executable)"),
            hunk("@@ -0,0 +1 @@"),
            ("add", "", 1, "+#!/bin/sh"),
        ),
        file("tool.sh", meta("old mode 100644"), meta("new mode 100755 (executable)")),
    )


# --- hostile input, all at once in the document ----------------------------------------------

HOSTILE = [
    "<img src=x onerror=window.pwned=1>",
    "<script>window.pwned=1</script>",
    "<svg onload=window.pwned=1></svg>",
    "<iframe src=javascript:window.pwned=1></iframe>",
    "[x](javascript:window.pwned=1)",
    "**<img src=y onerror=window.pwned=1>** `<img src=z onerror=window.pwned=1>`",
]
BLOCK_TAGS = {"div", "p", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre"}
INLINE_TAGS = {"code", "strong", "em", "a"}
DIFF_TAGS = {"section", "table", "tr", "td"}  # and an h4 per file


# Renders into the document, gives loads and handlers time to run, then reports.
IN_DOCUMENT = """async ([texts, patch]) => {
  const main = document.createElement("main");
  document.body.replaceChildren(main);
  main.append(...texts.map(window.render.markdown), window.render.diffView(patch));
  await new Promise((done) => setTimeout(done, 200));
  const elements = [...main.querySelectorAll("*")];
  const attributes = elements.flatMap((e) => [...e.attributes].map((a) => a.name));
  return {
    tags: [...new Set(elements.map((e) => e.localName))],
    handlers: attributes.filter((name) => name.startsWith("on")),
    hrefs: elements.filter((e) => e.hasAttribute("href")).map((e) => e.getAttribute("href")),
    pwned: window.pwned ?? null,
  };
}"""


def test_hostile_input_runs_nothing_and_loads_nothing(render: RenderPage) -> None:
    patch = "diff --git a/f b/f\n@@ -1 +1 @@\n" + "".join(f"+{text}\n" for text in HOSTILE)
    seen = render.page.evaluate(IN_DOCUMENT, [HOSTILE, patch])
    assert set(seen["tags"]) <= BLOCK_TAGS | INLINE_TAGS | DIFF_TAGS
    assert (seen["handlers"], seen["hrefs"], seen["pwned"]) == ([], [], None)
    assert render.fetched == []


# --- small formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((0,), "$0.0000"),
        ((None,), "$0.0000"),
        ((0.0123,), "$0.0123"),
        ((0.5,), "$0.5000"),
        ((1,), "$1.00"),
        ((12.5,), "$12.50"),
    ],
)
def test_money(render: RenderPage, args: tuple[Any, ...], text: str) -> None:
    assert render.call("money", *args) == text


START = "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((START, "2026-01-01T00:00:59Z"), "59s"),
        ((START, "2026-01-01T00:01:00Z"), "1m 0s"),
        ((START, "2026-01-01T00:59:59Z"), "59m 59s"),
        ((START, "2026-01-01T01:00:00Z"), "1h 0m"),
        ((START, "2026-01-01T23:59:59Z"), "23h 59m"),
        ((START, "2026-01-03T12:00:00Z"), "2d"),
        (("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:05Z"), "5s"),  # zones are honoured
        ((START, "2025-12-31T23:00:00Z"), "0s"),  # a clock that went back
        (("2999-01-01T00:00:00Z",), "0s"),  # no end: until now
    ],
)
def test_elapsed(render: RenderPage, args: tuple[str, ...], text: str) -> None:
    assert render.call("elapsed", *args) == text
