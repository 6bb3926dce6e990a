"""State operations of an order through the API: allowed and refused, mails, history."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backoffice.domain.models import LogEntry, Order, OrderStatus, OutboxEmail, utcnow
from backoffice.extensions import db
from tests import factories

EVENT = "/api/v1/organizers/demo/events/conf/orders/"


def _order(world, **kw):
    order = factories.order(world.event, [world.ticket], **kw)
    db.session.commit()
    return order


def _fresh(order) -> Order:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Order, order.id)


def _mails(order) -> list[OutboxEmail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.object_type == "order",
                                                             OutboxEmail.object_id == order.id)
                                    .order_by(OutboxEmail.id)))


def _history(order) -> list[LogEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(LogEntry).where(LogEntry.object_type == "order",
                                                          LogEntry.object_id == order.id).order_by(LogEntry.id)))


def test_mark_paid_records_payment_mails_and_audits_the_token(api, world):
    order = _order(world)
    response = api.post(f"{EVENT}{order.code}/mark_paid/", {"send_email": True}, content_type="text/json")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "p"
    assert response.json["payments"][-1]["state"] == "confirmed"
    assert response.json["payments"][-1]["amount"] == "50.00"
    assert [m.template for m in _mails(order)] == ["order_paid"]
    entry = _history(order)[-1]
    assert entry.action_type == "order.marked_paid" and entry.api_token_id is not None and entry.user_id is None


def test_mark_paid_without_mail(api, world):
    order = _order(world)
    assert api.post(f"{EVENT}{order.code}/mark_paid/", {"send_email": False}).status_code == 200
    assert _mails(order) == []


def test_mark_paid_of_a_paid_order_is_refused_and_changes_nothing(api, world):
    order = _order(world, status=OrderStatus.PAID)
    before = _fresh(order).last_modified
    response = api.post(f"{EVENT}{order.code}/mark_paid/")
    assert response.status_code == 400 and "detail" in response.json
    fresh = _fresh(order)
    assert fresh.status == OrderStatus.PAID and fresh.last_modified == before and len(fresh.payments) == 1
    assert _history(order) == []


def test_mark_canceled_sends_mail_by_default(api, world):
    order = _order(world)
    response = api.post(f"{EVENT}{order.code}/mark_canceled/",
                        {"comment": "Event was canceled.", "cancellation_fee": None})
    assert response.status_code == 200 and response.json["status"] == "c"
    assert [m.template for m in _mails(order)] == ["order_canceled"]


def test_mark_canceled_with_a_fee_keeps_the_fee(api, world):
    order = _order(world, status=OrderStatus.PAID)
    response = api.post(f"{EVENT}{order.code}/mark_canceled/", {"send_email": False, "cancellation_fee": "10.00"})
    assert response.status_code == 200, response.json
    assert response.json["total"] == "10.00"
    assert [f["fee_type"] for f in response.json["fees"]] == ["cancellation"]
    assert response.json["positions"] == []


@pytest.mark.parametrize("fee", ["1e999", "NaN", "-5", "abc", "99999999999999999999", 1e308])
def test_mark_canceled_refuses_fees_that_are_no_amount(api, world, fee):
    order = _order(world)
    response = api.post(f"{EVENT}{order.code}/mark_canceled/", {"cancellation_fee": fee})
    assert response.status_code == 400
    assert "cancellation_fee" in response.json
    assert _fresh(order).status == OrderStatus.PENDING


def test_reactivate_and_refusal(api, world):
    order = _order(world, status=OrderStatus.CANCELED)
    response = api.post(f"{EVENT}{order.code}/reactivate/")
    assert response.status_code == 200 and response.json["status"] == "n"
    again = api.post(f"{EVENT}{order.code}/reactivate/")
    assert again.status_code == 400 and _fresh(order).status == OrderStatus.PENDING


def test_reactivate_is_refused_without_quota(api, world):
    world.quota.size = 0
    order = _order(world, status=OrderStatus.CANCELED)
    response = api.post(f"{EVENT}{order.code}/reactivate/")
    assert response.status_code == 400
    assert _fresh(order).status == OrderStatus.CANCELED


def test_mark_pending_and_mark_expired(api, world):
    paid = _order(world, status=OrderStatus.PAID)
    assert api.post(f"{EVENT}{paid.code}/mark_pending/").json["status"] == "n"
    assert api.post(f"{EVENT}{paid.code}/mark_expired/").json["status"] == "e"
    assert api.post(f"{EVENT}{paid.code}/mark_expired/").status_code == 400
    assert api.post(f"{EVENT}{paid.code}/mark_pending/").status_code == 400
    assert _fresh(paid).status == OrderStatus.EXPIRED


def test_extend_sets_the_end_of_the_day_and_revives_an_expired_order(api, world):
    order = _order(world, status=OrderStatus.EXPIRED)
    day = (utcnow() + timedelta(days=30)).date()
    response = api.post(f"{EVENT}{order.code}/extend/", {"expires": day.isoformat(), "force": False})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "n"
    assert response.json["expires"].startswith(day.isoformat())


@pytest.mark.parametrize("value", ["2001-01-01", "0001-01-01", "9999-12-31", "yesterday", 20250101, None])
def test_extend_refuses_bad_dates_naming_the_field(api, world, value):
    order = _order(world)
    before = _fresh(order).expires
    response = api.post(f"{EVENT}{order.code}/extend/", {"expires": value})
    assert response.status_code == 400
    assert "expires" in response.json
    assert _fresh(order).expires == before


def test_extend_needs_expires(api, world):
    order = _order(world)
    response = api.post(f"{EVENT}{order.code}/extend/", {})
    assert response.status_code == 400 and "expires" in response.json


def test_approve_and_deny(api, world):
    one = _order(world, require_approval=True)
    two = _order(world, require_approval=True)
    approved = api.post(f"{EVENT}{one.code}/approve/")
    assert approved.status_code == 200
    assert approved.json["status"] == "n" and approved.json["require_approval"] is False
    denied = api.post(f"{EVENT}{two.code}/deny/", {"send_email": True, "comment": "You're not a business customer!"})
    assert denied.status_code == 200
    assert denied.json["status"] == "c" and denied.json["require_approval"] is True
    assert [m.template for m in _mails(two)] == ["order_denied"]
    assert api.post(f"{EVENT}{one.code}/approve/").status_code == 400
    assert api.post(f"{EVENT}{one.code}/deny/").status_code == 400


def test_resend_link_answers_204_and_mails(api, world):
    order = _order(world)
    response = api.post(f"{EVENT}{order.code}/resend_link/")
    assert response.status_code == 204 and response.data == b""
    assert [m.template for m in _mails(order)] == ["order_link"]


def test_resend_link_without_email_is_refused(api, world):
    order = _order(world, email=None)
    assert api.post(f"{EVENT}{order.code}/resend_link/").status_code == 400


def test_actions_on_an_unknown_order_are_404(api, world):
    for action in ("mark_paid", "mark_canceled", "reactivate", "mark_pending", "mark_expired", "approve", "deny",
                   "resend_link"):
        assert api.post(f"{EVENT}NOPE1/{action}/").status_code == 404, action
    assert api.post(f"{EVENT}NOPE1/extend/", {"expires": date.today().isoformat()}).status_code == 404


def test_actions_need_the_change_permission(client, world):
    from .conftest import Api, limited_team, make_token
    order = _order(world)
    viewer = Api(client, make_token(limited_team(world, [world.event], can_change_orders=False)))
    assert viewer.get(f"{EVENT}{order.code}/").status_code == 200
    assert viewer.post(f"{EVENT}{order.code}/mark_paid/").status_code == 403
    assert _fresh(order).status == OrderStatus.PENDING
