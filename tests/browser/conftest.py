"""A real browser for the inspector's tests: Debian's Chromium, driven by Playwright.

``make install`` installs the ``chromium`` package where it is missing and the
``playwright`` Python package (its driver only: no browser download; the launch names
the system's Chromium). Each test gets a fresh page; when a test fails, the page's
screenshot is saved under ``test-results/browser/<test>.png``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
#: Flags for a root, offline, headless run: no sandbox (root), no background connections
#: (this machine has no network, and Chromium would keep trying), a fresh profile each time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    found = os.environ.get("MOCKSERVER_CHROMIUM") or shutil.which("chromium")
    if found is None:
        pytest.fail("Chromium is missing: `make install` installs Debian's chromium package")
    return found


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A browser per test: Playwright's sync API runs an event loop in this thread while
    it is open, which the suite's async tests (run by the same worker) must not meet."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report



@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    if request.node.stash.get(FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()
