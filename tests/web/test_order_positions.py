"""The ticket actions on the order page: htmx fragments (tickets region plus the totals), the
refusal next to the button, plain posts, permissions and foreign or impossible ticket numbers."""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select

from backoffice.domain.models import (BlockedSecret, LogEntry, Order, OrderStatus, Question, QuestionOption,
                                      RevokedSecret)
from backoffice.extensions import db
from tests import factories
from tests.web.test_orders_concurrency import at_once, two_staff  # noqa: F401 - two_staff is a fixture

N, P = OrderStatus.PENDING, OrderStatus.PAID


def url(order: Order, positionid, action: str) -> str:
    return f"/demo/events/conf/orders/{order.code}/positions/{positionid}/{action}"


def add_url(order: Order) -> str:
    return f"/demo/events/conf/orders/{order.code}/positions/add"


def seen(order: Order) -> str:
    return fresh(order).last_modified.isoformat()


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def state(order: Order) -> tuple:
    order = fresh(order)
    return (order.status, order.total, order.last_modified,
            [(p.canceled, p.secret, p.blocked, p.attendee_name, p.attendee_email) for p in order.all_positions],
            db.session.scalar(select(func.count(LogEntry.id))))


def row(html: str, positionid: int) -> str:
    return re.search(rf'<tr class="position-row[^"]*" id="position-{positionid}">(.*?)</tr>', html, re.S).group(1)


