"""Setting up what an event sells in real Chromium: a tax rule, a product with a variation, a
quota, a required question with options, and a seating list whose seats are blocked and released
on the list with real clicks."""
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain.models import Seat
from backoffice.extensions import db
from tests.browser.conftest import login, screenshot

CSV = b"section,row,number,name,blocked\nStalls,A,1,,no\nStalls,A,2,Aisle seat,no\nBalcony,1,10,,yes\n"


def test_set_up_products_quota_and_question(page, live_server, world):
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/tax-rules/")
    page.get_by_label("Name").fill("VAT")
    page.get_by_label("Rate in percent").fill("19")
    page.get_by_role("button", name="Add tax rule").click()
    expect(page.locator("#tax-rules")).to_contain_text("19.00 %")

    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Name").fill("Workshop")
    page.get_by_label("Price (EUR)").fill("-3")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("#item-default_price-error")).to_contain_text("cannot be negative")
    expect(page.get_by_label("Name")).to_have_value("Workshop")
    page.get_by_label("Price (EUR)").fill("35")
    page.get_by_label("Tax rule").select_option(label="VAT (19.00 %)")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", name="Product Workshop")).to_be_visible()

    new_variation = page.locator("#variation-new")
    new_variation.get_by_label("Name").fill("Student")
    new_variation.get_by_label("Price").fill("20")
    new_variation.get_by_role("button", name="Add variation").click()
    expect(page.locator("main, body").first).to_contain_text("Variation 'Student' added")
    expect(page.locator("#variations input[value='Student']")).to_be_visible()

    page.get_by_role("link", name="Quotas", exact=True).click()
    page.get_by_role("link", name="New quota").click()
    page.get_by_label("Name").fill("Workshop seats")
    page.get_by_label("Size").fill("10")
    page.get_by_label("Workshop", exact=True).check()
    page.get_by_role("button", name="Create quota").click()
    row = page.locator("#quotas tr", has_text="Workshop seats")
    expect(row.locator(".quota-free")).to_have_text("10")

    page.get_by_role("link", name="Questions", exact=True).click()
    page.get_by_label("Every ticket needs the attendee's name").check()
    page.get_by_role("button", name="Save attendee fields").click()
    expect(page.get_by_label("Every ticket needs the attendee's name")).to_be_checked()
    page.get_by_role("link", name="New question").click()
    page.get_by_label("Question", exact=True).fill("Which meal?")
    page.get_by_label("Kind of answer").select_option(label="One choice")
    page.get_by_label("Required").check()
    page.get_by_label("Workshop").check()
    page.get_by_role("button", name="Create question").click()
    expect(page.locator("#options")).to_be_visible()
    page.locator("#option-new").get_by_label("New option").fill("Vegan")
    page.locator("#option-new").get_by_role("button", name="Add option").click()
    expect(page.locator("#options input[value='Vegan']")).to_be_visible()
    page.get_by_role("link", name="Questions", exact=True).click()
    expect(page.locator("#questions")).to_contain_text("One choice: Vegan")
    screenshot(page, "questions")
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_import_seats_then_block_and_unblock_with_clicks(page, live_server, world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"section,row,number,blocked\nStalls,A,,\n")
    good = tmp_path / "seats.csv"
    good.write_bytes(CSV)
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/seats/")
    page.get_by_role("link", name="Import a seating list").click()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import seats").click()
    expect(page.locator("#import-problems")).to_contain_text("Row 2: the seat number is empty.")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import seats").click()
    expect(page.locator("#seats")).to_contain_text("Aisle seat")

    row = page.locator("#seats tr", has_text="Stalls, Row A, Seat 1")
    row.get_by_role("button", name="Block Stalls, Row A, Seat 1").click()
    expect(row.locator(".row-message")).to_contain_text("is blocked")
    expect(row.get_by_role("button", name="Unblock Stalls, Row A, Seat 1")).to_be_visible()
    db.session.rollback()
    assert db.session.scalars(select(Seat.blocked).where(Seat.seat_number == "1")).one() is True

    page.get_by_label("Blocked", exact=True).select_option("yes")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#seats")).to_contain_text("Balcony, Row 1, Seat 10")
    expect(page.locator("#seats")).not_to_contain_text("Aisle seat")
    balcony = page.locator("#seats tr", has_text="Balcony, Row 1, Seat 10")
    balcony.get_by_role("button", name="Unblock Balcony, Row 1, Seat 10").click()
    expect(balcony.locator(".row-message")).to_contain_text("can be sold again")
    expect(balcony.get_by_role("button", name="Block Balcony, Row 1, Seat 10")).to_be_visible()
    screenshot(page, "seats")
    db.session.rollback()
    assert db.session.scalars(select(Seat.blocked).where(Seat.seat_number == "10")).one() is False
    assert [e for e in page.console_errors if "status of 422" not in e] == []
