"""A support agent's customer journey in real Chromium: search, edit, tag, anonymize."""
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from backoffice.domain import customers
from backoffice.domain.audit import Actor
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def some_customers(world):
    start = datetime(2025, 1, 1, 9, tzinfo=timezone.utc)
    people = [("Anna Smith", "anna.smith@example.org", "+4915112345678", "ACME GmbH", ["vip"]),
              ("Bob Jones", "bob@example.com", "+447912345678", None, ["press"]),
              ("Cleo Smithers", "cleo@example.net", None, "Smith & Co", []),
              ("Dan Brown", "dan@example.org", "+493012345678", None, ["vip", "season"])]
    made = []
    for i, (name, email, phone, company, tags) in enumerate(people):
        c = factories.customer(world.organizer, email, name, phone=phone, company=company,
                               date_joined=start + timedelta(days=i), is_verified=i % 2 == 0)
        for tag in tags:
            customers.add_tag(c, tag=tag, actor=Actor(user=world.admin))
        made.append(c)
    factories.order(world.event, [world.ticket], customer=made[0], status="p")
    db.session.commit()
    return made


def test_search_edit_tag_and_anonymize(page, live_server, world):
    anna = some_customers(world)[0]
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/customers/")
    expect(page.locator("#result-count").first).to_contain_text("of 4 customers")

    page.get_by_label("Search name, email, phone, company").fill("smith")
    expect(page.locator("#result-count").first).to_contain_text("of 2 customers")
    expect(page).to_have_url(f"{live_server}/demo/customers/?q=smith")
    expect(page.get_by_role("cell", name="Bob Jones")).to_have_count(0)
    screenshot(page, "customers-list")

    page.get_by_role("link", name="Anna Smith").click()
    expect(page.get_by_role("heading", name="Anna Smith")).to_be_visible()

    page.locator("#customer-header").get_by_role("link", name="Edit").click()
    page.get_by_label("Company").fill("ACME Europe GmbH")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#customer-profile")).to_contain_text("Saved: Company.")
    expect(page.locator("#customer-profile")).to_contain_text("ACME Europe GmbH")
    expect(page.locator("#customer-history")).to_contain_text("Changed")

    page.get_by_label("New tag").fill("season")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#customer-tags")).to_contain_text("Tag “season” added.")
    expect(page.get_by_role("button", name="Remove tag season")).to_be_visible()
    screenshot(page, "customer-detail")

    page.get_by_role("link", name="Anonymize…").click()
    expect(page.locator("#customer-anonymize")).to_contain_text("1 order will be detached")
    expect(page.get_by_role("link", name="Keep the customer")).to_be_focused()
    page.get_by_role("button", name="Yes, anonymize").click()
    expect(page.locator("#customer-detail")).to_contain_text("Customer anonymized")
    expect(page.get_by_role("heading", name="Anonymized customer")).to_be_visible()
    expect(page.locator("#customer-detail")).not_to_contain_text("anna.smith@example.org")
    expect(page.get_by_role("link", name="Anonymize…")).to_have_count(0)

    db.session.rollback()  # a fresh transaction sees what the server committed
    db.session.refresh(anna)
    assert anna.is_anonymized and anna.company is None and anna.tags == []
    assert page.console_errors == []


def test_refused_tag_shows_the_error_in_place(page, live_server, world):
    anna = some_customers(world)[0]
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/customers/{anna.identifier}/")
    page.get_by_label("New tag").fill("VIP")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#customer-tags .action-error")).to_contain_text("already has the tag")
    page.get_by_role("button", name="Block account").click()
    expect(page.locator("#customer-header")).to_contain_text("Account blocked")
    expect(page.get_by_role("button", name="Activate account")).to_be_visible()
    # the browser reports the refused request's 422 itself; nothing else may go wrong
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_filters_back_button_and_sort(page, live_server, world):
    some_customers(world)
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/customers/")
    page.get_by_label("Active", exact=True).select_option("true")
    expect(page).to_have_url(f"{live_server}/demo/customers/?active=true")
    expect(page.locator("#result-count").first).to_contain_text("of 4 customers")
    page.get_by_role("link", name="Name").click()
    expect(page).to_have_url(f"{live_server}/demo/customers/?active=true&sort=-name")
    # Dan Brown is also first in the default order (newest first): wait for the sorted header,
    # or the search below is typed into a box the swap is about to replace
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Name")
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("Dan Brown")
    page.get_by_label("Search name, email, phone, company").fill("example.org")
    expect(page.locator("#result-count").first).to_contain_text("of 2 customers")
    expect(page.locator("tbody tr").first).to_contain_text("Dan Brown")  # the sort stays
    page.go_back()
    expect(page.locator("#result-count").first).to_contain_text("of 4 customers")
    assert page.console_errors == []
