"""Ticket downloads (seed 003's download/<output> for an order and one ticket) for staff, for the
customer's order link and for an attendee's ticket link; sending a ticket to its attendee."""
from __future__ import annotations

import io
import re

import pypdf
import pytest
import zxingcpp
from sqlalchemy import func, select

from backoffice.domain.models import LogEntry, Order, OrderStatus, OutboxEmail
from backoffice.extensions import db
from tests import factories

N, P, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELED
PDF_MIME = "application/pdf"


def staff_url(order: Order, positionid=None, output="pdf") -> str:
    ticket = f"positions/{positionid}/" if positionid is not None else ""
    return f"/demo/events/conf/orders/{order.code}/{ticket}download/{output}"


def customer_url(order: Order, positionid=None, output="pdf", secret=None) -> str:
    ticket = f"positions/{positionid}/" if positionid is not None else ""
    return f"/demo/conf/order/{order.code}/{secret or order.secret}/{ticket}download/{output}"


def page_url(order: Order) -> str:
    return f"/demo/conf/order/{order.code}/{order.secret}/"


def secrets_in(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == PDF_MIME
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    return [zxingcpp.read_barcodes(list(page.images)[0].image)[0].text for page in reader.pages]


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(LogEntry.id))), db.session.scalar(select(func.count(OutboxEmail.id))))


