"""Order journeys in a real browser: approve and deny from the approval queue (on the order page
and inside the list's rows), extend an expired order, find an order through the quick search with
the keyboard alone."""
from __future__ import annotations

from datetime import date, timedelta

from backoffice.domain.models import InvoiceAddress, Order, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def fresh(order_id: int) -> Order:
    db.session.rollback()  # a new snapshot: the server committed in its own transaction
    return db.session.get(Order, order_id)


def test_approve_and_deny_from_the_awaiting_approval_filter(page, live_server, world):
    first = factories.order(world.event, [world.ticket], require_approval=True, email="first@example.org")
    second = factories.order(world.event, [world.ticket, world.ticket], require_approval=True, email="second@example.org")
    db.session.add(InvoiceAddress(order=first, name_cached="Ada Lovelace", company="Analytical Engines"))
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    ids, codes = (first.id, second.id), (first.code, second.code)
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/")
    screenshot(page, "orders-list")
    page.get_by_role("link", name="Awaiting approval").click()
    page.wait_for_url("**require_approval=true**")
    assert page.locator("tr.order-row").count() == 2

    page.get_by_role("link", name=codes[0]).click()
    page.get_by_text("Approve", exact=True).click()  # the primary action opens its form
    page.get_by_role("button", name="Approve order").click()
    page.get_by_text(f"Order {codes[0]} approved — email sent to first@example.org").wait_for()
    assert page.locator("#history").get_by_text("Approved").is_visible()
    screenshot(page, "order-detail")

    page.go_back()
    page.reload()
    assert page.locator("tr.order-row").count() == 1
    page.get_by_role("link", name=codes[1]).click()
    page.get_by_text("More actions").click()
    page.get_by_text("Deny…").click()
    confirm = page.locator("#deny-consequences")
    assert f"Denies order {codes[1]} with 2 tickets" in confirm.inner_text()
    # the safe choice has the focus
    assert page.evaluate("document.activeElement.textContent") == "Keep order"
    page.get_by_label("Reason for the email").fill("Members only")
    page.get_by_role("button", name="Deny order").click()
    page.get_by_text(f"Order {codes[1]} denied").wait_for()
    assert fresh(ids[0]).require_approval is False and fresh(ids[0]).status == "n"
    assert fresh(ids[1]).status == "c" and fresh(ids[1]).require_approval is True
    assert page.console_errors == []


def test_approve_and_deny_inside_the_rows_of_the_approval_queue(page, live_server, world):
    first = factories.order(world.event, [world.ticket], require_approval=True, email="first@example.org")
    second = factories.order(world.event, [world.ticket, world.ticket], require_approval=True, email="second@example.org")
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    ids, codes = (first.id, second.id), (first.code, second.code)
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/")
    page.get_by_role("link", name="Awaiting approval").click()
    page.wait_for_url("**require_approval=true**")
    rows = [page.locator(f"#order-row-{code}") for code in codes]
    assert page.locator("tr.order-row").count() == 2

    url_before = page.url
    rows[0].get_by_role("button", name="Approve").click()  # one click, the email goes out
    rows[0].get_by_text(f"Order {codes[0]} approved — email sent to first@example.org").wait_for()
    assert rows[0].locator(".badge").first.inner_text() == "pending"
    assert rows[0].get_by_role("button", name="Approve").count() == 0
    assert page.url == url_before and page.locator("tr.order-row").count() == 2  # only the row changed

    rows[1].get_by_text("Deny…").click()
    assert rows[1].locator(f"#deny-consequences-{codes[1]}").inner_text() == \
        "Cancels 2 tickets, emails second@example.org. Untick the box to deny without an email."
    assert page.evaluate("document.activeElement.textContent") == "Keep order"  # the safe choice
    page.keyboard.press("Enter")  # Keep closes the confirmation
    assert not rows[1].get_by_label("Reason for the email").is_visible()
    rows[1].get_by_text("Deny…").click()
    rows[1].get_by_label("Reason for the email").fill("Members only")
    assert rows[1].get_by_label("Send the denial email").is_checked()
    rows[1].get_by_role("button", name="Deny order").click()
    rows[1].get_by_text(f"Order {codes[1]} denied — email sent to second@example.org").wait_for()
    assert rows[1].locator(".badge").first.inner_text() == "canceled"
    assert fresh(ids[0]).require_approval is False and fresh(ids[0]).status == "n"
    assert fresh(ids[1]).status == "c" and fresh(ids[1]).require_approval is True
    page.reload()
    assert page.locator("tr.order-row").count() == 0
    assert page.console_errors == []


def test_extend_an_expired_order(page, live_server, world):
    order = factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED)
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")
    page.get_by_text("Extend deadline").click()
    until = date.today() + timedelta(days=7)
    page.get_by_label("New payment deadline").fill(until.isoformat())
    page.get_by_role("button", name="Extend", exact=True).click()
    page.get_by_text(f"Payment deadline of order {code} set to {until.isoformat()}").wait_for()
    assert "pending" in page.locator("#order-summary h1").inner_text()
    assert fresh(order_id).status == "n"
    # a refused action explains itself next to its button, the page does not break
    page.get_by_text("More actions").click()  # pending now: "Mark as paid" is the primary action
    page.get_by_text("Extend deadline").click()
    page.get_by_label("New payment deadline").evaluate("e => { e.removeAttribute('min'); e.value = '2020-01-01'; }")
    page.get_by_role("button", name="Extend", exact=True).click()
    page.locator("#action-extend .action-error").get_by_text("must not be in the past").wait_for()
    # the browser logs the refused request (422) itself; nothing else may fail
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_find_an_order_with_the_keyboard_alone(page, live_server, world):
    target = factories.order(world.event, [world.ticket], email="grace.hopper@example.org")
    factories.order(world.event, [world.ticket], email="someone.else@example.org")
    code = target.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "quicksearch-input"
    page.keyboard.type("grace.ho")
    page.locator("#quicksearch-results .quicksearch-option").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orders/{code}/")
    # Enter on an exact order code opens it directly
    page.goto(f"{live_server}/demo/")
    page.keyboard.press("/")
    page.keyboard.type(code.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orders/{code}/")
    page.get_by_role("heading", name=f"Order {code}").wait_for()
    assert page.console_errors == []
