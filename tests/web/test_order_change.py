"""The "Change order" screen: the form, the htmx preview, saving, refusals that keep what was
typed, hostile values and permissions."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.domain.models import LogEntry, Order, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.domain.test_order_change import snapshot

N, P = OrderStatus.PENDING, OrderStatus.PAID


def url(order: Order, suffix: str = "") -> str:
    return f"/demo/events/conf/orders/{order.code}/change{suffix}"


def fresh(order: Order) -> Order:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Order, order.id)


def seen(order: Order) -> str:
    return fresh(order).last_modified.isoformat()


def form_of(order: Order, **changes) -> dict:
    """The form as the page sends it unchanged, with `changes` on top."""
    order = fresh(order)
    data = {"seen": order.last_modified.isoformat(), "new_rows": "1", "reissue_invoice": "on"}
    for p in order.positions:
        data.update({f"p{p.positionid}-item": str(p.item_id), f"p{p.positionid}-price": "",
                     f"p{p.positionid}-variation": "", f"p{p.positionid}-valid_from": "",
                     f"p{p.positionid}-valid_until": ""})
    for f in order.fees:
        data[f"fee{f.id}-value"] = f"{f.value:.2f}"
    data.update(changes)
    return data


@pytest.fixture
def vip(world):
    item = factories.item(world.event, "VIP ticket", "80.00")
    factories.quota(world.event, [item], 10, name="VIP")
    db.session.commit()
    return item


@pytest.fixture
def order(world):
    o = factories.order(world.event, [world.ticket, world.ticket], fees=[("payment", "2.00")])
    db.session.commit()
    return o


def test_order_page_links_to_the_change_form(staff, order):
    html = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert f'href="{url(order)}"' in html and "Change order…" in html


def test_form_shows_each_ticket_fee_and_the_003_defaults(staff, order, vip):
    response = staff.get(url(order))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for n in (1, 2):
        assert f'id="change-position-{n}"' in html and f'name="p{n}-cancel"' in html and f'name="p{n}-split"' in html
        assert f'name="p{n}-price" inputmode="decimal" placeholder="50.00" value=""' in html
    fee = fresh(order).fees[0]
    assert f'name="fee{fee.id}-value" inputmode="decimal" value="2.00"' in html
    assert 'name="new1-item"' in html and f'<option value="{vip.id}" >VIP ticket' in html
    assert re.search(r'id="reissue_invoice" name="reissue_invoice" value="on" checked', html)
    assert not re.search(r'id="send_email" name="send_email" value="on" checked', html)


def test_preview_shows_the_difference_to_pay_and_writes_nothing(staff, order, vip):
    before = snapshot()
    response = staff.post(url(order, "/preview"), form_of(order, **{"p1-item": str(vip.id)}), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="change-preview-result"' in html and "nothing is saved yet" in html
    assert re.search(r'id="preview-total">€102.00 → <strong>€132.00</strong>\s*\(\+€30.00\)', html)
    assert 'data-open="132.00"' in html and "To pay" in html
    assert "Ticket 1: product Regular ticket → VIP ticket; price 50.00 → 80.00." in html
    assert snapshot() == before


def test_preview_of_a_refused_change_says_why_with_422(staff, order):
    before = snapshot()
    response = staff.post(url(order, "/preview"), form_of(order, **{"p1-cancel": "on", "p2-cancel": "on"}), htmx=True)
    assert response.status_code == 422
    assert "cancel the order instead" in response.get_data(as_text=True)
    assert snapshot() == before


def test_preview_without_javascript_renders_the_whole_page(staff, order, vip):
    response = staff.post(url(order, "/preview"), form_of(order, **{"p2-price": "60.00"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and 'id="change-preview-result"' in html
    assert 'name="p2-price" inputmode="decimal" placeholder="50.00" value="60.00"' in html  # the typed value stays


def test_save_applies_everything_and_returns_to_the_order(staff, order, vip):
    data = form_of(order, **{"p1-item": str(vip.id), "p2-split": "on", "new1-item": str(world_ticket(order)),
                             "new1-name_full_name": "Grace Hopper", "send_email": "on"})
    response = staff.post(url(order), data)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order.code}/")
    changed = fresh(order)
    assert [(p.positionid, p.item.name) for p in changed.positions] == [(1, "VIP ticket"), (3, "Regular ticket")]
    assert changed.positions[1].attendee_name == "Grace Hopper"
    assert changed.total == Decimal("132.00")
    page = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert f"Order {order.code} changed: total €132.00, €132.00 to pay. Tickets moved to new order" in page
    assert "Email sent." in page
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "order.changed"))
    assert entry.data["split"]["positions"] == [2]


def world_ticket(order: Order) -> int:
    return fresh(order).positions[0].item_id


def test_save_with_htmx_redirects(staff, order):
    response = staff.post(url(order), form_of(order, **{"p2-cancel": "on"}), htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"].endswith(f"/orders/{order.code}/")
    assert [p.canceled for p in fresh(order).all_positions] == [False, True]


def test_refusal_keeps_what_was_typed_and_names_the_field(staff, order, vip):
    before = snapshot()
    data = form_of(order, **{"p1-price": "abc", "p2-item": str(vip.id), "new1-item": str(vip.id),
                             "new1-attendee_email": "not-an-email", "new1-name_full_name": "Ada"})
    response = staff.post(url(order), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There are 2 problems; nothing was changed." in html
    assert 'name="p1-price" inputmode="decimal" placeholder="50.00" value="abc"' in html
    assert "Ticket 1: the price must be an amount" in html
    assert re.search(r'is-invalid" id="p1-price"', html)
    assert "New ticket 1: &#39;not-an-email&#39; is not a valid email address." in html
    assert 'value="not-an-email"' in html and 'value="Ada"' in html
    assert re.search(rf'id="p2-item".*?<option value="{vip.id}" selected>', html, re.S)
    assert snapshot() == before


def test_a_stale_form_is_refused_with_a_reload_link(staff, order):
    data = form_of(order, **{"p1-price": "10.00"})
    staff.post(url(order), form_of(order, **{"p2-price": "40.00"}))
    response = staff.post(url(order), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "changed by someone else" in html and "Reload the form" in html
    assert fresh(order).positions[0].price == Decimal("50.00")


def test_another_ticket_row_keeps_the_input(staff, order, vip):
    data = {**form_of(order, **{"new1-item": str(vip.id), "p1-price": "1"}), "new_rows": ["1", "2"]}
    response = staff.post(url(order), data)  # the button sends one more row next to the hidden count
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="change-new-2"' in html and 'name="new_rows" value="2"' in html
    assert 'name="p1-price" inputmode="decimal" placeholder="50.00" value="1"' in html
    assert fresh(order).positions[0].price == Decimal("50.00")


HOSTILE = ["9" * 30, "1e999", "NaN", "-5", "<script>alert(1)</script>", "x" * 10_000, "0001-01-01", "9999-12-31T23:59",
           "", " ", "[]", "{}"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_crash_and_change_nothing(staff, world, order, value):
    other_event = factories.event(world.organizer, slug="other")
    foreign = factories.item(other_event, "Foreign", "1.00")
    db.session.commit()
    before = snapshot()
    fields = ["p1-item", "p1-variation", "p1-subevent", "p1-seat", "p1-price", "p1-tax_rule", "p1-valid_from",
              "p1-valid_until", "new1-item", "new1-price", "new1-addon_to", "recalculate_taxes", "new_rows"]
    for name in fields:
        for target in (url(order), url(order, "/preview")):
            response = staff.post(target, form_of(order, **{name: value, "new1-price": "1" if name != "new1-price"
                                                               else value}), htmx=target.endswith("preview"))
            assert response.status_code in (200, 422), (name, value, response.status_code)
            if response.status_code == 200 and not target.endswith("preview"):
                pytest.fail(f"{name}={value[:20]!r} was accepted")
    response = staff.post(url(order), form_of(order, **{"p1-item": str(foreign.id)}))
    assert response.status_code == 422 and f"Ticket 1: there is no product {foreign.id} in this event." in \
        response.get_data(as_text=True)
    assert snapshot() == before


def test_ids_of_another_order_in_field_names_are_ignored(staff, world, order):
    other = factories.order(world.event, [world.ticket, world.ticket, world.ticket])
    db.session.commit()
    before = snapshot()
    response = staff.post(url(order), form_of(order, **{"p3-cancel": "on", "p3-price": "1.00"}))
    assert response.status_code == 422 and "Nothing to change" in response.get_data(as_text=True)
    assert [p.canceled for p in fresh(other).all_positions] == [False, False, False]
    assert snapshot() == before


def test_staff_who_may_only_view_orders_get_403(browser, world, order):
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    html = browser.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert "Change order…" not in html
    before = snapshot()
    assert browser.get(url(order)).status_code == 403
    assert browser.post(url(order), form_of(order, **{"p2-cancel": "on"})).status_code == 403
    assert browser.post(url(order, "/preview"), form_of(order), htmx=True).status_code == 403
    assert snapshot() == before


def test_orders_of_other_events_and_organizers_are_404(staff, world, order):
    rival = factories.organizer(slug="rival")
    rival_order = factories.order(factories.event(rival, slug="conf"), [world.ticket])
    other_event = factories.event(world.organizer, slug="other")
    other_order = factories.order(other_event, [factories.item(other_event)])
    db.session.commit()
    before = snapshot()
    assert staff.get(f"/rival/events/conf/orders/{rival_order.code}/change").status_code == 404
    assert staff.get(f"/demo/events/conf/orders/{other_order.code}/change").status_code == 404
    assert staff.post(f"/demo/events/other/orders/{order.code}/change", {"p1-cancel": "on"}).status_code == 404
    assert staff.post(f"/demo/events/conf/orders/{other_order.code}/change/preview", {"p1-cancel": "on"},
                      htmx=True).status_code == 404
    assert snapshot() == before
    assert staff.get(url(order)).status_code == 200


def test_csrf_is_required(staff, order):
    before = snapshot()
    response = staff.post(url(order), form_of(order, **{"p2-cancel": "on"}), csrf=False)
    assert response.status_code in (400, 403)
    assert snapshot() == before


def test_preview_shows_the_invoice_that_would_be_reissued(staff, world, order):
    from backoffice.domain import invoices
    from backoffice.domain.audit import Actor
    invoice = invoices.create_invoice(fresh(order), actor=Actor(user=world.admin))
    number = invoice.number
    db.session.commit()
    before = snapshot()
    html = staff.post(url(order, "/preview"), form_of(order, **{"p2-price": "40.00"}), htmx=True).get_data(as_text=True)
    assert f'id="preview-invoice">{number} is canceled; a new invoice over €92.00 is issued' in html
    assert snapshot() == before
    html = staff.post(url(order, "/preview"), form_of(order, **{"p2-price": "40.00", "reissue_invoice": ""}),
                      htmx=True).get_data(as_text=True)
    assert "preview-invoice" not in html
