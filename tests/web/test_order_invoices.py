"""Invoices on the order page and behind the customer's order link: the region and its
fragments, refusals next to the button, PDF downloads, 404s for other orders' invoices and
hostile ids, permissions, and two staff invoicing at the same moment."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.domain import invoices, positions
from backoffice.domain.audit import Actor
from backoffice.domain.models import Invoice, LogEntry, Order, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.web.test_orders_concurrency import at_once, two_staff  # noqa: F401  (fixture)

P, C = OrderStatus.PAID, OrderStatus.CANCELED


def url(order: Order, action: str = "") -> str:
    return f"/{order.event.organizer.slug}/events/{order.event.slug}/orders/{order.code}/{action}"


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def seen(order: Order) -> str:
    return fresh(order).last_modified.isoformat()


def fingerprint(order: Order) -> tuple:
    db.session.rollback()
    o = fresh(order)
    return (o.last_modified, [(i.number, i.is_cancellation) for i in o.invoices],
            db.session.scalar(select(func.count(Invoice.id))), db.session.scalar(select(func.count(LogEntry.id))))


def invoiced(world, order: Order) -> Invoice:
    invoice = invoices.create_invoice(order, actor=Actor(user=world.admin))
    db.session.commit()
    return invoice


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- creating ------------------------------------------------------------------------------------------

def test_create_an_invoice_from_the_order_page(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    page = staff.get(url(order)).get_data(as_text=True)
    assert 'id="order-invoices"' in page and "No invoices." in page and "Create invoice" in page
    response = staff.post(url(order, "invoices/create"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="order-invoices"')  # the region that changed
    assert f"Invoice CONF-00001 created for order {order.code}." in html
    invoice = fresh(order).invoices[0]
    assert f'href="{url(order, f"invoices/{invoice.id}.pdf")}"' in html and "€50.00" in html
    assert "Cancel and reissue" in html and "Create invoice" not in html
    # the rest of the page is refreshed out of band with the order's new state
    assert 'id="order-summary"' in html and 'hx-swap-oob="true"' in html
    assert f'name="seen" value="{seen(order)}"' in html
    history = staff.get(url(order)).get_data(as_text=True)
    assert "Invoice created" in history and "CONF-00001" in history


def test_plain_post_redirects_with_a_message(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    response = staff.post(url(order, "invoices/create"), {"seen": seen(order)})
    assert response.status_code == 303
    page = staff.get(url(order)).get_data(as_text=True)
    assert f"Invoice CONF-00001 created for order {order.code}." in page


def test_stale_page_is_refused_next_to_the_button(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    before = fingerprint(order)
    response = staff.post(url(order, "invoices/create"), {"seen": "2000-01-01T00:00:00+00:00"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="order-invoices"') and "changed by someone else" in html
    assert fingerprint(order) == before


def test_invoicing_off_shows_why_and_refuses(staff, world):
    world.event.invoicing = False
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    page = staff.get(url(order)).get_data(as_text=True)
    assert "Invoicing is turned off for Conference." in page and "Create invoice" not in page
    before = fingerprint(order)
    response = staff.post(url(order, "invoices/create"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 422
    assert 'role="alert">Invoicing is turned off for Conference.' in response.get_data(as_text=True)
    assert fingerprint(order) == before


def test_someone_else_invoiced_first_says_so(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    page_seen = seen(order)
    invoiced(world, order)
    before = fingerprint(order)
    # without page state (the stale check cannot help): the rule itself refuses
    response = staff.post(url(order, "invoices/create"), {}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Order {order.code} already has invoice CONF-00001." in html
    assert staff.post(url(order, "invoices/create"), {"seen": page_seen}, htmx=True).status_code == 422
    assert fingerprint(order) == before


# --- reissuing -----------------------------------------------------------------------------------------

def test_cancel_and_reissue(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    invoiced(world, order)
    positions.cancel_position(fresh(order).all_positions[1], actor=Actor(user=world.admin))
    db.session.commit()
    response = staff.post(url(order, "invoices/reissue"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Invoice CONF-00001 canceled by CONF-00002; new invoice CONF-00003 issued." in html
    assert "Invoice, canceled by CONF-00002" in html and "Cancellation of CONF-00001" in html
    assert "-€100.00" in html and "Cancel CONF-00003 and reissue" in html
    assert [(i.number, invoices.total(i)) for i in fresh(order).invoices] == [
        ("CONF-00001", 100), ("CONF-00002", -100), ("CONF-00003", 50)]


def test_reissue_of_a_canceled_order_only_cancels(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    invoiced(world, order)
    order = fresh(order)
    order.status = C
    db.session.commit()
    response = staff.post(url(order, "invoices/reissue"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (f"Invoice CONF-00001 canceled by CONF-00002. No new invoice: Order {order.code} is canceled: "
            "there is nothing to invoice.") in html


def test_reissue_without_an_invoice_is_refused(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    before = fingerprint(order)
    response = staff.post(url(order, "invoices/reissue"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 422
    assert f"Order {order.code} has no invoice to reissue." in response.get_data(as_text=True)
    assert fingerprint(order) == before


# --- downloads -----------------------------------------------------------------------------------------

def test_download_an_invoice_pdf(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    invoice = invoiced(world, order)
    response = staff.get(url(order, f"invoices/{invoice.id}.pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="CONF-00001.pdf"'
    text = pdf_text(response.data)
    assert "Invoice CONF-00001" in text and order.code in text and "€50.00" in text


@pytest.mark.parametrize("invoice_id", ["9" * 30, str(2**64), "0", "-1", "abc", "1.5", "²", "x" * 300])
def test_unknown_invoice_ids_are_404(staff, world, invoice_id):
    order = factories.order(world.event, [world.ticket])
    invoiced(world, order)
    assert staff.get(url(order, f"invoices/{invoice_id}.pdf")).status_code == 404


def test_invoice_of_another_order_or_event_is_404(staff, world):
    order = factories.order(world.event, [world.ticket])
    other = factories.order(world.event, [world.ticket])
    other_event = factories.event(world.organizer, slug="gala")
    elsewhere = factories.order(other_event, [factories.item(other_event)])
    db.session.commit()
    invoice, foreign = invoiced(world, other), invoiced(world, elsewhere)
    assert staff.get(url(order, f"invoices/{invoice.id}.pdf")).status_code == 404
    # an order of another event under this event's URL
    assert staff.get(f"/demo/events/conf/orders/{elsewhere.code}/invoices/{foreign.id}.pdf").status_code == 404
    assert staff.get(url(elsewhere, f"invoices/{foreign.id}.pdf")).status_code == 200


def test_view_only_staff_download_but_see_no_buttons_and_get_403(browser, world):
    order = factories.order(world.event, [world.ticket], status=P)
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    invoice = invoiced(world, order)
    browser.login(viewer.email)
    page = browser.get(url(order)).get_data(as_text=True)
    assert "CONF-00001" in page and "Cancel and reissue" not in page and "Create invoice" not in page
    assert browser.get(url(order, f"invoices/{invoice.id}.pdf")).status_code == 200
    before = fingerprint(order)
    for action in ("invoices/create", "invoices/reissue"):
        assert browser.post(url(order, action), {"seen": seen(order)}, htmx=True).status_code == 403
    assert fingerprint(order) == before


def test_staff_of_other_events_get_404(browser, world):
    order = factories.order(world.event, [world.ticket], status=P)
    other_event = factories.event(world.organizer, slug="gala")
    outsider = factories.user(org=world.organizer, all_events=False, events=[other_event])
    invoice = invoiced(world, order)
    browser.login(outsider.email)
    assert browser.get(url(order, f"invoices/{invoice.id}.pdf")).status_code == 404
    assert browser.post(url(order, "invoices/reissue"), {"seen": seen(order)}, htmx=True).status_code == 404


def test_customer_downloads_invoices_behind_the_order_link(client, world):
    order = factories.order(world.event, [world.ticket], status=P)
    other = factories.order(world.event, [world.ticket], status=P)
    invoice = invoiced(world, order)
    cancellation = invoices.cancel_invoice(invoice, actor=Actor(user=world.admin))
    foreign = invoiced(world, other)
    base = f"/demo/conf/order/{order.code}/{order.secret}/"
    page = client.get(base).get_data(as_text=True)
    assert "Invoice CONF-00001" in page and "Cancellation CONF-00002" in page
    assert f'href="{base}invoices/{invoice.id}.pdf"' in page
    response = client.get(f"{base}invoices/{cancellation.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="CONF-00002.pdf"'
    assert "Cancellation of invoice CONF-00001" in pdf_text(response.data)
    assert client.get(f"{base}invoices/{foreign.id}.pdf").status_code == 404
    assert client.get(f"{base}invoices/{'9' * 30}.pdf").status_code == 404
    wrong_secret = f"/demo/conf/order/{order.code}/{'x' * len(order.secret)}/invoices/{invoice.id}.pdf"
    assert client.get(wrong_secret).status_code == 404


def test_the_customer_page_without_invoices_lists_none(client, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    page = client.get(f"/demo/conf/order/{order.code}/{order.secret}/").get_data(as_text=True)
    assert "Invoices" not in page


# --- two staff at once -----------------------------------------------------------------------------------

def test_two_staff_invoicing_two_orders_at_once_get_consecutive_numbers(two_staff, world):  # noqa: F811
    first = factories.order(world.event, [world.ticket], status=P)
    second = factories.order(world.event, [world.ticket], status=P, when=first.datetime - timedelta(hours=1))
    db.session.commit()
    paths = [url(o, "invoices/create") for o in (first, second)]
    seens = [o.last_modified.isoformat() for o in (first, second)]
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post(paths[0], {"seen": seens[0]}), lambda: ben.post(paths[1], {"seen": seens[1]}))
    assert [status for status, _ in results] == [200, 200], results
    db.session.rollback()
    assert sorted(db.session.scalars(select(Invoice.number))) == ["CONF-00001", "CONF-00002"]


def test_two_staff_invoicing_the_same_order_at_once_make_one_invoice(two_staff, world):  # noqa: F811
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    path = url(order, "invoices/create")
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post(path, {}), lambda: ben.post(path, {}))
    assert sorted(status for status, _ in results) == [200, 422], results
    loser = next(body for status, body in results if status == 422)
    assert "already has invoice CONF-00001" in loser
    db.session.rollback()
    assert list(db.session.scalars(select(Invoice.number))) == ["CONF-00001"]


def test_an_invoice_issued_before_lines_were_kept_says_so(staff, world):
    """Upgraded installs hold invoices without lines: no made-up €0.00, and the PDF says why."""
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.flush()
    legacy = Invoice(event_id=world.event.id, order_id=order.id, number="OLD-00007", date=order.datetime.date(),
                     currency="EUR", issuer="", recipient="")
    db.session.add(legacy)
    db.session.commit()
    page = staff.get(url(order)).get_data(as_text=True)
    row = page[page.index('id="invoice-%d"' % legacy.id):]
    row = row[:row.index("</tr>")]
    assert "not recorded" in row and "€0.00" not in row
    pdf = staff.get(url(order, f"invoices/{legacy.id}.pdf"))
    assert pdf.status_code == 200 and "recorded without its lines" in pdf_text(pdf.data)
