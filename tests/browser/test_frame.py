"""The frame of every page, in a real browser."""
from tests.browser.conftest import login, screenshot


def test_login_navigate_and_logout(page, live_server, world):
    login(page, live_server, world.admin.email)
    assert page.evaluate("htmx.version") == "2.0.11"
    page.get_by_role("link", name="Conference").click()
    page.get_by_role("link", name="Orders of this event").click()
    assert page.get_by_role("heading", name="Orders · Conference").is_visible()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Customers").click()
    assert "/demo/customers/" in page.url
    screenshot(page, "frame")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login")
    assert page.get_by_text("You are logged out.").is_visible()
    assert page.console_errors == []
