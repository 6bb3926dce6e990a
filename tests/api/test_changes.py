"""Order PATCH and DELETE, new secrets, ticket blocks, payments and refunds through the API."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.domain.models import (BlockedSecret, InvoiceAddress, LogEntry, Order, OrderPayment, OrderRefund,
                                      OrderStatus, OutboxEmail, RevokedSecret, utcnow)
from backoffice.extensions import db
from tests import factories

from .conftest import seed_example
from .shapes import assert_same_shape

EVENT = "/api/v1/organizers/demo/events/conf/"


def _order(world, **kw):
    order = factories.order(world.event, [world.ticket], **kw)
    db.session.commit()
    return order


def _fresh(model, obj_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, obj_id)


def _actions(order) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(LogEntry.action_type).where(
        LogEntry.object_type == "order", LogEntry.object_id == order.id).order_by(LogEntry.id)))


# --- PATCH ----------------------------------------------------------------------------------------

def test_patch_replays_the_seed_example(api, world):
    order = _order(world)
    response = api.patch(f"{EVENT}orders/{order.code}/", {"email": "other@example.org", "locale": "de",
                                                          "comment": "Foo", "checkin_attention": True})
    assert response.status_code == 200, response.json
    assert (response.json["email"], response.json["locale"], response.json["comment"],
            response.json["checkin_attention"]) == ("other@example.org", "de", "Foo", True)
    assert response.json["phone"] is None  # not sent: unchanged
    assert _actions(order)


def test_patch_invoice_address_whole_object_or_null(api, world):
    order = _order(world)
    url = f"{EVENT}orders/{order.code}/"
    response = api.patch(url, {"invoice_address": {"is_business": True, "company": "Sample company",
                                                   "name_parts": {"full_name": "John Doe"}, "country": "de"}})
    assert response.status_code == 200, response.json
    address = response.json["invoice_address"]
    assert address["company"] == "Sample company" and address["country"] == "DE" and address["street"] is None
    assert api.patch(url, {"invoice_address": None}).json["invoice_address"] is None
    db.session.rollback()
    assert db.session.scalar(select(InvoiceAddress).where(InvoiceAddress.order_id == order.id)) is None


def test_patch_refuses_bad_fields_and_changes_nothing(api, world):
    order = _order(world)
    before = _fresh(Order, order.id).email
    url = f"{EVENT}orders/{order.code}/"
    for body, field in (({"email": "not an email"}, "email"), ({"expires": "tomorrow"}, "expires"),
                        ({"expires": "2030-01-01T10:00:00"}, "expires"), ({"locale": "xx"}, "locale"),
                        ({"custom_followup_at": "0001-01-01"}, "custom_followup_at"),
                        ({"email": "a@example.org", "invoice_address": {"is_business": True}}, "invoice_address"),
                        ({"api_meta": []}, "api_meta")):
        response = api.patch(url, body)
        assert response.status_code == 400, body
        assert field in response.json, (body, response.json)
    assert _fresh(Order, order.id).email == before


def test_patch_expires_as_a_day_or_a_moment(api, world):
    order = _order(world)
    url = f"{EVENT}orders/{order.code}/"
    year = utcnow().year + 1
    assert api.patch(url, {"expires": f"{year}-03-01"}).json["expires"].startswith(f"{year}-03-01T22:59:59")
    assert api.patch(url, {"expires": f"{year}-03-02T10:00:00Z"}).json["expires"] == f"{year}-03-02T10:00:00Z"


# --- DELETE and secrets ---------------------------------------------------------------------------

def test_delete_only_test_mode_orders(api, world):
    real = _order(world)
    test = _order(world, testmode=True)
    assert api.delete(f"{EVENT}orders/{real.code}/").status_code == 400
    assert _fresh(Order, real.id) is not None
    response = api.delete(f"{EVENT}orders/{test.code}/")
    assert response.status_code == 204
    assert _fresh(Order, test.id) is None
    assert api.get(f"{EVENT}orders/{test.code}/").status_code == 404


def test_regenerate_order_secrets_revokes_the_old_ones(api, world):
    order = _order(world)
    old_secret, old_ticket = order.secret, order.all_positions[0].secret
    response = api.post(f"{EVENT}orders/{order.code}/regenerate_secrets/")
    assert response.status_code == 200
    assert response.json["secret"] != old_secret and response.json["positions"][0]["secret"] != old_ticket
    db.session.rollback()
    assert db.session.scalar(select(RevokedSecret.secret)) == old_ticket


def test_blocks_and_a_new_ticket_secret(api, world):
    order = _order(world)
    position_id = order.all_positions[0].id
    url = f"{EVENT}orderpositions/{position_id}/"
    blocked = api.post(url + "add_block/", {"name": "api:block1"})
    assert blocked.status_code == 200 and blocked.json["blocked"] == ["api:block1"]
    assert api.post(url + "add_block/", {"name": "not allowed"}).json.keys() == {"name"}
    regenerated = api.post(url + "regenerate_secrets/")
    assert regenerated.status_code == 200 and regenerated.json["blocked"] == ["api:block1"]
    assert api.post(url + "remove_block/", {"name": "api:other"}).status_code == 400
    unblocked = api.post(url + "remove_block/", {"name": "api:block1"})
    assert unblocked.status_code == 200 and unblocked.json["blocked"] is None
    db.session.rollback()
    assert all(not b.blocked for b in db.session.scalars(
        select(BlockedSecret).where(BlockedSecret.secret == regenerated.json["secret"])))
    assert api.post(f"{EVENT}orderpositions/99999/add_block/", {"name": "admin"}).status_code == 404


# --- payments and refunds -------------------------------------------------------------------------

def test_create_payment_replays_the_seed_example(api, world):
    order = _order(world)
    response = api.post(f"{EVENT}orders/{order.code}/payments/", {
        "state": "confirmed", "amount": "50.00", "payment_date": "2017-12-04T12:13:12Z", "info": {},
        "send_email": False, "provider": "banktransfer"})
    assert response.status_code == 201, response.json
    assert_same_shape(response.json, seed_example("payment"), nullable=frozenset({"$.payment_url"}))
    assert response.json["payment_date"] == "2017-12-04T12:13:12Z"
    assert _fresh(Order, order.id).status == OrderStatus.PAID


def test_confirm_and_cancel_payments(api, world):
    order = _order(world)
    base = f"{EVENT}orders/{order.code}/payments/"
    api.post(base, {"state": "created", "amount": "50.00", "provider": "banktransfer"})
    api.post(base, {"state": "pending", "amount": "5.00", "provider": "banktransfer"})
    confirmed = api.post(base + "1/confirm/", {"send_email": True, "force": False})
    assert confirmed.status_code == 200 and confirmed.json["state"] == "confirmed"
    assert _fresh(Order, order.id).status == OrderStatus.PAID
    db.session.rollback()
    assert db.session.scalar(select(OutboxEmail.template).where(OutboxEmail.object_id == order.id)) == "order_paid"
    assert api.post(base + "1/confirm/").status_code == 400
    canceled = api.post(base + "2/cancel/")
    assert canceled.status_code == 200 and canceled.json["state"] == "canceled"
    assert api.post(base + "2/cancel/").status_code == 400
    assert api.post(base + "9/cancel/").status_code == 404


def test_refund_a_payment_answers_the_refund(api, world):
    order = _order(world, status=OrderStatus.PAID)
    base = f"{EVENT}orders/{order.code}/payments/1/refund/"
    response = api.post(base, {"amount": "20.00", "mark_canceled": False})
    assert response.status_code == 200, response.json
    assert (response.json["source"], response.json["state"], response.json["amount"]) == ("admin", "done", "20.00")
    too_much = api.post(base, {"amount": "31.00"})
    assert too_much.status_code == 400 and "amount" in too_much.json


@pytest.mark.parametrize("amount", ["1e999", "NaN", "-1", "10.001", "x", 1e308, True])
def test_payment_amounts_that_are_no_amount_are_refused(api, world, amount):
    order = _order(world)
    response = api.post(f"{EVENT}orders/{order.code}/payments/", {"amount": amount, "provider": "manual"})
    assert response.status_code == 400 and "amount" in response.json
    db.session.rollback()
    assert db.session.scalar(select(OrderPayment).where(OrderPayment.order_id == order.id)) is None


def test_refund_lifecycle_created_done_external_processed_canceled(api, world):
    order = _order(world, status=OrderStatus.PAID)
    base = f"{EVENT}orders/{order.code}/refunds/"
    created = api.post(base, {"state": "created", "source": "admin", "amount": "23.00", "payment": 1,
                              "execution_date": None, "comment": "Cancellation", "provider": "manual",
                              "mark_canceled": False, "mark_pending": True})
    assert created.status_code == 201, created.json
    assert_same_shape(created.json, seed_example("refund"), nullable=frozenset({"$.execution_date"}))
    assert _fresh(Order, order.id).status == OrderStatus.PENDING
    done = api.post(base + "1/done/")
    assert done.status_code == 200 and done.json["state"] == "done" and done.json["execution_date"]
    assert api.post(base + "1/done/").status_code == 400
    external = api.post(base, {"state": "external", "source": "external", "amount": "5.00", "payment": 1})
    assert external.status_code == 201
    processed = api.post(base + "2/process/", {"mark_canceled": True})
    assert processed.status_code == 200 and processed.json["state"] == "done"
    assert _fresh(Order, order.id).status == OrderStatus.CANCELED
    third = api.post(base, {"amount": "1.00", "provider": "manual"})
    assert third.status_code == 201
    canceled = api.post(base + "3/cancel/")
    assert canceled.status_code == 200 and canceled.json["state"] == "canceled"
    assert api.post(base + "3/process/").status_code == 400
    db.session.rollback()
    states = [r.state for r in db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order.id)
                                                   .order_by(OrderRefund.local_id))]
    assert states == ["done", "done", "canceled"]


def test_a_refund_may_give_back_more_than_was_paid_as_003_says(api, world):
    """003 records refunds unchecked; the page's form still refuses (tests/web/test_order_payments.py)."""
    order = _order(world, status=OrderStatus.PAID)
    base = f"{EVENT}orders/{order.code}/refunds/"
    on_payment = api.post(base, {"amount": "80.00", "payment": 1, "state": "created"})
    assert on_payment.status_code == 201, on_payment.json
    assert (on_payment.json["amount"], on_payment.json["payment"]) == ("80.00", 1)
    beyond_the_order = api.post(base, {"amount": "1000.00", "provider": "manual", "state": "done"})
    assert beyond_the_order.status_code == 201, beyond_the_order.json
    db.session.rollback()
    amounts = [str(r.amount) for r in db.session.scalars(
        select(OrderRefund).where(OrderRefund.order_id == order.id).order_by(OrderRefund.local_id))]
    assert amounts == ["80.00", "1000.00"]
    assert _actions(order).count("order.refund_created") == 2


