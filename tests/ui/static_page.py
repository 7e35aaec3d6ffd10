"""The board's own modules and stylesheet, served from disk into a blank page: for
testing and timing one view in Chromium without a Wallfacer server or Docker."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Route

STATIC = Path(__file__).resolve().parents[2] / "server" / "static"
ORIGIN = "http://board.test"
PAGE = '<!doctype html><link rel=stylesheet href="/css/board.css"><main id=pane></main>'


def serve(route: Route) -> None:
    """Pass to ``page.route("**/*", …)``, then ``page.goto(ORIGIN + "/")``."""
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        route.fulfill(body=PAGE, content_type="text/html")
    elif (STATIC / path.lstrip("/")).is_file():
        kind = "text/css" if path.endswith(".css") else "text/javascript"
        route.fulfill(path=STATIC / path.lstrip("/"), content_type=kind)
    else:
        route.abort()