def test_order_page_offers_ticket_actions_to_staff_who_may_change_orders(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    html = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    for n in (1, 2):
        assert f'aria-label="Actions for ticket {n}"' in row(html, n)
        for form_id in ("edit", "block", "secret", "cancel"):
            assert f'id="form-position-{form_id}-{n}"' in html
    assert 'id="form-position-add"' in html and "Add ticket</summary>" in html


def test_view_only_staff_sees_no_ticket_actions_and_gets_403(browser, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    html = browser.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert "Actions for ticket" not in html and "form-position-add" not in html
    before = state(order)
    attempts = (("block", {"block": "add"}), ("cancel", {}), ("secret", {}), ("edit", {"name_full_name": "X"}))
    for action, data in attempts:
        assert browser.post(url(order, 1, action), {"seen": seen(order), **data}, htmx=True).status_code == 403
    assert browser.post(add_url(order), {"item": world.ticket.id}, htmx=True).status_code == 403
    assert state(order) == before


def test_foreign_unknown_and_impossible_ticket_numbers_are_404(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    other_order = factories.order(world.event, [world.ticket, world.ticket, world.ticket])
    other_event = factories.event(world.organizer, slug="other")
    foreign = factories.order(other_event, [factories.item(other_event)])
    rival = factories.organizer(slug="rival")
    rival_order = factories.order(factories.event(rival, slug="conf"), [world.ticket])
    db.session.commit()
    before = state(order), state(other_order), state(foreign)
    for positionid in ("3", "0", "-1", "9" * 30, "abc", "1e3", "2 ", "²"):
        response = staff.post(url(order, positionid, "block"), {"seen": seen(order), "block": "add"}, htmx=True)
        assert response.status_code == 404, positionid
    assert staff.post(f"/demo/events/conf/orders/{foreign.code}/positions/1/cancel", htmx=True).status_code == 404
    assert staff.post(f"/rival/events/conf/orders/{rival_order.code}/positions/1/secret", htmx=True).status_code == 404
    assert (state(order), state(other_order), state(foreign)) == before


def test_block_then_undo_swaps_the_region_and_totals(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    response = staff.post(url(order, 2, "block"), {"seen": seen(order), "block": "add"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="order-positions"')
    assert 'id="order-summary" aria-live="polite" aria-label="Order status" hx-swap-oob="true"' in html
    assert "Ticket 2 blocked: scanners refuse it." in html
    assert 'id="form-position-undo"' in html and ">Undo</button>" in html
    assert "blocked: admin" in row(html, 2) and "blocked: admin" not in row(html, 1)
    assert "Unblock ticket" in row(html, 2) and "Block ticket" in row(html, 1)
    order = fresh(order)
    assert [p.blocked for p in order.all_positions] == [None, ["admin"]]
    secret = order.all_positions[1].secret
    assert db.session.scalar(select(BlockedSecret.blocked).where(BlockedSecret.secret == secret)) is True
    # the undo button posts the unblock with the page's new state
    undo = re.search(r'id="form-position-undo">.*?name="seen" value="([^"]+)"', html, re.S).group(1)
    assert undo == order.last_modified.isoformat()
    response = staff.post(url(order, 2, "block"), {"seen": undo, "block": "remove"}, htmx=True)
    assert response.status_code == 200 and "Ticket 2 unblocked." in response.get_data(as_text=True)
    order = fresh(order)
    assert [p.blocked for p in order.all_positions] == [None, None]
    assert db.session.scalar(select(BlockedSecret.blocked).where(BlockedSecret.secret == secret)) is False
    logged = list(db.session.scalars(select(LogEntry.action_type).order_by(LogEntry.id)))
    assert logged == ["position.blocked", "position.unblocked"]


def test_refused_block_explains_itself_next_to_the_button(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    before = state(order)
    response = staff.post(url(order, 2, "block"), {"seen": seen(order), "block": "remove"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "hx-swap-oob" not in html
    assert "has no block &#39;admin&#39;" in row(html, 2) and "action-error" not in row(html, 1)
    assert re.search(r'<details class="position-menu" open id="position-menu-2"', html)
    response = staff.post(url(order, 2, "block"), {"seen": seen(order), "block": "<script>x</script>"}, htmx=True)
    assert response.status_code == 422 and "Choose whether to block or unblock" in response.get_data(as_text=True)
    assert state(order) == before


def test_stale_page_is_refused_with_a_clear_message(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    old = seen(order)
    assert staff.post(url(order, 1, "block"), {"seen": old, "block": "add"}, htmx=True).status_code == 200
    before = state(order)
    response = staff.post(url(order, 2, "cancel"), {"seen": old}, htmx=True)
    assert response.status_code == 422
    assert "changed by someone else in the meantime" in row(response.get_data(as_text=True), 2)
    assert state(order) == before


def test_new_secret_of_one_ticket(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    old = [p.secret for p in order.all_positions]
    response = staff.post(url(order, 1, "secret"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 200
    assert "New secret for ticket 1; the old one no longer works." in response.get_data(as_text=True)
    new = [p.secret for p in fresh(order).all_positions]
    assert new[0] != old[0] and new[1] == old[1]
    assert list(db.session.scalars(select(RevokedSecret.secret))) == [old[0]]


def test_cancel_ticket_moves_totals_and_refuses_the_last_one(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    db.session.commit()
    response = staff.post(url(order, 2, "cancel"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ticket 2 canceled. Order total now €50.00; €50.00 is due for refund." in html
    assert 'data-total="50.00"' in html and 'data-open="-50.00"' in html  # the summary, out of band
    assert 'id="positions-total">€50.00' in html
    assert "Actions for ticket 2" not in html and "Tickets (1, 1 canceled)" in html
    before = state(order)
    response = staff.post(url(order, 1, "cancel"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 422
    assert "Ticket 1 is the last ticket of order" in row(response.get_data(as_text=True), 1)
    assert "cancel the order instead" in response.get_data(as_text=True)
    assert state(order) == before


def test_cancel_of_an_already_canceled_ticket_explains_itself(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket, world.ticket])
    db.session.commit()
    page_seen = seen(order)
    order.all_positions[2].canceled = True
    db.session.commit()
    response = staff.post(url(order, 3, "cancel"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 422
    assert "Ticket 3 of order" in response.get_data(as_text=True) and "is canceled" in response.get_data(as_text=True)
    response = staff.post(url(order, 3, "cancel"), {"seen": page_seen}, htmx=True)
    assert response.status_code == 422 and "Reload the order" in response.get_data(as_text=True)


def test_edit_attendee_with_answers_and_errors(staff, world):
    diet = Question(event_id=world.event.id, identifier="diet", question="Diet", type="C", required=True)
    db.session.add(diet)
    diet.items = [world.ticket]
    vegan = QuestionOption(question=diet, identifier="v", answer="Vegan")
    db.session.add(vegan)
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    page = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert f'name="answer_{diet.id}"' in page and "Diet *" in page
    before = state(order)
    response = staff.post(url(order, 2, "edit"), {
        "seen": seen(order), "name_full_name": "Typed Name", "attendee_email": "broken", "zipcode": "1" * 31,
        f"answer_{diet.id}": "9" * 30}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    edit_row = row(html, 2)
    assert "There are 3 problems" in edit_row
    assert "not a valid email address" in edit_row and "at most 30 characters" in edit_row
    assert "is not an option of the question &#39;Diet&#39;" in edit_row
    assert 'value="Typed Name"' in edit_row
    assert state(order) == before

    response = staff.post(url(order, 2, "edit"), {"seen": seen(order), "name_full_name": "Typed Name"}, htmx=True)
    assert response.status_code == 422 and "The question &#39;Diet&#39; is required" in response.get_data(as_text=True)

    response = staff.post(url(order, 2, "edit"), {
        "seen": seen(order), "name_full_name": "Grace Hopper", "attendee_email": "grace@example.org",
        "country": "US", f"answer_{diet.id}": str(vegan.id)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ticket 2 saved." in html
    assert "Grace Hopper" in row(html, 2) and "Vegan" in row(html, 2)
    p = fresh(order).all_positions[1]
    assert (p.attendee_name, p.attendee_email, p.country) == ("Grace Hopper", "grace@example.org", "US")
    assert fresh(order).all_positions[0].attendee_name == "Attendee 1"
    assert 'hx-swap-oob="true"' in html and "Changed" in html  # the history follows


def test_add_ticket_form_and_refusals(staff, world):
    world.quota.size = 2
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    response = staff.post(add_url(order), {"seen": seen(order), "item": str(world.ticket.id), "price": "",
                                           "name_full_name": "Guest Two", "addon_to": ""}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Ticket 2 added: Regular ticket, €50.00. Order total now €100.00, €50.00 open." in html
    assert "Guest Two" in row(html, 2)
    order = fresh(order)
    assert order.status == N and order.total == Decimal("100.00")

    before = state(order)
    response = staff.post(add_url(order), {"seen": seen(order), "item": str(world.ticket.id)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Only 0 tickets left in quota &#39;Regular&#39;" in html and "Tick &#39;Overbook anyway&#39;" in html
    assert '<details class="position-add mt-2" open' in html
    response = staff.post(add_url(order), {"seen": seen(order), "item": "9" * 30, "price": "1e999",
                                           "addon_to": "<script>"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "There are 3 problems" in html and "<script>" not in html
    assert state(order) == before
    response = staff.post(add_url(order), {"seen": seen(order), "item": str(world.ticket.id), "force": "on",
                                           "price": "12.5"}, htmx=True)
    assert response.status_code == 200
    assert [p.price for p in fresh(order).positions] == [Decimal("50.00"), Decimal("50.00"), Decimal("12.50")]


def test_plain_posts_redirect_back_with_a_message(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    response = staff.post(url(order, 1, "block"), {"seen": seen(order), "block": "add"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order.code}/")
    page = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert "Ticket 1 blocked" in page
    response = staff.post(url(order, 1, "block"), {"seen": seen(order), "block": "add"})
    assert response.status_code == 303  # blocking twice changes nothing
    response = staff.post(url(order, 2, "cancel"), {"seen": "stale"})
    assert response.status_code == 303
    assert "changed by someone else" in staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)


def test_post_without_csrf_is_refused(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    before = state(order)
    assert staff.post(url(order, 1, "cancel"), {"seen": seen(order)}, csrf=False, htmx=True).status_code == 400
    assert state(order) == before


# --- two staff members at once, over real HTTP --------------------------------------------------------


def test_two_staff_adding_the_last_ticket_of_a_quota(two_staff, world):
    from backoffice.domain import availability
    world.quota.size = 3
    first = factories.order(world.event, [world.ticket])
    second = factories.order(world.event, [world.ticket])
    db.session.commit()
    paths = [add_url(o) for o in (first, second)]
    data = [{"seen": o.last_modified.isoformat(), "item": str(world.ticket.id)} for o in (first, second)]
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post(paths[0], data[0]), lambda: ben.post(paths[1], data[1]))
    assert sorted(status for status, _ in results) == [200, 422], results
    loser = next(body for status, body in results if status == 422)
    assert "Only 0 tickets left in quota &#39;Regular&#39;, 1 needed." in loser
    db.session.expire_all()
    assert sorted(len(db.session.get(Order, o.id).positions) for o in (first, second)) == [1, 2]
    assert availability.quota_used(world.quota) == 3 == world.quota.size


def test_two_staff_on_tickets_of_the_same_order(two_staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket, world.ticket])
    db.session.commit()
    page_seen = order.last_modified.isoformat()
    cancel, block = url(order, 1, "cancel"), url(order, 2, "block")
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post(cancel, {"seen": page_seen}),
                      lambda: ben.post(block, {"seen": page_seen, "block": "add"}))
    assert sorted(status for status, _ in results) == [200, 422], results
    assert "changed by someone else" in next(body for status, body in results if status == 422)
    final = fresh(order)
    changed = [p.canceled or bool(p.blocked) for p in final.all_positions]
    assert changed.count(True) == 1


def test_adding_to_an_order_canceled_meanwhile_explains_itself(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    order.status = OrderStatus.CANCELED
    db.session.commit()
    before = state(order)
    response = staff.post(add_url(order), {"seen": seen(order), "item": str(world.ticket.id)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is canceled: reactivate it before you add tickets" in html and "form-position-add" not in html
    assert state(order) == before
