"""Headless Chromium for browser tests, through the Python `playwright` package and the system's Chromium.

Why the system browser: `playwright install` downloads browsers from the network, which the test suite must never
do; CI installs Chromium with apt instead. Without Chromium a browser test is skipped locally (with the command
that installs it) but fails under CI (`CI` set), so a broken CI image cannot silently skip the browser checks.

Usage:
    with browser_page() as page:
        problems = watch(page)
        page.goto(path.as_uri())
        ...
        assert problems.ok, problems.describe()
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
)
INSTALL_HINT = "apt-get install chromium"


def chromium_path() -> str | None:
    """The Chromium executable (`GENIE_ENHANCE_CHROMIUM` overrides the lookup on PATH), or None."""
    override = os.environ.get("GENIE_ENHANCE_CHROMIUM")
    if override:
        return override if os.path.exists(override) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """The Chromium path; otherwise fail under CI and skip elsewhere, naming the install command."""
    path = chromium_path()
    if path is None:
        message = f"Chromium is not installed (run `{INSTALL_HINT}`)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must install it", pytrace=False)
        pytest.skip(message)
    return path


@dataclass
class PageProblems:
    """What went wrong while a page was open: console errors, uncaught exceptions, failed requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for

    @property
    def ok(self) -> bool:
        return not (self.console_errors or self.page_errors or self.failed_requests)

    def describe(self) -> str:
        return (f"console errors: {self.console_errors}; page errors: {self.page_errors}; "
                f"failed requests: {self.failed_requests}")


def watch(page) -> PageProblems:  # noqa: ANN001 - playwright's Page
    """Start recording `page`'s problems (call before `goto`)."""
    problems = PageProblems()
    page.on("console", lambda msg: problems.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.page_errors.append(str(exc)))
    page.on("request", lambda req: problems.requests.append(req.url))
    page.on("requestfailed", lambda req: problems.failed_requests.append(f"{req.url}: {req.failure}"))
    return problems


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator:
    """A fresh page in a headless system Chromium (skips or fails the test when Chromium is missing)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS), headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
        finally:
            browser.close()