def test_the_form_s_refund_rule_still_caps_the_amount(world):
    from backoffice.domain import refunds
    from backoffice.domain.audit import Actor
    from backoffice.domain.errors import Invalid
    order = _order(world, status=OrderStatus.PAID)
    with pytest.raises(Invalid) as refused:
        refunds.create_refund(order, actor=Actor(label="test"), amount="80.00", payment=1)
    assert refused.value.field == "amount"
    db.session.rollback()
    assert db.session.scalar(select(OrderRefund).where(OrderRefund.order_id == order.id)) is None


@pytest.mark.parametrize("amount", ["0", "0.00", "-5", "10.001", "1e3", "1000000000000", "x", "", 1e308, True, None])
def test_refund_amounts_that_are_no_amount_are_refused_without_a_refund(api, world, amount):
    order = _order(world, status=OrderStatus.PAID)
    response = api.post(f"{EVENT}orders/{order.code}/refunds/", {"amount": amount, "payment": 1})
    assert response.status_code == 400 and "amount" in response.json, response.json
    assert _fresh(Order, order.id).status == OrderStatus.PAID
    assert db.session.scalar(select(OrderRefund).where(OrderRefund.order_id == order.id)) is None


def test_refund_of_an_unknown_payment_names_the_field(api, world):
    order = _order(world, status=OrderStatus.PAID)
    response = api.post(f"{EVENT}orders/{order.code}/refunds/", {"amount": "1.00", "payment": 7})
    assert response.status_code == 400 and "payment" in response.json


