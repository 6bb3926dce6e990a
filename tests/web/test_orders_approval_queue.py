"""The approval queue in the order list: approve and deny inside a row, answered with that row."""
from __future__ import annotations

import re

from sqlalchemy import select

from backoffice.domain.models import LogEntry, Order, OrderStatus, OutboxEmail
from backoffice.extensions import db
from tests import factories

N, P, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELED
LIST = "/demo/events/conf/orders/"
QUEUE = f"{LIST}?status=n&require_approval=true"


def url(order: Order, action: str) -> str:
    return f"{LIST}{order.code}/{action}"


def seen(order: Order) -> str:
    return order.last_modified.isoformat()


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def row_of(html: str, code: str) -> str:
    match = re.search(rf'<tr class="order-row[^"]*" id="order-row-{code}".*?</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


def from_list(order: Order, **data) -> dict:
    """What the row's forms send."""
    return {"seen": seen(order), "list_url": QUEUE, **data}


def mails() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def audit_actions(order: Order) -> list[str]:
    stmt = select(LogEntry.action_type).where(LogEntry.object_type == "order", LogEntry.object_id == order.id)
    return list(db.session.scalars(stmt))


def test_row_actions_only_on_orders_awaiting_approval(staff, world):
    waiting = factories.order(world.event, [world.ticket, world.ticket], require_approval=True, email="a@example.org")
    pending = factories.order(world.event, [world.ticket])
    paid = factories.order(world.event, [world.ticket], status=P)
    denied = factories.order(world.event, [world.ticket], status=C, require_approval=True)
    db.session.commit()
    html = staff.get(LIST).get_data(as_text=True)
    row = row_of(html, waiting.code)
    assert f'hx-post="{url(waiting, "approve")}"' in row and f'hx-post="{url(waiting, "deny")}"' in row
    assert 'name="csrf_token"' in row and f'name="list_url" value="{LIST}"' in row
    assert "Cancels 2 tickets, emails a@example.org." in row
    assert 'name="send_email" id="deny-send_email-%s" value="on" checked' % waiting.code in row
    assert "data-safe-choice" in row
    for other in (pending, paid, denied):
        assert "hx-post" not in row_of(html, other.code)


def test_organizer_wide_list_has_the_row_actions_too(staff, world):
    waiting = factories.order(world.event, [world.ticket], require_approval=True)
    db.session.commit()
    row = row_of(staff.get("/demo/orders/").get_data(as_text=True), waiting.code)
    assert url(waiting, "approve") in row and world.event.name in row


def test_view_only_staff_sees_no_row_actions_and_gets_403(browser, world):
    order = factories.order(world.event, [world.ticket], require_approval=True)
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    row = row_of(browser.get(QUEUE).get_data(as_text=True), order.code)
    assert "hx-post" not in row and "Deny" not in row
    for action in ("approve", "deny"):
        assert browser.post(url(order, action), from_list(order), htmx=True).status_code == 403
    assert fresh(order).require_approval is True and fresh(order).status == N


def test_approve_from_the_list_answers_with_the_row(staff, world):
    order = factories.order(world.event, [world.ticket], require_approval=True, email="a@example.org")
    db.session.commit()
    response = staff.post(url(order, "approve"), from_list(order, send_email="on"), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.match(rf'<tr class="order-row[^"]*" id="order-row-{order.code}"', html.lstrip())
    assert "awaiting approval" not in html and ">pending<" in html
    assert "hx-post" not in html  # nothing left to approve
    assert f"Order {order.code} approved — email sent to a@example.org." in html
    assert 'id="history"' not in html and 'hx-swap-oob' not in html
    assert (fresh(order).status, fresh(order).require_approval) == (N, False)
    assert [(m.to, m.template) for m in mails()] == [("a@example.org", "order_approved")]
    assert audit_actions(order) == ["order.approved"]


def test_deny_from_the_list_with_comment(staff, world):
    order = factories.order(world.event, [world.ticket], require_approval=True, email="b@example.org")
    db.session.commit()
    response = staff.post(url(order, "deny"), from_list(order, comment="Members only", send_email="on"), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="order-row-{order.code}"' in html
    assert ">canceled<" in html and "hx-post" not in html
    assert f"Order {order.code} denied — email sent to b@example.org." in html
    assert (fresh(order).status, fresh(order).require_approval) == (C, True)
    [mail] = mails()
    assert (mail.to, mail.template) == ("b@example.org", "order_denied") and "Members only" in mail.body
    assert audit_actions(order) == ["order.denied"]


def test_stale_approve_shows_the_message_in_the_row_and_changes_nothing(staff, world):
    order = factories.order(world.event, [world.ticket], require_approval=True)
    db.session.commit()
    old = from_list(order, send_email="on")
    assert staff.post(url(order, "approve"), old, htmx=True).status_code == 200  # "another tab"
    approved = fresh(order)
    state = (approved.status, approved.require_approval, approved.expires, approved.last_modified)
    count = (len(mails()), len(audit_actions(order)))
    response = staff.post(url(order, "approve"), old, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="order-row-{order.code}"' in html
    assert "changed by someone else in the meantime. The row now shows its current state." in html
    assert "hx-post" not in html and ">pending<" in html
    order = fresh(order)
    assert (order.status, order.require_approval, order.expires, order.last_modified) == state
    assert (len(mails()), len(audit_actions(order))) == count
    # without the page's timestamp the rule itself explains the refusal
    response = staff.post(url(order, "deny"), {"list_url": QUEUE}, htmx=True)
    assert response.status_code == 422 and f"Order {order.code} is not awaiting approval." in response.get_data(as_text=True)
    assert fresh(order).status == N


def test_plain_post_from_the_list_redirects_back_with_a_message(staff, world):
    order = factories.order(world.event, [world.ticket], require_approval=True, email="a@example.org")
    db.session.commit()
    response = staff.post(url(order, "approve"), from_list(order, send_email="on"))
    assert response.status_code == 303 and response.headers["Location"].endswith(QUEUE)
    assert f"Order {order.code} approved" in staff.get(QUEUE).get_data(as_text=True)
    response = staff.post(url(order, "deny"), from_list(fresh(order)))
    assert response.status_code == 303 and response.headers["Location"].endswith(QUEUE)
    assert "is not awaiting approval" in staff.get(QUEUE).get_data(as_text=True)


def test_list_url_pointing_elsewhere_is_ignored(staff, world):
    order = factories.order(world.event, [world.ticket], require_approval=True)
    db.session.commit()
    response = staff.post(url(order, "approve"), from_list(order, list_url="//evil.example/"))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{LIST}{order.code}/")


def test_another_organizers_order_is_404(staff, world):
    rival = factories.organizer(slug="rival")
    event = factories.event(rival, slug="conf")
    order = factories.order(event, [factories.item(event)], require_approval=True)
    db.session.commit()
    assert staff.post(url(order, "approve"), from_list(order), htmx=True).status_code == 404
    assert staff.post(f"/rival/events/conf/orders/{order.code}/deny", from_list(order), htmx=True).status_code == 404
    assert fresh(order).require_approval is True and fresh(order).status == N
