"""The example requests of seed 003's state operations, sent as the seed sends them (its bodies,
its `text/json` where it uses that), on an order in the state each needs: the seed's status code
and the shape of its example response (the full order, or the payment or refund)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from backoffice.domain.models import OrderPayment, OrderRefund, OrderStatus, utcnow
from backoffice.extensions import db
from tests import factories

from .conftest import seed_example
from .shapes import assert_same_shape
from .test_orders import SEED_NULLS, demo_order

ORDERS = "/api/v1/organizers/demo/events/conf/orders/"
ORDER_NULLS = frozenset(p.replace("$.results[]", "$") for p in SEED_NULLS)
IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()

# operation, starting state, body as the seed sends it, its content type, what the seed's example shows
ORDER_OPERATIONS = [
    ("mark_paid", {}, {"send_email": True}, "application/json", {"status": "p"}),
    ("mark_canceled", {}, {"send_email": True, "comment": "Event was canceled.", "cancellation_fee": None},
     "text/json", {"status": "c"}),
    ("mark_pending", {"status": OrderStatus.PAID}, None, None, {"status": "n"}),
    ("mark_expired", {}, None, None, {"status": "e"}),
    # the seed's "2017-10-28" lies in the past, where a deadline cannot be moved to
    ("extend", {}, {"expires": IN_A_MONTH, "force": False}, "text/json", {"status": "n"}),
    ("approve", {"require_approval": True}, None, None, {"status": "n", "require_approval": False}),
    ("deny", {"require_approval": True}, {"send_email": True, "comment": "You're not a business customer!"},
     "text/json", {"status": "c"}),
    ("reactivate", {"status": OrderStatus.CANCELED}, None, None, {"status": "n"}),
    ("regenerate_secrets", {}, None, None, {"status": "n"}),
]


@pytest.mark.parametrize("operation, state, body, content_type, shown", ORDER_OPERATIONS,
                         ids=[o[0] for o in ORDER_OPERATIONS])
def test_order_operations_answer_the_order_as_the_seed_shows(api, world, operation, state, body, content_type,
                                                            shown):
    # like the seed's order: an invoice address, an answer, a check-in
    order = demo_order(world, when=utcnow(), **{"status": OrderStatus.PENDING, **state})
    response = api.post(f"{ORDERS}{order.code}/{operation}/", body, content_type=content_type or "application/json")
    assert response.status_code == 200, response.json
    assert response.headers["Content-Type"] == "application/json"
    assert_same_shape(response.json, seed_example("order_list")["results"][0], nullable=ORDER_NULLS)
    assert {key: response.json[key] for key in shown} == shown
    assert response.json == api.get(f"{ORDERS}{order.code}/").json


def _with_payment_and_refund(world):
    order = factories.order(world.event, [world.ticket])
    db.session.add_all([
        OrderPayment(order=order, local_id=1, state="created", amount=Decimal("50.00"), provider="banktransfer",
                     created=utcnow()),
        OrderPayment(order=order, local_id=2, state="confirmed", amount=Decimal("50.00"), provider="banktransfer",
                     created=utcnow(), payment_date=utcnow()),
        OrderRefund(order=order, local_id=1, state="created", source="admin", amount=Decimal("5.00"),
                    provider="manual", created=utcnow())])
    db.session.commit()
    return order


# path below the order, body as the seed sends it, example, what the seed's example shows
MONEY_OPERATIONS = [
    ("payments/1/confirm/", {"send_email": True, "force": False}, "payment", {"state": "confirmed"}),
    ("payments/1/cancel/", None, "payment", {"state": "canceled"}),
    ("payments/2/refund/", {"amount": "23.00", "mark_canceled": False}, "refund", {"amount": "23.00"}),
    ("refunds/1/done/", None, "refund", {"state": "done"}),
    ("refunds/1/cancel/", None, "refund", {"state": "canceled"}),
]


@pytest.mark.parametrize("path, body, example, shown", MONEY_OPERATIONS, ids=[o[0] for o in MONEY_OPERATIONS])
def test_payment_and_refund_operations_answer_as_the_seed_shows(api, world, path, body, example, shown):
    order = _with_payment_and_refund(world)
    response = api.post(f"{ORDERS}{order.code}/{path}", body)
    assert response.status_code == 200, response.json
    # `details` differ by provider: 003 tells clients to expect any keys in it
    answer = dict(response.json)
    assert isinstance(answer.pop("details"), dict)
    expected = {k: v for k, v in seed_example(example).items() if k != "details"}
    assert_same_shape(answer, expected, nullable=frozenset({"$.payment_url"}) if example == "payment" else frozenset())
    assert {key: answer[key] for key in shown} == shown
