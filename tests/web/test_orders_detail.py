"""The order detail page and its actions as htmx fragments, plain posts, errors and permissions."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from backoffice.domain import orders
from backoffice.domain.models import (Answer, Checkin, CheckinList, InvoiceAddress, Order, OrderRefund,
                                      OrderStatus, OutboxEmail, Question)
from backoffice.extensions import db
from tests import factories

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED


def url(order: Order, action: str = "") -> str:
    return f"/demo/events/conf/orders/{order.code}/{action}"


def seen(order: Order) -> str:
    return order.last_modified.isoformat()


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def root_id(html: str) -> str:
    return re.match(r'\s*<(?:section|div) id="([^"]+)"', html).group(1)


def mails() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def test_detail_shows_everything_at_a_glance(staff, world):
    customer = factories.customer(world.organizer, name="Erika Customer")
    order = factories.order(world.event, [world.ticket, world.ticket], status=P, fees=[("payment", "2.00")],
                            customer=customer, phone="+4930123456", comment="Called twice",
                            checkin_attention=True, checkin_text="Wheelchair access", api_meta={"crm": "42"})
    db.session.add(InvoiceAddress(order=order, company="ACME GmbH", name_cached="Dana Doe", city="Berlin"))
    db.session.add(OrderRefund(order=order, local_id=1, state="done", amount=Decimal("10.00"), provider="manual"))
    question = Question(event_id=world.event.id, identifier="diet", question="Dietary needs")
    db.session.add(question)
    db.session.add(Answer(position=order.all_positions[0], question=question, answer="Vegan"))
    checkin_list = CheckinList(event_id=world.event.id, name="Main entrance")
    db.session.add(checkin_list)
    db.session.flush()
    db.session.add(Checkin(list=checkin_list, position_id=order.all_positions[0].id))
    db.session.commit()
    html = staff.get(url(order)).get_data(as_text=True)
    for text in (order.code, "status-paid", "Conference", "ACME GmbH", "Dana Doe", "Erika Customer",
                 customer.identifier, "Dietary needs", "Vegan", "Main entrance", "Attendee 1", "Called twice",
                 "Wheelchair access", "needs attention", "crm", order.all_positions[0].secret[:8] + "…",
                 orders.order_url(order), 'id="history"', "Mark as pending"):
        assert text in html, text
    # the status panel adds up: 102 total, 102 paid, 10 refunded, 10 open
    assert 'data-total="102.00"' in html and 'data-paid="102.00"' in html
    assert 'data-refunded="10.00"' in html and 'data-open="10.00"' in html


def test_detail_of_unknown_or_foreign_order_is_404(staff, world, browser):
    assert staff.get("/demo/events/conf/orders/NOPE1/").status_code == 404
    other = factories.organizer(slug="rival")
    other_event = factories.event(other, slug="conf")
    foreign = factories.order(other_event, [factories.item(other_event)])
    db.session.commit()
    assert staff.get(f"/rival/events/conf/orders/{foreign.code}/").status_code == 404
    assert staff.post(f"/rival/events/conf/orders/{foreign.code}/mark_paid", htmx=True).status_code == 404
    assert fresh(foreign).status == N


def test_order_of_other_event_is_404(staff, world):
    other_event = factories.event(world.organizer, slug="other")
    order = factories.order(other_event, [factories.item(other_event)])
    db.session.commit()
    assert staff.get(url(order)).status_code == 404


def test_view_only_staff_sees_no_actions_and_gets_403(browser, world):
    order = factories.order(world.event, [world.ticket])
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    html = browser.get(url(order)).get_data(as_text=True)
    assert order.code in html
    for marker in ('id="order-actions"', "Mark as paid", "Edit details", "invoice address</summary>", 'hx-post='):
        assert marker not in html
    for action in ("mark_paid", "cancel", "extend", "fields", "invoice_address", "delete", "resend_link"):
        assert browser.post(url(order, action), {"seen": seen(order)}, htmx=True).status_code == 403
    assert fresh(order).status == N


def test_post_without_csrf_is_refused(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert staff.post(url(order, "mark_paid"), csrf=False, htmx=True).status_code == 400
    assert fresh(order).status == N


# --- each action as an htmx fragment, and its error fragment ---------------------------------------

def test_mark_paid_fragment(staff, world):
    order = factories.order(world.event, [world.ticket], email="anna@example.org")
    db.session.commit()
    response = staff.post(url(order, "mark_paid"), {"seen": seen(order), "send_email": "on"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and root_id(html) == "order-summary"
    assert "marked as paid — email sent to anna@example.org" in html
    assert 'hx-swap-oob="outerHTML:#history"' in html and "Marked paid" in html
    assert 'id="order-positions"' in html and 'hx-swap-oob="true"' in html
    assert fresh(order).status == P and len(mails()) == 1


def test_mark_paid_quota_error_fragment_offers_overbooking(staff, world):
    world.quota.size = 1
    factories.order(world.event, [world.ticket], status=P)
    order = factories.order(world.event, [world.ticket], status=E)
    db.session.commit()
    response = staff.post(url(order, "mark_paid"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and root_id(html) == "order-summary"
    assert "Only 0 tickets left in quota &#39;Regular&#39;, 1 needed. Tick &#39;Overbook anyway&#39;" in html
    assert 'id="mark_paid-force"' in html
    assert fresh(order).status == E
    response = staff.post(url(order, "mark_paid"), {"seen": seen(order), "force": "on"}, htmx=True)
    assert response.status_code == 200 and fresh(order).status == P


def test_stale_page_gets_a_clear_message(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    old = seen(order)
    staff.post(url(order, "fields"), {"seen": old, "email": "x@example.org", "locale": "en",
                                      "expires": order.expires.date().isoformat()}, htmx=True)
    response = staff.post(url(order, "mark_paid"), {"seen": old}, htmx=True)
    assert response.status_code == 422
    assert "changed by someone else" in response.get_data(as_text=True)
    assert fresh(order).status == N


def test_action_no_longer_allowed_explains_itself(staff, world):
    order = factories.order(world.event, [world.ticket], status=C)
    db.session.commit()
    response = staff.post(url(order, "mark_expired"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "cannot be marked as expired: it is canceled" in html
    assert "Reload the order" in html


def test_cancel_fragment_with_comment_and_default_email(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], email="bob@example.org")
    db.session.commit()
    page = staff.get(url(order)).get_data(as_text=True)
    assert "Cancels order %s with 2 tickets (€100.00)." % order.code in page
    assert "Sends an email to bob@example.org" in page and 'id="cancel-send_email" value="on" checked' in page
    response = staff.post(url(order, "cancel"), {"seen": seen(order), "send_email": "on",
                                                 "comment": "Sold out show moved."}, htmx=True)
    assert response.status_code == 200 and fresh(order).status == C
    [mail] = mails()
    assert "Sold out show moved." in mail.body and mail.to == "bob@example.org"


def test_cancel_with_too_high_fee_keeps_what_was_typed(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    response = staff.post(url(order, "cancel"), {"seen": seen(order), "comment": "keep me",
                                                 "cancellation_fee": "99.00"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "cannot be higher than the order total" in html
    assert "keep me</textarea>" in html and 'value="99.00"' in html and "is-invalid" in html
    assert fresh(order).status == P


def test_cancel_with_fee_shows_fee_as_only_component(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    db.session.commit()
    response = staff.post(url(order, "cancel"), {"seen": seen(order), "cancellation_fee": "15"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Order {order.code} canceled, keeping the cancellation fee of €15.00; €85.00 is due for refund." in html
    assert 'data-total="15.00"' in html and 'data-open="-85.00"' in html and "Due for refund" in html
    assert fresh(order).status == P and fresh(order).total == Decimal("15.00")


def test_reactivate_mark_pending_mark_expired(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    for action, status in (("mark_pending", N), ("mark_expired", E)):
        response = staff.post(url(order, action), {"seen": seen(fresh(order))}, htmx=True)
        assert response.status_code == 200 and fresh(order).status == status
    staff.post(url(order, "cancel"), {"seen": seen(fresh(order))}, htmx=True)
    assert fresh(order).status == C
    response = staff.post(url(order, "reactivate"), {"seen": seen(fresh(order))}, htmx=True)
    assert response.status_code == 200 and "reactivated" in response.get_data(as_text=True)
    assert fresh(order).status == P  # its payment still covers the total


def test_extend_fragment_and_bad_dates(staff, world):
    order = factories.order(world.event, [world.ticket], status=E)
    db.session.commit()
    for value, message in (("", "as a date"), ("2020-01-01", "must not be in the past"), ("31.12.2030", "as a date")):
        response = staff.post(url(order, "extend"), {"seen": seen(order), "until": value}, htmx=True)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    until = (date.today() + timedelta(days=5)).isoformat()
    response = staff.post(url(order, "extend"), {"seen": seen(order), "until": until}, htmx=True)
    assert response.status_code == 200 and f"set to {until}" in response.get_data(as_text=True)
    assert fresh(order).status == N


def test_approve_and_deny_fragments(staff, world):
    first = factories.order(world.event, [world.ticket], require_approval=True, email="a@example.org")
    second = factories.order(world.event, [world.ticket], require_approval=True, email="b@example.org")
    db.session.commit()
    page = staff.get(url(first)).get_data(as_text=True)
    assert re.search(r'id="action-approve">\s*<details\s*><summary class="btn btn-sm btn-primary">Approve', page)
    response = staff.post(url(first, "approve"), {"seen": seen(first), "send_email": "on"}, htmx=True)
    assert response.status_code == 200 and "approved — email sent to a@example.org" in response.get_data(as_text=True)
    response = staff.post(url(second, "deny"), {"seen": seen(second), "comment": "Members only"}, htmx=True)
    assert response.status_code == 200 and "denied" in response.get_data(as_text=True)
    assert (fresh(first).require_approval, fresh(second).status, fresh(second).require_approval) == (False, C, True)
    assert [m.to for m in mails()] == ["a@example.org"]  # deny without send_email sends nothing
    again = staff.post(url(second, "deny"), {"seen": seen(fresh(second))}, htmx=True)
    assert again.status_code == 422 and "not awaiting approval" in again.get_data(as_text=True)


def test_regenerate_secrets_and_resend_link(staff, world, client):
    order = factories.order(world.event, [world.ticket], email="c@example.org")
    db.session.commit()
    old_page = orders.public_order_path(order)
    response = staff.post(url(order, "regenerate_secrets"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 200 and "no longer work" in response.get_data(as_text=True)
    assert client.get(old_page).status_code == 404
    response = staff.post(url(order, "resend_link"), {"seen": seen(fresh(order))}, htmx=True)
    assert response.status_code == 200 and "Order link sent to c@example.org" in response.get_data(as_text=True)
    [mail] = mails()
    link = orders.order_url(fresh(order))
    assert link in mail.body and client.get(link.removeprefix("http://backoffice.test")).status_code == 200


def test_resend_link_without_email_is_an_error_fragment(staff, world):
    order = factories.order(world.event, [world.ticket], email=None)
    db.session.commit()
    assert "Resend order link" not in staff.get(url(order)).get_data(as_text=True)
    response = staff.post(url(order, "resend_link"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 422 and "has no email address" in response.get_data(as_text=True)


def test_delete_test_order_redirects_and_real_order_is_refused(staff, world):
    real = factories.order(world.event, [world.ticket])
    test = factories.order(world.event, [world.ticket], testmode=True)
    db.session.commit()
    response = staff.post(url(real, "delete"), {"seen": seen(real)}, htmx=True)
    assert response.status_code == 422 and "Only test-mode orders can be deleted" in response.get_data(as_text=True)
    response = staff.post(url(test, "delete"), {"seen": seen(test)}, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/demo/events/conf/orders/"
    assert staff.get(url(test)).status_code == 404


def test_edit_fields_fragment_and_errors(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    form = {"seen": seen(order), "email": "new@example.org", "phone": "+49 30 555123", "locale": "de",
            "comment": "Prefers phone", "checkin_attention": "on", "checkin_text": "VIP",
            "custom_followup_at": "2030-01-02", "expires": order.expires.date().isoformat()}
    response = staff.post(url(order, "fields"), form, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and root_id(html) == "order-details" and "Order details saved." in html
    order = fresh(order)
    assert (order.email, order.phone, order.locale, order.custom_followup_at) == (
        "new@example.org", "+4930555123", "de", date(2030, 1, 2))
    bad = dict(form, seen=seen(order), email="broken", comment="typed text")
    response = staff.post(url(order, "fields"), bad, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and root_id(html) == "order-details"
    assert "not a valid email address" in html and 'value="broken"' in html and "typed text</textarea>" in html


def test_invoice_address_fragment(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    response = staff.post(url(order, "invoice_address"), {
        "seen": seen(order), "company": "Initech", "name_full_name": "Peter Gibbons", "city": "Austin",
        "country": "us", "is_business": "on"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and root_id(html) == "invoice-address" and "Peter Gibbons" in html
    assert fresh(order).invoice_address.country == "US"
    response = staff.post(url(order, "invoice_address"), {"seen": seen(fresh(order)), "country": "USA"}, htmx=True)
    assert response.status_code == 422 and "two-letter code" in response.get_data(as_text=True)
    response = staff.post(url(order, "invoice_address/remove"), {"seen": seen(fresh(order))}, htmx=True)
    assert response.status_code == 200 and "No invoice address." in response.get_data(as_text=True)
    assert fresh(order).invoice_address is None


def test_plain_post_without_javascript_redirects_with_message(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    response = staff.post(url(order, "mark_expired"), {"seen": seen(order)})
    assert response.status_code == 303 and response.headers["Location"].endswith(url(order))
    page = staff.get(url(order)).get_data(as_text=True)
    assert "marked as expired" in page and fresh(order).status == E
    response = staff.post(url(order, "mark_expired"), {"seen": seen(fresh(order))})
    assert response.status_code == 303
    assert "cannot be marked as expired" in staff.get(url(order)).get_data(as_text=True)


def test_every_action_writes_history_shown_on_the_page(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    staff.post(url(order, "mark_paid"), {"seen": seen(order)}, htmx=True)
    staff.post(url(order, "mark_pending"), {"seen": seen(fresh(order))}, htmx=True)
    html = staff.get(url(order)).get_data(as_text=True)
    history = html.split('id="history"')[1]
    assert history.index("Marked pending") < history.index("Marked paid")  # newest first


def test_public_order_page(client, world):
    order = factories.order(world.event, [world.ticket, world.ticket], email="d@example.org")
    db.session.commit()
    path = orders.public_order_path(order)
    html = client.get(path).get_data(as_text=True)
    assert "Conference" in html and "Please pay" in html and "€100.00" in html and "Attendee 2" in html
    for wrong in (path.replace(order.secret, "x" * 16), path.replace(order.code, "AAAAA"),
                  path.replace("/conf/", "/other/")):
        response = client.get(wrong)
        assert response.status_code == 404
        assert order.code not in response.get_data(as_text=True)


def test_detail_query_count_does_not_grow_with_positions(staff, world, count_queries):
    question = Question(event_id=world.event.id, identifier="q", question="Shirt size")
    checkin_list = CheckinList(event_id=world.event.id, name="Door")
    db.session.add_all([question, checkin_list])

    def order_with(n):
        o = factories.order(world.event, [world.ticket] * n, status=P, fees=[("payment", "1.00")] * n,
                            customer=factories.customer(world.organizer))
        db.session.add(InvoiceAddress(order=o, name_cached="X"))
        for p in o.all_positions:
            db.session.add(Answer(position=p, question=question, answer="M"))
            db.session.flush()
            db.session.add(Checkin(list=checkin_list, position_id=p.id))
        db.session.commit()
        return o

    small, big = order_with(1), order_with(12)
    small_url, big_url = url(small), url(big)
    db.session.expire_all()  # each request starts from fresh rows, as in production
    with count_queries() as few:
        assert staff.get(small_url).status_code == 200
    db.session.expire_all()
    with count_queries() as many:
        assert staff.get(big_url).status_code == 200
    assert few.count == many.count, "\n".join(set(many.statements) ^ set(few.statements))
    assert many.count <= 20


# --- mark paid settles open payments; cancel with a fee says what happened ---------------------------

def _open_payment(order: Order, provider: str, amount: str, state: str = "pending") -> None:
    from backoffice.domain.models import OrderPayment
    db.session.add(OrderPayment(order=order, local_id=len(order.payments) + 1, state=state,
                                amount=Decimal(amount), provider=provider))


def _payment_rows(html: str) -> list[str]:
    section = html.split('id="order-payments"')[1]
    return [re.sub(r"<[^>]+>", "|", row).replace("||", "|") for row in
            re.findall(r'<tr id="payment-\d+">(.*?)</tr>', section, re.S)]


def test_mark_paid_cancels_the_pending_bank_transfer_and_totals_add_up(staff, world):
    order = factories.order(world.event, [world.ticket])
    _open_payment(order, "banktransfer", "50.00")
    db.session.commit()
    response = staff.post(url(order, "mark_paid"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = _payment_rows(html)
    assert len(rows) == 2
    assert "Bank transfer" in rows[0] and "|canceled|" in rows[0]
    assert "Manual payment" in rows[1] and "|confirmed|" in rows[1] and "€50.00" in rows[1]
    assert 'data-total="50.00"' in html and 'data-paid="50.00"' in html and 'data-open="0.00"' in html
    assert [p.state for p in fresh(order).payments] == ["canceled", "confirmed"]


def test_mark_paid_confirms_the_open_manual_payment_of_the_open_amount(staff, world):
    order = factories.order(world.event, [world.ticket])
    _open_payment(order, "manual", "50.00", state="created")
    db.session.commit()
    html = staff.post(url(order, "mark_paid"), {"seen": seen(order)}, htmx=True).get_data(as_text=True)
    [row] = _payment_rows(html)
    assert "Manual payment" in row and "|confirmed|" in row
    assert 'data-paid="50.00"' in html and 'data-open="0.00"' in html
    assert [(p.local_id, p.state) for p in fresh(order).payments] == [(1, "confirmed")]


def test_cancel_with_fee_on_overpaid_order_says_fee_kept_and_refund_due(staff, world):
    order = factories.order(world.event, [world.ticket], status=P, fees=[("payment", "29.00")],
                            email="eva@example.org")
    db.session.commit()
    response = staff.post(url(order, "cancel"), {"seen": seen(order), "send_email": "on",
                                                 "cancellation_fee": "5.00"}, htmx=True)
    assert response.status_code == 200
    for html in (response.get_data(as_text=True), staff.get(url(order)).get_data(as_text=True)):
        summary = html.split('id="order-summary"')[1].split("</section>")[0]
        assert '<span class="badge status-canceled">canceled, fee kept</span>' in summary
        assert "status-paid" not in summary
        assert "Canceled with a cancellation fee</strong> of €5.00:" in summary
        assert "the fee was kept from the payment, €74.00 is due for refund." in summary
        assert 'data-total="5.00"' in summary and 'data-paid="79.00"' in summary and 'data-open="-74.00"' in summary
    [mail] = mails()
    assert "We kept a cancellation fee of €5.00 from your payment of €79.00." in mail.body
    assert "The remaining €74.00 is due to be refunded to you." in mail.body
    assert "remains due" not in mail.body


def test_cancel_with_fee_not_covered_says_what_remains_due(staff, world):
    order = factories.order(world.event, [world.ticket], status=N, email="eva@example.org")
    db.session.commit()
    response = staff.post(url(order, "cancel"), {"seen": seen(order), "send_email": "on",
                                                 "cancellation_fee": "5.00"}, htmx=True)
    assert (f"Order {order.code} canceled with a cancellation fee of €5.00: €5.00 of it remains due — "
            "email sent to eva@example.org.") in response.get_data(as_text=True)
    summary = staff.get(url(order)).get_data(as_text=True).split('id="order-summary"')[1].split("</section>")[0]
    assert '<span class="badge status-canceled">canceled, fee due</span>' in summary
    assert "status-pending" not in summary
    assert "€5.00 of it remains due." in summary and "refund" not in summary.split("Canceled with")[1]
    [mail] = mails()
    assert "A cancellation fee of €5.00 applies.\n€5.00 remains due." in mail.body


def test_canceled_with_fee_reads_the_same_in_the_list(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    staff.post(url(order, "cancel"), {"seen": seen(order), "cancellation_fee": "5.00"}, htmx=True)
    row = staff.get("/demo/events/conf/orders/").get_data(as_text=True).split(f'id="order-row-{order.code}"')[1]
    assert '<span class="badge status-canceled">canceled, fee kept</span>' in row.split("</tr>")[0]


def test_reactivating_a_denied_order_brings_it_back_to_approval(staff, world):
    # paid before it was denied: reactivating must still not skip the approval
    order = factories.order(world.event, [world.ticket], require_approval=True, paid=True, email="f@example.org")
    db.session.commit()
    staff.post(url(order, "deny"), {"seen": seen(order)}, htmx=True)
    response = staff.post(url(order, "reactivate"), {"seen": seen(fresh(order))}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "status-approval" in html.split("</h1>")[0]
    assert (fresh(order).status, fresh(order).require_approval) == (N, True)
    assert re.search(r'<summary class="btn btn-sm btn-primary">Approve', html)


def test_mark_paid_of_expired_order_with_a_blocked_seat_is_refused(staff, world):
    seat = factories.seat(world.event, "C3")
    order = factories.order(world.event, [world.ticket], status=E, seats=[seat])
    seat.blocked = True
    db.session.commit()
    response = staff.post(url(order, "mark_paid"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Seat C3 is blocked by the organizer and cannot be sold." in html
    assert fresh(order).status == E and fresh(order).payments == []


def test_cancel_of_paid_order_says_what_is_due_for_refund(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    response = staff.post(url(order, "cancel"), {"seen": seen(order)}, htmx=True)
    assert f"Order {order.code} canceled; €50.00 is due for refund." in response.get_data(as_text=True)
    assert fresh(order).status == "c"
