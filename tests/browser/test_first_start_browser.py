"""The first start in real Chromium: on an empty database the first admin logs in, is led to
create the organizer (a refused short name keeps what was typed), then creates the first event
and sees its overview; a second organizer appears in the switcher of the top bar."""
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain import staff
from backoffice.domain.models import Event, Organizer
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def test_from_an_empty_database_to_the_first_event(page, live_server):
    staff.create_user(email="first@example.org", password=factories.PASSWORD, fullname="First Admin")
    db.session.commit()
    login(page, live_server, "first@example.org")
    expect(page.get_by_role("heading", name="Create your organizer")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("Summer Fest e.V.")
    page.get_by_label("Short name").fill("Summer Fest")
    page.get_by_label("Currency").fill("CHF")
    page.get_by_label("Two fields: given name and family name").check()
    page.get_by_label("Issuer address").fill("Main Street 1\n8000 Zürich")
    screenshot(page, "first-start")
    page.get_by_role("button", name="Create organizer").click()
    expect(page.locator("#settings-slug-error")).to_contain_text("only lowercase letters")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Summer Fest e.V.")
    expect(page.get_by_label("Currency")).to_have_value("CHF")
    expect(page.get_by_label("Issuer address")).to_have_value("Main Street 1\n8000 Zürich")

    page.get_by_label("Short name").fill("summer-fest")
    page.get_by_role("button", name="Create organizer").click()
    expect(page.locator("#messages")).to_contain_text("Organizer “Summer Fest e.V.” created")
    expect(page.locator("#current-organizer")).to_contain_text("Summer Fest e.V.")

    page.get_by_role("link", name="Create the first event").click()
    expect(page.get_by_role("heading", name="New event")).to_be_visible()
    expect(page.get_by_label("Currency")).to_have_value("CHF")
    page.get_by_label("Name", exact=True).fill("Open Air")
    page.get_by_label("Short name").fill("open-air")
    page.get_by_label("Start").fill("2027-07-01T19:00")
    page.get_by_label("Location").fill("Lakeside")
    page.get_by_label("Orders need approval").check()
    screenshot(page, "event-new")
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", name="Open Air")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("Event “Open Air” created.")
    expect(page.locator("#overview-all")).to_have_text("0")
    screenshot(page, "event-overview")

    db.session.rollback()
    event = db.session.scalar(select(Event).where(Event.slug == "open-air"))
    assert event.currency == "CHF" and event.require_approval and event.location == "Lakeside"
    assert event.organizer.name_scheme == "given_family"
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_a_second_organizer_appears_in_the_switcher(page, live_server, world):
    login(page, live_server, world.admin.email)
    page.locator("#current-organizer").click()
    page.get_by_role("link", name="New organizer…").click()
    expect(page.get_by_role("heading", name="New organizer")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Winter Market")
    page.get_by_label("Short name").fill("winter-market")
    page.get_by_role("button", name="Create organizer").click()
    expect(page.locator("#current-organizer")).to_contain_text("Winter Market")

    page.locator("#current-organizer").click()
    page.get_by_role("link", name="Demo Organizer").click()
    expect(page.locator("#current-organizer")).to_contain_text("Demo Organizer")
    expect(page.get_by_role("link", name="Conference", exact=True)).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(select(Organizer.name).where(Organizer.slug == "winter-market")) == "Winter Market"
    assert not page.console_errors