@pytest.fixture
def paid(world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    db.session.commit()
    return order


# --- staff ----------------------------------------------------------------------------------------------------

def test_staff_download_the_order_and_one_ticket(staff, paid):
    response = staff.get(staff_url(paid))
    assert secrets_in(response) == [p.secret for p in paid.all_positions]
    assert response.headers["Content-Disposition"] == f'attachment; filename="conf-{paid.code}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    one = staff.get(staff_url(paid, 2))
    assert secrets_in(one) == [paid.all_positions[1].secret]
    assert one.headers["Content-Disposition"] == f'attachment; filename="conf-{paid.code}-2.pdf"'


def test_order_page_links_the_pdfs_and_says_why_the_customer_cannot_download(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=N)
    db.session.commit()
    html = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert f'id="tickets-download" href="{staff_url(order)}"' in html
    assert f'href="{staff_url(order, 1)}" id="ticket-pdf-1"' in html
    note = re.search(r'id="tickets-customer-note">([^<]*)<', html).group(1)
    assert "not paid yet" in note


def test_staff_may_print_unpaid_tickets_and_with_downloads_off(staff, world):
    world.event.ticket_download = False
    order = factories.order(world.event, [world.ticket], status=N)
    db.session.commit()
    assert len(secrets_in(staff.get(staff_url(order)))) == 1


def test_staff_get_403_with_the_reason_for_canceled_orders_and_non_admission_tickets(staff, world):
    canceled = factories.order(world.event, [world.ticket], status=C)
    parking = factories.item(world.event, "Parking", "10.00", admission=False)
    mixed = factories.order(world.event, [world.ticket, parking], status=P)
    db.session.commit()
    response = staff.get(staff_url(canceled))
    assert response.status_code == 403 and "is canceled" in response.get_data(as_text=True)
    response = staff.get(staff_url(mixed, 2))
    assert response.status_code == 403 and "does not admit anyone" in response.get_data(as_text=True)
    html = staff.get(f"/demo/events/conf/orders/{mixed.code}/").get_data(as_text=True)
    assert 'id="ticket-pdf-1"' in html and 'id="ticket-pdf-2"' not in html
    assert len(secrets_in(staff.get(staff_url(mixed)))) == 1  # the order's PDF skips the parking ticket


def test_unknown_output_other_orders_and_hostile_ids_are_404(staff, world, paid):
    other_event = factories.event(world.organizer, slug="other")
    foreign = factories.order(other_event, [factories.item(other_event)], status=P)
    rival = factories.organizer(slug="rival")
    rival_order = factories.order(factories.event(rival, slug="conf"), [world.ticket], status=P)
    db.session.commit()
    assert staff.get(staff_url(paid, output="passbook")).status_code == 404
    assert staff.get(staff_url(paid, 1, output="x" * 5000)).status_code == 404
    for positionid in ("3", "0", "-1", "9" * 30, "abc", "1e3", "<script>"):
        assert staff.get(staff_url(paid, positionid)).status_code == 404, positionid
    assert staff.get(staff_url(foreign)).status_code == 404
    assert staff.get(f"/demo/events/other/orders/{paid.code}/download/pdf").status_code == 404
    assert staff.get(f"/rival/events/conf/orders/{rival_order.code}/download/pdf").status_code == 404


def test_staff_without_view_permission_get_no_pdf(browser, world, paid):
    outsider = factories.user(org=world.organizer, can_view_orders=False, can_change_orders=False)
    db.session.commit()
    browser.login(outsider.email)
    assert browser.get(staff_url(paid)).status_code == 403
    assert browser.get(staff_url(paid, 1)).status_code == 403


def test_logged_out_visitors_are_sent_to_login(client, paid):
    response = client.get(staff_url(paid))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the customer's order link -----------------------------------------------------------------------------

def test_customer_page_links_the_pdfs_of_a_paid_order(client, paid):
    html = client.get(page_url(paid)).get_data(as_text=True)
    assert f'id="tickets-download" href="{customer_url(paid)}"' in html
    assert f'href="{customer_url(paid, 2)}" id="ticket-download-2"' in html
    assert secrets_in(client.get(customer_url(paid))) == [p.secret for p in paid.all_positions]
    assert secrets_in(client.get(customer_url(paid, 1))) == [paid.all_positions[0].secret]


def test_customer_of_a_pending_order_gets_403_with_the_reason(client, world):
    order = factories.order(world.event, [world.ticket], status=N)
    db.session.commit()
    html = client.get(page_url(order)).get_data(as_text=True)
    assert 'id="tickets-download"' not in html and "not paid yet" in html
    for url in (customer_url(order), customer_url(order, 1)):
        response = client.get(url)
        assert response.status_code == 403
        text = response.get_data(as_text=True)
        assert "not paid yet" in text and f'href="{page_url(order)}"' in text


def test_pending_order_downloads_when_the_event_allows_it(client, world):
    world.event.ticket_download_pending = True
    order = factories.order(world.event, [world.ticket], status=N)
    approval = factories.order(world.event, [world.ticket], status=N, require_approval=True)
    db.session.commit()
    assert len(secrets_in(client.get(customer_url(order)))) == 1
    response = client.get(customer_url(approval))
    assert response.status_code == 403 and "approval" in response.get_data(as_text=True)


def test_customer_gets_no_addon_blocked_or_downloads_off_ticket(client, world):
    shirt = factories.item(world.event, "T-shirt", "15.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, shirt, world.ticket], status=P)
    order.all_positions[1].addon_to = order.all_positions[0]
    order.all_positions[2].blocked = ["admin"]
    db.session.commit()
    assert client.get(customer_url(order, 2)).status_code == 403
    response = client.get(customer_url(order, 3))
    assert response.status_code == 403 and "blocked" in response.get_data(as_text=True)
    assert len(secrets_in(client.get(customer_url(order)))) == 1
    world.event.ticket_download = False
    db.session.commit()
    response = client.get(customer_url(order, 1))
    assert response.status_code == 403 and "cannot be downloaded yet" in response.get_data(as_text=True)


def test_wrong_secret_other_event_and_unknown_output_are_404_for_customers(client, world, paid):
    other = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    assert client.get(customer_url(paid, secret=other.secret)).status_code == 404
    assert client.get(customer_url(paid, 1, secret="x" * 10_000)).status_code == 404
    assert client.get(f"/demo/other/order/{paid.code}/{paid.secret}/download/pdf").status_code == 404
    assert client.get(customer_url(paid, output="passbook")).status_code == 404
    for positionid in ("3", "9" * 30, "abc", "1.0"):
        assert client.get(customer_url(paid, positionid)).status_code == 404
    # the ticket's secret opens only the attendee's ticket, never the buyer's order
    assert client.get(customer_url(paid, secret=paid.all_positions[0].secret)).status_code == 404


# --- the attendee's ticket link and sending it -----------------------------------------------------------

def resend_url(order: Order, positionid) -> str:
    return f"/demo/events/conf/orders/{order.code}/positions/{positionid}/resend"


def seen(order: Order) -> str:
    db.session.expire_all()
    return db.session.get(Order, order.id).last_modified.isoformat()


def test_resend_mails_the_attendee_their_ticket_link(staff, world, paid):
    position = paid.all_positions[1]
    position.attendee_email = "guest@example.org"
    db.session.commit()
    html = staff.get(f"/demo/events/conf/orders/{paid.code}/").get_data(as_text=True)
    assert 'id="form-position-resend-2"' in html and "Send ticket to guest@example.org" in html
    response = staff.post(resend_url(paid, 2), {"seen": seen(paid)}, htmx=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Ticket 2 sent to its attendee, guest@example.org." in text
    mails_region = re.search(r'<section id="object-mails".*?</section>', text, re.S).group(0)
    assert "Your ticket for Conference" in mails_region  # the order's mails, refreshed with it
    mail = db.session.scalars(select(OutboxEmail)).one()
    assert (mail.to, mail.object_type, mail.object_id) == ("guest@example.org", "order", paid.id)
    link = f"http://backoffice.test/demo/conf/ticket/{paid.code}/2/{position.secret}/"
    assert link in mail.body_to_send and position.secret not in mail.body  # staff read it hidden
    entry = db.session.scalars(select(LogEntry).where(LogEntry.action_type == "position.ticket_link_sent")).one()
    assert entry.data == {"position": 2, "to": "guest@example.org"} and entry.object_id == paid.id


def test_attendee_link_shows_only_that_ticket_and_downloads_it(client, paid):
    position = paid.all_positions[1]
    page = f"/demo/conf/ticket/{paid.code}/2/{position.secret}/"
    html = client.get(page).get_data(as_text=True)
    assert "Attendee 2" in html and "Attendee 1" not in html and paid.secret not in html
    assert f'href="{page}download/pdf"' in html
    assert secrets_in(client.get(f"{page}download/pdf")) == [position.secret]
    assert client.get(f"/demo/conf/ticket/{paid.code}/1/{position.secret}/").status_code == 404
    assert client.get(f"/demo/conf/ticket/{paid.code}/2/{paid.secret}/").status_code == 404
    assert client.get(f"{page}download/zip").status_code == 404


def test_attendee_link_of_an_unpaid_order_explains_and_refuses(client, world):
    order = factories.order(world.event, [world.ticket], status=N)
    db.session.commit()
    page = f"/demo/conf/ticket/{order.code}/1/{order.all_positions[0].secret}/"
    html = client.get(page).get_data(as_text=True)
    assert "not paid yet" in html and 'id="ticket-download"' not in html
    assert client.get(f"{page}download/pdf").status_code == 403


def test_resend_refused_without_attendee_email_or_for_an_unpaid_order(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=N)
    order.all_positions[1].attendee_email = "guest@example.org"
    db.session.commit()
    before = counts()
    response = staff.post(resend_url(order, 1), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 422 and "has no attendee email address" in response.get_data(as_text=True)
    response = staff.post(resend_url(order, 2), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 422 and "not paid yet" in response.get_data(as_text=True)
    assert counts() == before


def test_resend_needs_change_permission(browser, world, paid):
    paid.all_positions[0].attendee_email = "guest@example.org"
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    before = counts()
    browser.login(viewer.email)
    assert browser.post(resend_url(paid, 1), {"seen": seen(paid)}, htmx=True).status_code == 403
    assert counts() == before


def test_resend_of_a_ticket_of_another_order_is_404(staff, world, paid):
    other = factories.order(world.event, [world.ticket, world.ticket, world.ticket], status=P)
    other.all_positions[2].attendee_email = "guest@example.org"
    db.session.commit()
    before = counts()
    for positionid in ("3", "9" * 30, "x", "-1"):
        assert staff.post(resend_url(paid, positionid), {}, htmx=True).status_code == 404
    assert counts() == before
