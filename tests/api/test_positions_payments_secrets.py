"""Positions, payments, refunds, revoked and blocked secrets through the API (seed 003)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from backoffice.domain import secrets
from backoffice.domain.audit import SYSTEM
from backoffice.domain.models import Checkin, CheckinList, OrderRefund, OrderStatus
from backoffice.extensions import db
from tests import factories

from .conftest import Api, limited_team, make_token, seed_example
from .shapes import assert_same_shape
from .test_orders import SEED_NULLS, demo_order

EVENT = "/api/v1/organizers/demo/events/conf/"
POSITION_NULLS = frozenset(p.replace("$.results[].positions[]", "$.results[]") for p in SEED_NULLS
                           if "positions[]" in p) | {"$.next", "$.previous"}


def test_position_list_replays_the_seed_example(api, world):
    order = demo_order(world)
    response = api.get(EVENT + "orderpositions/")
    assert response.status_code == 200
    example = seed_example("order_list")["results"][0]["positions"][0]
    assert_same_shape(response.json, {"count": 1, "next": None, "previous": None, "results": [example]},
                      nullable=POSITION_NULLS)
    assert response.json["results"][0]["order"] == order.code


def test_position_detail_and_canceled_positions(api, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    first, second = order.all_positions
    second.canceled = True
    db.session.commit()
    shown = api.get(f"{EVENT}orderpositions/{first.id}/")
    assert shown.status_code == 200 and shown.json["positionid"] == 1
    assert api.get(f"{EVENT}orderpositions/{second.id}/").status_code == 404
    assert api.get(f"{EVENT}orderpositions/{second.id}/?include_canceled_positions=true").json["canceled"] is True
    assert api.get(f"{EVENT}orderpositions/999999/").status_code == 404
    assert api.get(f"{EVENT}orderpositions/{'9' * 30}/").status_code == 404
    listed = api.get(EVENT + "orderpositions/").json
    assert [p["id"] for p in listed["results"]] == [first.id]
    assert api.get(EVENT + "orderpositions/?include_canceled_positions=true").json["count"] == 2


def test_position_filters_and_ordering(api, world):
    vip = factories.item(world.event, "VIP", "90.00")
    a = factories.order(world.event, [world.ticket, vip], when=datetime(2024, 1, 1, tzinfo=timezone.utc))
    b = factories.order(world.event, [vip], status=OrderStatus.PAID, when=datetime(2024, 2, 1, tzinfo=timezone.utc))
    checkin_list = CheckinList(event_id=world.event.id, name="Entrance")
    db.session.add(checkin_list)
    db.session.flush()
    db.session.add(Checkin(list_id=checkin_list.id, position_id=b.all_positions[0].id))
    # tickets the counts must leave out: another event's, and a canceled one
    other = factories.event(world.organizer, slug="other")
    factories.order(other, [factories.item(other, "VIP", "90.00")], status=OrderStatus.PAID)
    canceled = factories.order(world.event, [vip], status=OrderStatus.PAID).all_positions[0]
    canceled.canceled = True
    db.session.commit()

    def ids(params):
        response = api.get(EVENT + "orderpositions/?" + params)
        assert response.status_code == 200, response.json
        found = [p["id"] for p in response.json["results"]]
        assert response.json["count"] == len(found), params
        return found
    a1, a2 = (p.id for p in a.all_positions)
    b1 = b.all_positions[0].id
    assert ids("") == [a1, a2, b1]
    assert ids("ordering=-order__datetime") == [b1, a2, a1]
    assert ids("ordering=order__code")[0] == (a1 if a.code < b.code else b1)
    assert ids("ordering=-positionid")[0] == a2
    assert ids(f"item={vip.id}") == [a2, b1]
    assert ids(f"item__in={vip.id},{world.ticket.id}") == [a1, a2, b1]
    assert ids(f"order={a.code}") == [a1, a2]
    assert ids("order__status=p") == [b1]
    assert ids("order__status__in=n,e") == [a1, a2]
    assert ids("has_checkin=true") == [b1]
    assert ids(f"item={vip.id}&order__status=p") == [b1]
    assert ids(f"item={vip.id}&include_canceled_positions=true") == [a2, b1, canceled.id]
    assert ids(f"secret={b.all_positions[0].secret}") == [b1]
    bad = api.get(EVENT + "orderpositions/?item__in=1,x")
    assert bad.status_code == 400 and "item__in" in bad.json
    huge = api.get(EVENT + f"orderpositions/?item__in=1,{2**31}")
    assert huge.status_code == 400 and "item__in" in huge.json


def test_positions_of_another_event_are_404_for_a_limited_team(client, world):
    other = factories.event(world.organizer, slug="other")
    theirs = factories.order(other, [factories.item(other, "Other", "10.00")])
    db.session.commit()
    api = Api(client, make_token(limited_team(world, [world.event])))
    assert api.get(f"{EVENT}orderpositions/{theirs.all_positions[0].id}/").status_code == 404
    assert api.get(f"/api/v1/organizers/demo/events/other/orderpositions/").status_code == 403


def _with_refund(world):
    order = factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED, paid=True)
    db.session.flush()
    db.session.add(OrderRefund(order=order, local_id=1, state="done", source="admin", amount=Decimal("50.00"),
                               provider="manual", payment=order.payments[0], comment="Cancellation",
                               execution_date=datetime(2017, 12, 4, 12, 13, 12, tzinfo=timezone.utc)))
    db.session.commit()
    return order


def test_payments_and_refunds_replay_the_seed_examples(api, world):
    order = _with_refund(world)
    base = f"{EVENT}orders/{order.code}/"
    payment = api.get(base + "payments/1/")
    assert payment.status_code == 200
    assert_same_shape(payment.json, seed_example("payment"), nullable=frozenset({"$.payment_url"}))
    payments = api.get(base + "payments/").json
    assert payments["count"] == 1 and payments["results"] == [payment.json]
    refund = api.get(base + "refunds/1/")
    assert refund.status_code == 200
    assert_same_shape(refund.json, seed_example("refund"))
    assert refund.json["payment"] == 1 and refund.json["amount"] == "50.00"
    assert api.get(base + "refunds/").json["results"] == [refund.json]


def test_unknown_payments_and_refunds_are_404(api, world):
    order = _with_refund(world)
    base = f"{EVENT}orders/{order.code}/"
    for url in ("payments/2/", "payments/x/", f"payments/{'9' * 30}/", "refunds/2/", "refunds/-1/"):
        response = api.get(base + url)
        assert response.status_code == 404 and "detail" in response.json, url
    assert api.get(f"{EVENT}orders/NOPE1/payments/").status_code == 404


def test_revoked_and_blocked_secrets_replay_the_seed_examples(api, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    position = order.all_positions[0]
    old_secret = position.secret
    secrets.add_block(position, actor=SYSTEM)
    secrets.regenerate_position_secret(position, actor=SYSTEM)
    db.session.commit()
    revoked = api.get(EVENT + "revokedsecrets/")
    assert revoked.status_code == 200 and "X-Page-Generated" in revoked.headers
    assert_same_shape(revoked.json, seed_example("revoked_secrets"), nullable=frozenset({"$.next", "$.previous"}))
    assert [r["secret"] for r in revoked.json["results"]] == [old_secret]
    blocked = api.get(EVENT + "blockedsecrets/")
    assert_same_shape(blocked.json, seed_example("blocked_secrets"), nullable=frozenset({"$.next", "$.previous"}))
    assert {r["secret"] for r in blocked.json["results"]} == {old_secret, position.secret}
    since = blocked.headers["X-Page-Generated"]
    assert api.get(EVENT + "blockedsecrets/", query_string={"updated_since": since}).json["count"] == 0
    assert api.get(EVENT + "revokedsecrets/", query_string={"created_since": since}).json["count"] == 0
    assert api.get(EVENT + "blockedsecrets/?blocked=false").json["count"] == 0
    assert api.get(EVENT + "revokedsecrets/?ordering=secret").status_code == 200
    assert api.get(EVENT + "revokedsecrets/?ordering=id").status_code == 400
