"""Changing an order in one transaction (003's `change`): every kind of part, the final-state
checks, all-or-nothing refusals, split money, preview and concurrency."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.domain import invoices, order_change, orders
from backoffice.domain.audit import Actor
from backoffice.domain.errors import Conflict, Invalid
from backoffice.domain.models import (InvoiceAddress, LogEntry, Order, OrderFee, OrderPayment, OrderPosition,
                                      OrderRefund, OrderStatus, OutboxEmail, RevokedSecret, TaxRule)
from backoffice.extensions import db
from tests import factories

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED
D = Decimal


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def seen(order: Order) -> str:
    return fresh(order).last_modified.isoformat()


TABLES = ("order", "order_position", "order_fee", "order_payment", "order_refund", "log_entry", "revoked_secret",
          "invoice", "invoice_address", "answer", "outbox_email")


def snapshot() -> dict:
    """Every row of every table a change can touch, as stored."""
    db.session.rollback()
    meta = db.metadata.tables
    return {name: sorted(tuple(str(v) for v in row) for row in db.session.execute(meta[name].select()).all())
            for name in TABLES if name in meta}


def entries(order: Order, action: str) -> list[LogEntry]:
    return list(db.session.scalars(select(LogEntry).where(
        LogEntry.object_type == "order", LogEntry.object_id == order.id, LogEntry.action_type == action)))


def change(order, actor, **kw):
    kw.setdefault("seen_last_modified", seen(order))
    result = order_change.change_order(fresh(order), actor=actor, **kw)
    db.session.commit()
    return result


@pytest.fixture
def vip(world):
    item = factories.item(world.event, "VIP ticket", "80.00")
    factories.quota(world.event, [item], 10, name="VIP")
    db.session.commit()
    return item


# --- changing tickets --------------------------------------------------------------------------------

def test_change_product_takes_the_new_price_and_logs_before_and_after(world, actor, vip):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    result = change(order, actor, patch_positions=[{"position": 2, "body": {"item": vip.id}}])
    order = fresh(order)
    p = order.all_positions[1]
    assert (p.item_id, p.price) == (vip.id, D("80.00"))
    assert (result.old_total, result.new_total, result.difference, result.to_pay) == (
        D("100.00"), D("130.00"), D("30.00"), D("130.00"))
    assert order.total == D("130.00") and order.status == N
    [entry] = entries(order, "order.changed")
    assert entry.data["changed"] == [{"position": 2, "product": {"old": "Regular ticket", "new": "VIP ticket"},
                                      "price": {"old": "50.00", "new": "80.00"}}]
    assert entry.data["total"] == {"old": "100.00", "new": "130.00"}
    assert entry.data["reissue_invoice"] is True and entry.data["email_sent"] is False
    assert any("Ticket 2" in m and "VIP ticket" in m for m in result.messages)


def test_change_price_tax_rule_validity_variation_and_date(world, actor):
    rule = TaxRule(event_id=world.event.id, name="VAT", rate=D("19.00"))
    db.session.add(rule)
    shirt = factories.item(world.event, "Shirt", "20.00", variations=[("S", "20.00"), ("XL", "25.00")])
    first = factories.subevent(world.event, "Day 1", days=5)
    second = factories.subevent(world.event, "Day 2", days=6)
    order = factories.order(world.event, [world.ticket, (shirt, shirt.variations[0])], subevent=first)
    db.session.commit()
    change(order, actor, patch_positions=[
        {"position": 1, "price": "40.00", "tax_rule": rule.id, "valid_from": "2030-01-01T10:00",
         "valid_until": "2030-01-02", "subevent": second.id},
        {"position": 2, "variation": shirt.variations[1].id}])
    p1, p2 = fresh(order).all_positions
    assert (p1.price, p1.tax_rate, p1.tax_value, p1.subevent_id) == (D("40.00"), D("19.00"), D("6.39"), second.id)
    assert p1.valid_from.isoformat() == "2030-01-01T09:00:00+00:00"  # read in the event's zone
    assert p1.valid_until.isoformat() == "2030-01-01T23:00:00+00:00"
    assert (p2.variation_id, p2.price) == (shirt.variations[1].id, D("25.00"))
    assert fresh(order).total == D("65.00")


def test_cancel_a_ticket_cancels_its_addons_and_the_last_ticket_is_refused(world, actor):
    addon = factories.item(world.event, "Parking", "10.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, world.ticket, addon])
    order.all_positions[2].addon_to = order.all_positions[1]
    db.session.commit()
    result = change(order, actor, cancel_positions=[{"position": 2}])
    assert [p.canceled for p in fresh(order).all_positions] == [False, True, True]
    assert result.new_total == D("50.00") and "Tickets 2, 3 canceled." in result.messages
    before = snapshot()
    with pytest.raises(Invalid, match="cancel the order instead"):
        change(order, actor, cancel_positions=[1])
    assert snapshot() == before


def test_add_tickets_with_attendee_and_addon(world, actor):
    addon = factories.item(world.event, "Parking", "10.00", is_addon=True)
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    result = change(order, actor, create_positions=[
        {"item": world.ticket.id, "attendee_name": "Grace Hopper", "attendee_email": "grace@example.org"},
        {"item": addon.id, "addon_to": 1, "price": "7.50"}])
    _p1, p2, p3 = fresh(order).all_positions
    assert (p2.positionid, p2.attendee_name, p2.price) == (2, "Grace Hopper", D("50.00"))
    assert (p3.addon_to_id, p3.price) == (fresh(order).all_positions[0].id, D("7.50"))
    assert result.new_total == D("107.50")
    assert [a["position"] for a in entries(order, "order.changed")[0].data["added"]] == [2, 3]


def test_fees_change_and_cancel(world, actor):
    order = factories.order(world.event, [world.ticket], fees=[("payment", "2.50"), ("other", "5.00")])
    db.session.commit()
    payment_fee, other = fresh(order).all_fees
    result = change(order, actor, patch_fees=[{"fee": payment_fee.id, "body": {"value": "1.00"}}],
                    cancel_fees=[{"fee": other.id}])
    order = fresh(order)
    assert [(f.value, f.canceled) for f in order.all_fees] == [(D("1.00"), False), (D("5.00"), True)]
    assert result.new_total == order.total == D("51.00")
    with pytest.raises(Invalid, match=f"Fee {other.id}: it is canceled already"):
        change(order, actor, cancel_fees=[other.id])
    change(order, actor, change_fees=[{"fee": payment_fee.id, "body": {"value": "0.50"}}])  # 003's other name
    assert fresh(order).total == D("50.50")


@pytest.mark.parametrize("mode, price, tax", [("keep_gross", "119.00", "7.79"), ("keep_net", "107.00", "7.00")])
def test_recalculate_taxes_keeps_net_or_gross(world, actor, mode, price, tax):
    rule = TaxRule(event_id=world.event.id, name="VAT", rate=D("19.00"))
    db.session.add(rule)
    item = factories.item(world.event, "Taxed", "119.00", tax_rule=rule)
    order = factories.order(world.event, [item])
    db.session.commit()
    change(order, actor, patch_positions=[{"position": 1, "tax_rule": rule.id}])
    assert fresh(order).all_positions[0].tax_value == D("19.00")
    rule.rate = D("7.00")
    db.session.commit()
    change(order, actor, recalculate_taxes=mode)
    p = fresh(order).all_positions[0]
    assert (p.price, p.tax_rate, p.tax_value) == (D(price), D("7.00"), D(tax))
    with pytest.raises(Invalid, match="not a way to recalculate taxes"):
        change(order, actor, recalculate_taxes="keep_everything")


def test_paid_order_that_now_owes_money_is_pending_with_a_deadline(world, actor, vip):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    result = change(order, actor, patch_positions=[{"position": 1, "item": vip.id}])
    order = fresh(order)
    assert (order.status, result.previous_status, result.to_pay) == (N, P, D("30.00"))
    assert order.expires > order.datetime
    result = change(order, actor, patch_positions=[{"position": 1, "price": "40.00"}])
    assert fresh(order).status == P and result.to_refund == D("10.00")


# --- final state --------------------------------------------------------------------------------------

@pytest.fixture
def seated(world):
    item = factories.item(world.event, "Seated", "30.00", requires_seat=True)
    factories.quota(world.event, [item], 100, name="Seated")
    seats = {name: factories.seat(world.event, name) for name in ("A-1", "A-2", "A-3")}
    db.session.commit()
    return item, seats


def test_two_attendees_swap_seats_in_one_change(world, actor, seated):
    item, seats = seated
    order = factories.order(world.event, [item, item], seats=[seats["A-1"], seats["A-2"]])
    db.session.commit()
    change(order, actor, patch_positions=[{"position": 1, "seat": "guid-A-2"}, {"position": 2, "seat": "guid-A-1"}])
    assert [p.seat.name for p in fresh(order).all_positions] == ["A-2", "A-1"]


def test_a_taken_seat_refuses_the_whole_change_naming_the_ticket(world, actor, seated, vip):
    item, seats = seated
    order = factories.order(world.event, [item, item], seats=[seats["A-1"], seats["A-2"]],
                            fees=[("other", "3.00")])
    factories.order(world.event, [item], seats=[seats["A-3"]])
    db.session.commit()
    fee = fresh(order).all_fees[0]
    before = snapshot()
    with pytest.raises(Invalid) as refused:
        change(order, actor, patch_positions=[{"position": 1, "price": "1.00"}, {"position": 2, "seat": "guid-A-3"}],
               cancel_fees=[fee.id], create_positions=[{"item": vip.id}])
    assert refused.value.message == "Ticket 2: seat A-3 is taken."
    assert refused.value.errors == {"position.2.seat": "Ticket 2: seat A-3 is taken."}
    assert snapshot() == before
    with pytest.raises(Invalid, match="seat A-1 is given to more than one ticket"):
        change(order, actor, patch_positions=[{"position": 2, "seat": "guid-A-1"}])
    assert snapshot() == before


def test_quota_is_checked_on_the_final_state(world, actor):
    small = factories.item(world.event, "Small", "10.00")
    factories.quota(world.event, [small], 1, name="Small")
    order = factories.order(world.event, [small, world.ticket])
    db.session.commit()
    before = snapshot()
    with pytest.raises(Invalid) as refused:
        change(order, actor, patch_positions=[{"position": 2, "item": small.id}])
    assert refused.value.message == "Ticket 2: only 0 tickets left in quota 'Small', 1 more needed."
    assert snapshot() == before
    with pytest.raises(Invalid, match="New ticket 1: only 0 tickets left in quota 'Small'"):
        change(order, actor, create_positions=[{"item": small.id}])
    # swapping products frees what the other one takes: fits although the quota is full
    change(order, actor, patch_positions=[{"position": 1, "item": world.ticket.id},
                                          {"position": 2, "item": small.id}])
    assert [p.item_id for p in fresh(order).all_positions] == [world.ticket.id, small.id]


def test_one_bad_part_names_itself_and_every_bad_part_is_reported(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    before = snapshot()
    with pytest.raises(Invalid) as refused:
        change(order, actor, patch_positions=[{"position": 1, "price": "NaN"}, {"position": 2, "item": "9" * 30}],
               cancel_positions=[7], create_positions=[{"item": world.ticket.id, "attendee_email": "x\x00"}],
               cancel_fees=["<script>"])
    errors = refused.value.errors
    assert errors["position.1.price"] == "Ticket 1: the price must be an amount such as 10.00."
    assert errors["position.2.item"].startswith("Ticket 2: there is no product 99999")
    assert errors["position.7"] == "Ticket 7: order %s has no such ticket." % order.code
    assert snapshot() == before


def test_hostile_values_are_refused_with_the_part_named(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    before = snapshot()
    cases = [
        (dict(patch_positions=[{"position": 1, "valid_from": "9999-01-01"}]), "Ticket 1: the start of validity"),
        (dict(patch_positions=[{"position": 1, "price": "1e999"}]), "Ticket 1: the price"),
        (dict(patch_positions=[{"position": 1, "price": "-1"}]), "Ticket 1: the price cannot be negative"),
        (dict(patch_positions=[{"position": "9" * 30, "price": "1"}]), "has no such ticket"),
        (dict(patch_positions=[{"position": 1, "secret": "x"}]), "cannot be changed here: secret"),
        (dict(create_positions=[{"item": world.ticket.id, "attendee_name": "x" * 10_000}]), "New ticket 1:"),
        (dict(patch_fees=[{"fee": 1, "value": "1"}]), "Fee 1: order"),
        (dict(split_positions="all"), "must be a list"),
        (dict(), "Nothing to change"),
    ]
    for kwargs, message in cases:
        with pytest.raises(Invalid, match=message.replace("(", r"\(")):
            change(order, actor, **kwargs)
    assert snapshot() == before


def test_stale_page_canceled_and_expired_orders_are_refused(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    expired = factories.order(world.event, [world.ticket, world.ticket], status=E)
    db.session.commit()
    stale = seen(order)
    change(order, actor, patch_positions=[{"position": 1, "price": "45.00"}])
    with pytest.raises(Conflict):
        change(order, actor, patch_positions=[{"position": 1, "price": "40.00"}], seen_last_modified=stale)
    with pytest.raises(Invalid, match="is expired: only pending or paid orders can be changed. Extend it first."):
        change(expired, actor, cancel_positions=[1])
    orders.cancel_order(fresh(order), actor=actor, send_email=False)
    db.session.commit()
    with pytest.raises(Invalid, match="only pending or paid orders"):
        change(order, actor, cancel_positions=[1])


# --- split ---------------------------------------------------------------------------------------

def money(order: Order) -> tuple:
    t = orders.totals(fresh(order))
    return t.total, t.paid, t.refunded, t.open


def test_split_a_paid_order_moves_tickets_addons_and_money(world, actor):
    addon = factories.item(world.event, "Parking", "10.00", is_addon=True)
    customer = factories.customer(world.organizer)
    order = factories.order(world.event, [world.ticket, world.ticket, addon], status=P, customer=customer,
                            phone="+4930123")
    order.all_positions[2].addon_to = order.all_positions[1]
    db.session.add(InvoiceAddress(order=order, company="ACME", city="Berlin", country="DE",
                                  name_parts={"_scheme": "full", "full_name": "Ann"}, name_cached="Ann"))
    db.session.commit()
    old_secrets = [p.secret for p in order.all_positions]
    result = change(order, actor, split_positions=[{"position": 2}])
    new = db.session.scalar(select(Order).where(Order.code == result.split_code))
    old = fresh(order)
    assert new.code != old.code and new.secret != old.secret and len(new.code) == 5
    assert (new.email, new.phone, new.customer_id, new.invoice_address.company, new.invoice_address.name) == (
        old.email, old.phone, customer.id, "ACME", "Ann")
    assert [p.positionid for p in new.all_positions] == [2, 3] and [p.positionid for p in old.all_positions] == [1]
    assert all(p.secret not in old_secrets for p in new.all_positions)
    assert {r.secret for r in db.session.scalars(select(RevokedSecret))} == set(old_secrets[1:])
    # money: 110 paid; 60 of it moved by a refund on the old order and a payment on the new one
    assert money(old) == (D("50.00"), D("110.00"), D("60.00"), D("0.00"))
    assert money(new) == (D("60.00"), D("60.00"), D("0.00"), D("0.00"))
    assert money(old)[0] + money(new)[0] == D("110.00")
    assert (old.status, new.status, result.moved_amount) == (P, P, D("60.00"))
    [refund] = old.refunds
    assert (refund.state, refund.source, refund.provider, refund.comment, refund.payment.local_id) == (
        "done", "admin", "manual", f"split into {new.code}", 1)
    [payment] = new.payments
    assert (payment.state, payment.provider, payment.amount) == ("confirmed", "manual", D("60.00"))
    assert entries(old, "order.split")[0].data == {"positions": [2, 3], "new_order": new.code, "amount_moved": "60.00"}
    assert entries(new, "order.split_from")[0].data["original_order"] == old.code
    assert entries(old, "order.changed")[0].data["split"]["new_order"] == new.code


def test_split_of_a_partly_paid_order_keeps_both_open_amounts_true(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket], paid=False)
    db.session.add(OrderPayment(order=order, local_id=1, state="confirmed", amount=D("70.00"), provider="banktransfer"))
    db.session.commit()
    result = change(order, actor, split_positions=[2])
    new = db.session.scalar(select(Order).where(Order.code == result.split_code))
    assert money(order) == (D("50.00"), D("70.00"), D("20.00"), D("0.00")) and fresh(order).status == P
    assert money(new) == (D("50.00"), D("20.00"), D("0.00"), D("30.00")) and new.status == N
    assert new.payments[0].provider == "banktransfer"
    # what was paid is all accounted for: 70 = 50 kept + 20 moved
    assert money(order)[1] - money(order)[2] + money(new)[1] == D("70.00")


def test_split_of_an_unpaid_order_moves_no_money_and_addons_cannot_go_alone(world, actor):
    addon = factories.item(world.event, "Parking", "10.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, world.ticket, addon])
    order.all_positions[2].addon_to = order.all_positions[1]
    db.session.commit()
    before = snapshot()
    with pytest.raises(Invalid, match="Ticket 3: it is an add-on to ticket 2: split ticket 2 to move it along."):
        change(order, actor, split_positions=[3])
    with pytest.raises(Invalid, match="cancel the order instead"):
        change(order, actor, split_positions=[1, 2])
    with pytest.raises(Invalid, match="Ticket 2: it cannot be canceled and split off at once"):
        change(order, actor, split_positions=[2], cancel_positions=[2])
    assert snapshot() == before
    result = change(order, actor, split_positions=[2])
    new = db.session.scalar(select(Order).where(Order.code == result.split_code))
    assert (new.status, new.total, new.payments, fresh(order).refunds) == (N, D("60.00"), [], [])


def test_changed_and_split_in_one_go(world, actor, vip):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    db.session.commit()
    result = change(order, actor, patch_positions=[{"position": 2, "item": vip.id}], split_positions=[2])
    new = db.session.scalar(select(Order).where(Order.code == result.split_code))
    # 100 paid, the old order keeps 50, the new one gets the other 50 of its 80
    assert money(order) == (D("50.00"), D("100.00"), D("50.00"), D("0.00"))
    assert money(new) == (D("80.00"), D("50.00"), D("0.00"), D("30.00"))


# --- preview, mail, invoice, concurrency ----------------------------------------------------------------

def test_preview_computes_everything_and_writes_nothing(world, actor, vip):
    order = factories.order(world.event, [world.ticket, world.ticket, world.ticket], status=P)
    db.session.commit()
    before = snapshot()
    result = order_change.change_order(fresh(order), actor=actor, patch_positions=[{"position": 1, "item": vip.id}],
                                       split_positions=[3], send_email=True, preview=True,
                                       seen_last_modified=seen(order))
    db.session.commit()
    # 150 paid, the order now owes 130: the 20 left over moves to the split order, which owes 50
    assert result.preview and (result.old_total, result.new_total, result.to_pay, result.status) == (
        D("150.00"), D("130.00"), D("0.00"), P)
    assert (result.split_total, result.split_status, result.moved_amount) == (D("50.00"), N, D("20.00"))
    assert snapshot() == before
    assert db.session.scalar(select(Order).where(Order.code == result.split_code)) is None


def test_send_email_is_off_by_default_and_mails_both_orders_when_asked(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket, world.ticket])
    db.session.commit()
    change(order, actor, cancel_positions=[1])
    assert db.session.scalars(select(OutboxEmail)).all() == []
    result = change(order, actor, split_positions=[3], send_email=True)
    mails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [m.template for m in mails] == ["order_changed", "order_changed"]
    assert f"order {order.code}" in mails[0].subject and result.split_code in mails[0].body
    assert result.split_code in mails[1].subject


def test_reissue_invoice_cancels_the_old_one_and_issues_a_new_one(world, actor, vip):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    invoices.create_invoice(fresh(order), actor=actor)
    db.session.commit()
    change(order, actor, patch_positions=[{"position": 1, "item": vip.id}], reissue_invoice=False)
    assert len(fresh(order).invoices) == 1
    before = snapshot()
    preview = order_change.change_order(fresh(order), actor=actor, patch_positions=[{"position": 2, "price": "45.00"}],
                                        preview=True)
    db.session.rollback()
    number = fresh(order).invoices[0].number
    assert (preview.canceled_invoice, preview.new_invoice_total) == (number, D("125.00"))
    assert snapshot() == before  # the preview's invoice numbers were given back
    result = change(order, actor, patch_positions=[{"position": 2, "price": "45.00"}])
    kinds = [(i.is_cancellation, i.refers_id is not None) for i in fresh(order).invoices]
    assert result.invoice_reissued and kinds == [(False, False), (True, True), (False, False)]
    assert result.new_invoice == fresh(order).invoices[2].number
    result = change(order, actor, split_positions=[2])
    new = db.session.scalar(select(Order).where(Order.code == result.split_code))
    assert len(new.invoices) == 1  # the split order is invoiced too, as the original was


def test_change_and_mark_paid_at_once_one_wins(app, world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    order_id, stale = order.id, seen(order)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(action):
        with app.app_context():
            try:
                from backoffice.domain import tx
                with tx.immediate():
                    barrier.wait(5)
                    target = db.session.get(Order, order_id)
                    if action == "change":
                        order_change.change_order(target, actor=Actor(label="test"), cancel_positions=[2],
                                                  seen_last_modified=stale)
                    else:
                        orders.mark_paid(target, actor=Actor(label="test"), send_email=False,
                                         seen_last_modified=stale)
                    db.session.commit()
                    outcomes.append(action)
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in ("change", "paid")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) in (["change", "conflict"], ["conflict", "paid"])
    db.session.rollback()  # a new snapshot: the threads committed in their own transactions
    order = fresh(order)
    t = orders.totals(order)
    if "change" in outcomes:
        assert (order.status, order.total, t.paid) == (N, D("50.00"), D("0.00"))
    else:
        assert (order.status, order.total, t.paid, len(order.positions)) == (P, D("100.00"), D("100.00"), 2)


def test_models_stay_consistent_after_many_parts(world, actor, vip, seated):
    item, seats = seated
    order = factories.order(world.event, [item, item, world.ticket], seats=[seats["A-1"], seats["A-2"], None],
                            fees=[("other", "4.00")], status=P)
    db.session.commit()
    result = change(order, actor, patch_positions=[{"position": 1, "seat": "guid-A-3"}], cancel_positions=[3],
                    create_positions=[{"item": vip.id}], split_positions=[2], patch_fees=[
                        {"fee": fresh(order).all_fees[0].id, "value": "2.00"}])
    old = fresh(order)
    assert [(p.positionid, p.canceled) for p in old.all_positions] == [(1, False), (3, True), (4, False)]
    assert old.total == sum((p.price for p in old.positions), D(0)) + sum((f.value for f in old.fees), D(0))
    assert old.total == D("112.00") and result.new_total == D("112.00")
    assert db.session.scalar(select(OrderFee.value).where(OrderFee.order_id == old.id)) == D("2.00")
    assert db.session.scalar(select(OrderPosition.order_id).where(OrderPosition.positionid == 2,
                                                                 OrderPosition.seat_id == seats["A-2"].id)) != old.id
    assert len(db.session.scalars(select(OrderRefund)).all()) == 1


def test_contradicting_or_impossible_parts_are_refused(world, actor):
    addon = factories.item(world.event, "Parking", "10.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, world.ticket, addon])
    order.all_positions[2].addon_to = order.all_positions[1]
    db.session.commit()
    before = snapshot()
    cases = [
        (dict(patch_positions=[{"position": 1, "price": "1"}, {"position": 1, "price": "2"}]),
         "Ticket 1: it is changed twice in one change."),
        (dict(patch_positions=[{"position": 3, "price": "1"}], cancel_positions=[2]),
         "Ticket 3: it is canceled in this change, so it cannot be changed as well."),
        (dict(patch_positions=[{"position": 3, "item": world.ticket.id}]),
         "Ticket 3: 'Regular ticket' is not an add-on product, and this ticket is an add-on."),
        (dict(patch_positions=[{"position": 1, "item": addon.id}]), "Ticket 1: 'Parking' is an add-on product"),
        (dict(patch_positions=[{"position": 1, "valid_from": "2030-02-01", "valid_until": "2030-01-01"}]),
         "Ticket 1: the end of validity must not be before its start."),
        (dict(create_positions=[{"item": addon.id, "addon_to": 2}], split_positions=[2]),
         "New ticket 1: ticket 2 it belongs to is split off in this change."),
        (dict(create_positions=[{"item": addon.id}]), "New ticket 1: 'Parking' is an add-on: choose the ticket"),
        (dict(create_positions=[{"item": world.ticket.id, "secret": "mine"}]),
         "New ticket 1: these fields cannot be set on a new ticket: secret."),
    ]
    for kwargs, message in cases:
        with pytest.raises(Invalid) as refused:
            change(order, actor, **kwargs)
        assert message in refused.value.message, (kwargs, refused.value.message)
    assert snapshot() == before


def test_a_new_date_keeps_the_seat_of_the_same_name_when_that_date_has_it(world, actor):
    item = factories.item(world.event, "Seated", "30.00", requires_seat=True)
    day1, day2 = factories.subevent(world.event, "Day 1", 5), factories.subevent(world.event, "Day 2", 6)
    seat1, seat2 = factories.seat(world.event, "B-1", subevent=day1), factories.seat(world.event, "B-1", subevent=day2)
    factories.seat(world.event, "B-2", subevent=day1)
    order = factories.order(world.event, [item, item], subevent=day1, seats=[seat1, None])
    db.session.commit()
    change(order, actor, patch_positions=[{"position": 1, "subevent": day2.id}])
    p = fresh(order).all_positions[0]
    assert (p.subevent_id, p.seat_id) == (day2.id, seat2.id)
    with pytest.raises(Invalid, match="Ticket 2: there is no seat 'guid-B-2' for this date."):
        change(order, actor, patch_positions=[{"position": 2, "subevent": day2.id, "seat": "guid-B-2"}])
