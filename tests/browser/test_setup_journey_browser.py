"""A fresh install set up by a person in a browser, end to end: the first admin creates the
organizer and an event with two products, a quota of 10 and a required question, invites a
colleague, creates an API token, sells a ticket at the box office, and the token reads that
order through the API."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain import staff
from backoffice.domain.models import Order, OutboxEmail
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login


def test_from_an_empty_database_to_the_first_sale_and_the_api(page, live_server):
    staff.create_user(email="first@example.org", password=factories.PASSWORD, fullname="First Admin")
    db.session.commit()
    login(page, live_server, "first@example.org")

    # the organizer
    expect(page.get_by_role("heading", name="Create your organizer")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Lakeside Festival")
    page.get_by_label("Short name").fill("lakeside")
    page.get_by_role("button", name="Create organizer").click()
    expect(page.locator("#current-organizer")).to_contain_text("Lakeside Festival")

    # the event
    page.get_by_role("link", name="Create the first event").click()
    page.get_by_label("Name", exact=True).fill("Open Air 2027")
    page.get_by_label("Short name").fill("open-air")
    page.get_by_label("Start").fill("2027-07-01T19:00")
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", name="Open Air 2027")).to_be_visible()

    # two products
    for name, price in (("Day ticket", "40"), ("Weekend ticket", "70")):
        page.get_by_role("link", name="Products", exact=True).click()
        page.get_by_role("link", name="New product").click()
        page.get_by_label("Name").fill(name)
        page.get_by_label("Price (EUR)").fill(price)
        page.get_by_role("button", name="Create product").click()
        expect(page.get_by_role("heading", name=f"Product {name}")).to_be_visible()

    # a quota of 10 for both
    page.get_by_role("link", name="Quotas", exact=True).click()
    page.get_by_role("link", name="New quota").click()
    page.get_by_label("Name").fill("Festival ground")
    page.get_by_label("Size").fill("10")
    page.get_by_label("Day ticket", exact=True).check()
    page.get_by_label("Weekend ticket", exact=True).check()
    page.get_by_role("button", name="Create quota").click()
    quota_row = page.locator("#quotas tr", has_text="Festival ground")
    expect(quota_row.locator(".quota-free")).to_have_text("10")

    # a required question on both
    page.get_by_role("link", name="Questions", exact=True).click()
    page.get_by_role("link", name="New question").click()
    page.get_by_label("Question", exact=True).fill("T-shirt size?")
    page.get_by_label("Required").check()
    page.get_by_label("Day ticket").check()
    page.get_by_label("Weekend ticket").check()
    page.get_by_role("button", name="Create question").click()
    page.get_by_role("link", name="Questions", exact=True).click()
    expect(page.locator("#questions")).to_contain_text("T-shirt size?")

    # a colleague and an API token
    page.get_by_role("link", name="Team", exact=True).click()
    page.get_by_label("Invite by email").fill("colleague@example.org")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("body")).to_contain_text("colleague@example.org")
    page.get_by_label("New token, named for what uses it").fill("Box office sync")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token-value").inner_text().strip()
    assert len(token) >= 32

    # a sale at the box office: the required question must be answered
    page.get_by_role("link", name="Orders", exact=True).click()
    page.goto(f"{live_server}/lakeside/events/open-air/orders/")
    page.get_by_role("link", name="New order").click()
    db.session.rollback()
    day = db.session.scalar(select(Order.id).limit(1))
    assert day is None  # nothing sold yet
    quantity = page.get_by_label("Day ticket").first
    quantity.click()
    quantity.fill("1")
    quantity.press("Tab")
    expect(page.locator(".ticket-slot")).to_have_count(1)
    page.get_by_label("Email", exact=True).fill("guest@example.org")
    page.get_by_label("Paid now").click()
    page.get_by_label("Paid through").select_option("boxoffice")
    page.get_by_role("button", name="Create order").click()
    expect(page.locator("#error-summary")).to_contain_text("T-shirt size?")
    page.get_by_label("T-shirt size?").fill("M")
    page.get_by_role("button", name="Create order").click()
    page.wait_for_url(lambda url: "/orders/new" not in url)
    expect(page.locator("#messages")).to_contain_text("1 ticket, €40.00, paid (Box office)")
    db.session.rollback()
    order = db.session.scalars(select(Order)).one()
    assert order.status == "p" and order.email == "guest@example.org"

    # the quota counts it
    page.goto(f"{live_server}/lakeside/events/open-air/quotas/")
    expect(page.locator("#quotas tr", has_text="Festival ground").locator(".quota-free")).to_have_text("9")

    # the token reads the order through the API
    response = page.request.get(f"{live_server}/api/v1/organizers/lakeside/events/open-air/orders/",
                                headers={"Authorization": f"Token {token}"})
    assert response.status == 200
    body = response.json()
    assert body["count"] == 1 and body["results"][0]["code"] == order.code
    assert body["results"][0]["positions"][0]["answers"][0]["answer"] == "M"
    invitation = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to == "colleague@example.org"))
    assert invitation is not None
    assert [e for e in page.console_errors if "status of 422" not in e] == []
