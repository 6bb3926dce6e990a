"""The event's ticket list in a real browser: reached from the event page, filtered, sorted and
paged in place with the mouse; the export is exactly the list on screen; a row opens its order
at that ticket; the secrets pages are one click away."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from backoffice.domain.models import OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def mouse_click(page, locator) -> None:
    """A real click at the element's centre: it lands on whatever is painted on top there."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def listed_tickets(page) -> list[str]:
    return page.locator("tr.ticket-row").evaluate_all("rows => rows.map(r => r.dataset.ticket)")


def exported_tickets(page) -> list[str]:
    with page.expect_download() as download:
        mouse_click(page, page.get_by_role("link", name="Export CSV"))
    with open(download.value.path(), encoding="utf-8-sig") as f:
        return [f"{row['order']}-{row['positionid']}" for row in csv.DictReader(f)]


def test_filter_sort_page_and_export_agree(page, live_server, world):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(40):  # 30 orders match the filters below: 60 tickets, more than one page
        status = OrderStatus.PAID if i < 34 else OrderStatus.PENDING
        order = factories.order(world.event, [world.ticket, world.ticket], status=status,
                                when=base + timedelta(hours=i))
        surname = "Lindqvist" if i < 30 else "Other"
        for position, first in zip(order.all_positions, ("Alva", "Nils")):
            position.attendee_name_cached = f"{first} {surname} {i:02d}"
            position.attendee_name_parts = {"_scheme": "full", "full_name": position.attendee_name_cached}
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/")
    mouse_click(page, page.get_by_role("link", name="Tickets"))
    page.wait_for_url("**/events/conf/tickets/")
    count = page.locator("#result-count")
    expect(count).to_have_text("1–50 of 80 tickets")

    # filters and sort changed in place, without a page load
    page.locator("#filter-status").select_option("p")
    expect(count).to_contain_text("of 68 tickets")
    page.locator("#filter-search").fill("lindqvist")
    expect(count).to_have_text("1–50 of 60 tickets")
    mouse_click(page, page.get_by_role("link", name="Attendee"))
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Attendee ▼")
    screenshot(page, "ticket-list")
    first_page = listed_tickets(page)
    mouse_click(page, page.get_by_role("link", name="Next"))
    expect(count).to_have_text("51–60 of 60 tickets")
    on_screen = first_page + listed_tickets(page)
    assert page.locator("#filter-status").input_value() == "p"
    assert page.locator("#filter-search").input_value() == "lindqvist"
    names = page.locator("tr.ticket-row td:nth-child(5)").all_inner_texts()
    assert names[-1] == "Alva Lindqvist 00"  # descending: the last page ends with the smallest name

    exported = exported_tickets(page)
    assert len(exported) == 60 and exported == on_screen  # same rows, same order, every page

    # a filter changed after sorting keeps the sort, and the export follows again
    page.locator("#filter-search").fill("nils lindqvist 1")
    expect(count).to_have_text("1–12 of 12 tickets")  # Nils of orders 01, 10 … 19 and 21
    assert page.locator("th[aria-sort=descending]").inner_text() == "Attendee ▼"
    assert exported_tickets(page) == listed_tickets(page)
    export = page.get_by_role("link", name="Export CSV").get_attribute("href")
    expected = {"search": ["nils lindqvist 1"], "status": ["p"], "sort": ["-attendee_name"]}
    assert parse_qs(urlsplit(page.url).query) == parse_qs(urlsplit(export).query) == expected
    assert "item=" not in page.url and "item=" not in export  # empty fields stay out

    # a row opens its order at that ticket
    ticket = listed_tickets(page)[0]
    code, positionid = ticket.rsplit("-", 1)
    cell = page.locator(f'tr[data-ticket="{ticket}"] td:nth-child(5)')
    assert cell.inner_text() == "Nils Lindqvist 21"
    mouse_click(page, cell)
    page.wait_for_url(f"**/orders/{code}/#position-{positionid}")
    expect(page.locator(f"#position-{positionid}")).to_contain_text("Nils Lindqvist 21")
    assert page.console_errors == []


def test_secrets_pages_from_the_ticket_list(page, live_server, world):
    from backoffice.domain import secrets
    from backoffice.domain.audit import Actor
    order = factories.order(world.event, [world.ticket])
    secrets.add_block(order.all_positions[0], actor=Actor(user=world.admin))
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/tickets/")
    mouse_click(page, page.get_by_role("link", name="Blocked secrets"))
    page.wait_for_url("**/secrets/blocked/")
    expect(page.locator("#result-count")).to_have_text("1–1 of 1 blocked secrets")
    page.locator("#filter-blocked").select_option("false")
    expect(page.locator("#secrets-empty")).to_contain_text("No blocked secrets match")
    mouse_click(page, page.get_by_role("link", name="Clear all filters"))
    expect(page.locator("#result-count")).to_have_text("1–1 of 1 blocked secrets")
    assert page.locator("#filter-blocked").input_value() == ""
    mouse_click(page, page.get_by_role("link", name="Revoked secrets"))
    page.wait_for_url("**/secrets/revoked/")
    expect(page.locator("#secrets-empty")).to_contain_text("No revoked secrets")
    assert page.console_errors == []


def test_no_serious_accessibility_violations(chromium, live_server, world):
    """axe-core (see test_accessibility.py) on the ticket list, its empty state and the secrets pages."""
    from backoffice.domain import secrets
    from backoffice.domain.audit import Actor
    from tests.browser.test_accessibility import Audit
    order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    secrets.add_block(order.all_positions[0], actor=Actor(user=world.admin))
    secrets.regenerate_secrets(order, actor=Actor(user=world.admin))
    db.session.commit()
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True, reduced_motion="reduce")
    page = context.new_page()
    try:
        login(page, live_server, world.admin.email)
        audit = Audit(page, live_server)
        audit.visit("ticket list", "/demo/events/conf/tickets/?sort=-attendee_name")
        audit.visit("ticket list, nothing found", "/demo/events/conf/tickets/?search=nobody&status=e")
        audit.visit("revoked secrets", "/demo/events/conf/secrets/revoked/")
        audit.visit("blocked secrets", "/demo/events/conf/secrets/blocked/?blocked=true")
        audit.visit("event page", "/demo/events/conf/")
        audit.assert_clean()
    finally:
        context.close()
