"""Real Chromium (Debian's) driven by Playwright against the app served from this process."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import factories

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    context.close()


def login(page, base_url: str, email: str, password: str = factories.PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page, name: str) -> None:
    """Screenshots for the README, refreshed by `make screenshots` (UPDATE_SCREENSHOTS=1), so
    that an ordinary test run leaves the working tree clean."""
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    DOCS.mkdir(exist_ok=True)
    # caret="initial": hiding the caret injects a style, which the page's CSP rightly refuses
    page.screenshot(path=str(DOCS / f"{name}.png"), caret="initial")
