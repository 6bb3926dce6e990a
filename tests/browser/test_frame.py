"""The frame of every page, in a real browser."""
from backoffice.domain import customers
from backoffice.domain.audit import Actor
from backoffice.domain.models import InvoiceAddress
from backoffice.extensions import db
from tests import factories
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


def test_pages_and_htmx_actions_run_under_the_content_security_policy(page, live_server, world):
    """Chromium reports every script, style or eval the policy blocks as a console error."""
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    order = factories.order(world.event, [world.ticket], email="anna@example.org", customer=anna)
    db.session.add(InvoiceAddress(order=order, name_cached="Ada Lovelace", street="Main Street 1\nBackyard",
                                  zipcode="10115", city="Berlin", country="DE"))
    mail = customers.send_password_link(anna, actor=Actor(user=world.admin))
    db.session.commit()
    code, secret, identifier, mail_id = order.code, order.secret, anna.identifier, mail.id

    def open_page(path: str) -> None:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path

    open_page("/login")
    login(page, live_server, world.admin.email)
    for path in ("/demo/", "/demo/events/conf/orders/", "/demo/orders/", "/demo/customers/",
                 f"/demo/customers/{identifier}/", "/demo/customers/new", "/demo/outbox/",
                 f"/demo/outbox/{mail_id}/", "/search?q=anna", f"/demo/conf/order/{code}/{secret}/"):
        open_page(path)

    open_page(f"/demo/events/conf/orders/{code}/")
    page.get_by_label("Quick search").fill("anna")  # an htmx GET into the top bar
    page.locator("#quicksearch-results [role=option]").first.wait_for()
    page.locator("#action-mark_paid summary").click()
    page.get_by_role("button", name="Mark as paid").click()  # an htmx POST with the CSRF header
    page.get_by_text(f"Order {code} marked as paid").wait_for()
    assert page.console_errors == []
    # htmx did not try to add its indicator <style> (the policy would refuse it)
    assert page.locator("head style").count() == 0