def test_changes_need_the_change_permission(client, world):
    from .conftest import Api, limited_team, make_token
    order = _order(world, status=OrderStatus.PAID)
    viewer = Api(client, make_token(limited_team(world, [world.event], can_change_orders=False)))
    base = f"{EVENT}orders/{order.code}/"
    for method, url, body in (("PATCH", base, {"comment": "x"}), ("DELETE", base, None),
                              ("POST", base + "payments/", {"amount": "1.00", "provider": "manual"}),
                              ("POST", base + "payments/1/refund/", {}), ("POST", base + "refunds/", {"amount": "1"}),
                              ("POST", f"{EVENT}orderpositions/{order.all_positions[0].id}/add_block/", {})):
        assert viewer.send(method, url, body).status_code == 403, url
    assert _fresh(Order, order.id).comment == ""


# --- invoices -------------------------------------------------------------------------------------

def test_create_invoice_once(api, world):
    order = _order(world, status=OrderStatus.PAID)
    response = api.post(f"{EVENT}orders/{order.code}/create_invoice/")
    assert response.status_code == 200, response.json
    assert response.json["order"] == order.code and response.json["is_cancellation"] is False
    assert response.json["number"] and response.json["lines"][0]["gross_value"] == "50.00"
    again = api.post(f"{EVENT}orders/{order.code}/create_invoice/")
    assert again.status_code == 400 and "detail" in again.json
    assert "order.invoice_created" in _actions(order)
