"""render.js in a real browser: the DOM it builds from Markdown and numbers (diffs: test_diffview).

One page loads the module from disk (no Wallfacer server, no Docker) and every case
renders in it; ``inline`` is not exported, so its cases go through ``markdown``.
Untrusted text must only ever become text: no case may create an element or
attribute from its input, or make the page fetch anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

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


# Renders into the document, gives loads and handlers time to run, then reports.
IN_DOCUMENT = """async (texts) => {
  const main = document.createElement("main");
  document.body.replaceChildren(main);
  main.append(...texts.map(window.render.markdown));
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
    seen = render.page.evaluate(IN_DOCUMENT, HOSTILE)
    assert set(seen["tags"]) <= BLOCK_TAGS | INLINE_TAGS
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
