"""Playwright against Debian's Chromium, signed in to a real server as a person would be."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.server_process import ServerProcess

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        message = "Debian's chromium is needed for the browser tests (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def sign_in(browser: Browser, server: ServerProcess, width: int = 1280, height: int = 800) -> Page:
    """A fresh browser profile that redeemed a one-time sign-in link."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.on("console", lambda m: print(f"[browser {m.type}] {m.text}"))
    page.on("pageerror", lambda e: print(f"[browser error] {e}"))
    link = server.api("POST", "/api/login-codes", status=201)["url"]
    page.goto(link)
    page.wait_for_selector("body[data-ready]")
    return page


@pytest.fixture
def page(browser: Browser, server: ServerProcess) -> Iterator[Page]:
    page = sign_in(browser, server)
    yield page
    page.context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
