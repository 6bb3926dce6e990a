"""Events in real Chromium: change an event's settings, add and deactivate dates of a series,
follow a number of the overview to the filtered order list."""
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain.models import Event, OrderStatus, SubEvent
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login


def test_edit_settings_and_manage_the_dates_of_a_series(page, live_server, world):
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/")
    page.locator("tr", has_text="Conference").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings of “Conference”")).to_be_visible()
    page.get_by_label("Payment term in days").fill("400")
    page.get_by_label("A series of dates").check()
    page.get_by_role("button", name="Save event").click()
    expect(page.locator("#event-payment_term_days-error")).to_contain_text("must be at most 365")
    expect(page.get_by_label("A series of dates")).to_be_checked()
    page.get_by_label("Payment term in days").fill("5")
    page.get_by_role("button", name="Save event").click()
    expect(page.locator("#messages")).to_contain_text("Event saved: payment term in days, a series of dates.")
    expect(page.locator("#history")).to_contain_text("Changed")

    page.goto(f"{live_server}/demo/events/conf/")
    page.get_by_role("link", name="Dates", exact=True).click()
    page.get_by_label("Name").fill("Friday")
    page.get_by_label("Start (Europe/Berlin)").fill("2027-06-04T20:00")
    page.get_by_role("button", name="Add date").click()
    expect(page.locator("#messages")).to_contain_text("Date “Friday” added.")
    page.get_by_role("button", name="Deactivate Friday").click()
    expect(page.locator(".date-list")).to_contain_text("deactivated")

    db.session.rollback()
    event = db.session.scalar(select(Event).where(Event.slug == "conf"))
    assert event.payment_term_days == 5 and event.has_subevents
    assert [d.active for d in db.session.scalars(select(SubEvent).where(SubEvent.event_id == event.id))] == [False]
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_an_overview_number_opens_the_filtered_order_list(page, live_server, world):
    waiting = factories.order(world.event, [world.ticket], status=OrderStatus.PENDING, require_approval=True)
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/")
    expect(page.locator("#overview-approvals")).to_have_text("1")
    page.locator("#overview-approvals").click()
    expect(page.get_by_role("link", name=waiting.code)).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 order")
    assert not page.console_errors


def test_event_pages_do_not_scroll_sideways_on_a_phone(page, live_server, world):
    from tests.browser.test_layout import PHONE, page_width
    world.event.has_subevents = True
    factories.subevent(world.event, "A date with a rather long name to see the table wrap")
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    page.set_viewport_size(PHONE)
    login(page, live_server, world.admin.email)
    too_wide = {}
    for path in ("/demo/events/conf/", "/demo/events/conf/settings", "/demo/events/new",
                 "/demo/events/conf/dates/", "/organizers/new", "/demo/settings/"):
        page.goto(f"{live_server}{path}")
        width, screen = page_width(page)
        if width > screen:
            too_wide[path] = width
    assert too_wide == {}


def test_event_pages_have_no_serious_accessibility_violations(chromium, live_server, world):
    from tests.browser.test_accessibility import violations
    world.event.has_subevents = True
    factories.subevent(world.event, "Friday")
    db.session.commit()
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True, reduced_motion="reduce")
    page = context.new_page()
    login(page, live_server, world.admin.email)
    found = {}
    for path in ("/demo/", "/demo/events/conf/", "/demo/events/conf/settings", "/demo/events/new",
                 "/demo/events/conf/dates/", "/organizers/new", "/demo/settings/"):
        page.goto(f"{live_server}{path}")
        if path == "/demo/":
            page.locator("#current-organizer").click()  # the switcher open
        problems = violations(page)
        if problems:
            found[path] = problems
    page.goto(f"{live_server}/demo/events/new")
    page.get_by_role("button", name="Create event").click()  # every field refused at once
    if violations(page):
        found["refused new event"] = violations(page)
    context.close()
    assert found == {}, "\n".join(f"{k}:\n" + "\n".join(v) for k, v in found.items())
