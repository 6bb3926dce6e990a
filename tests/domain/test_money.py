"""Totals of many orders at once equal the totals of each order, and the customer's orders add up."""
from __future__ import annotations

from decimal import Decimal

from backoffice.domain import money, orders
from backoffice.domain.audit import Actor
from backoffice.domain.models import OrderPayment, OrderRefund, OrderStatus
from backoffice.extensions import db
from tests import factories


def _pay(order, local_id, amount, state="confirmed"):
    db.session.add(OrderPayment(order=order, local_id=local_id, state=state, amount=Decimal(amount), provider="manual"))


def _refund(order, local_id, amount, state="done"):
    db.session.add(OrderRefund(order=order, local_id=local_id, state=state, amount=Decimal(amount), provider="manual",
                               source="admin"))


def _mixed_orders(world):
    """Orders in every money situation: unpaid, partly paid, paid, overpaid and canceled, refunds in
    counted and uncounted states, a cancellation fee, cent amounts that SQLite sums as floats."""
    ev, ticket = world.event, world.ticket
    unpaid = factories.order(ev, [ticket])
    partial = factories.order(ev, [ticket, ticket], paid=False)
    _pay(partial, 1, "10.10")
    _pay(partial, 2, "0.20")
    _pay(partial, 3, "5.00", state="pending")
    _pay(partial, 4, "7.00", state="canceled")
    paid = factories.order(ev, [ticket], status=OrderStatus.PAID)
    refunded = factories.order(ev, [ticket], status=OrderStatus.PAID)
    _refund(refunded, 1, "3.30")
    _refund(refunded, 2, "1.00", state="transit")
    _refund(refunded, 3, "2.00", state="canceled")
    _refund(refunded, 4, "4.00", state="external")
    canceled = factories.order(ev, [ticket], status=OrderStatus.PAID)
    with_fee = factories.order(ev, [ticket, ticket], status=OrderStatus.PAID)
    db.session.flush()
    orders.cancel_order(canceled, actor=Actor(), send_email=False)
    orders.cancel_order(with_fee, actor=Actor(), send_email=False, cancellation_fee="5.55")
    db.session.commit()
    return [unpaid, partial, paid, refunded, canceled, with_fee]


def test_totals_of_many_orders_equal_each_orders_totals(world):
    mixed = _mixed_orders(world)
    db.session.expire_all()
    many = money.totals_of(mixed)
    for order in mixed:
        one = orders.totals(order)
        assert many[order.id] == one, order.code
        assert one.owed - one.paid + one.refunded == one.open
    partial, refunded, canceled = mixed[1], mixed[3], mixed[4]
    assert many[partial.id].paid == Decimal("10.30") and many[partial.id].open == Decimal("89.70")
    assert many[refunded.id].refunded == Decimal("4.30")
    assert many[canceled.id].to_refund == Decimal("50.00")


def test_totals_of_nothing_asks_nothing(count_queries):
    with count_queries() as counter:
        assert money.totals_of([]) == {}
    assert counter.count == 0


def test_customer_page_shows_paid_and_open_that_add_up(staff, world):
    c = factories.customer(world.organizer, "money@example.org", "Money Person")
    mixed = _mixed_orders(world)
    for order in mixed:
        order.customer = c
    db.session.commit()
    page = staff.get(f"/{world.organizer.slug}/customers/{c.identifier}/").get_data(as_text=True)
    # the partly paid order (two €50.00 tickets): €100.00 owed, €10.30 paid, €89.70 open
    assert "€100.00" in page and "€10.30" in page and "€89.70" in page
    # the canceled one: nothing owed, its total struck through, €50.00 to refund
    assert "<s class=\"text-body-secondary\">€50.00</s>" in page and "€50.00 to refund" in page
