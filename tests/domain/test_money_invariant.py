"""Random sequences of payment, refund and order actions never break the money rules.

After every step: owed - paid + refunded == open; no payment has more refunded on it than its
amount; the order never gives back more than it received; and an action that was refused left
the order exactly as it was (status, money, payments, refunds, history, mails).
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from backoffice.domain import orders, payments, refunds
from backoffice.domain.audit import Actor
from backoffice.domain.errors import DomainError
from backoffice.domain.models import LogEntry, Order, OrderPayment, OrderRefund, OutboxEmail
from backoffice.extensions import db
from tests import factories

ZERO = Decimal("0.00")
# valid values first and more often: hypothesis favours the first ones, and the sequences must
# get past the refusals to reach interesting states
AMOUNTS = st.sampled_from(["10", "50", "25.50", None, "100", "0.01", "10", "50", "1e999", "NaN", "-5", "0.001",
                           "9" * 30, "0"])
LOCAL_IDS = st.sampled_from([1, 2, 3])  # hostile ids: see test_payments and test_refunds
PAYMENT_STATES = st.sampled_from(["confirmed", "pending", "confirmed", "created", "canceled"])
REFUND_STATES = st.sampled_from(["created", "external", "transit", "done", "failed"])


def snapshot(order_id: int) -> tuple:
    db.session.expire_all()
    o = db.session.get(Order, order_id)
    return (o.status, o.total, o.expires, o.last_modified, o.cancellation_date,
            [(p.local_id, p.state, p.amount, p.provider) for p in o.payments],
            [(r.local_id, r.state, r.amount, r.payment_id) for r in o.refunds],
            [(f.fee_type, f.value, f.canceled) for f in o.all_fees], [p.canceled for p in o.all_positions],
            db.session.scalar(select(func.count(LogEntry.id))), db.session.scalar(select(func.count(OutboxEmail.id))))


class MoneyMachine(RuleBasedStateMachine):
    #: accepted actions by name, over all runs: the sequences must reach past the refusals
    accepted: Counter = Counter()

    def __init__(self, world):
        super().__init__()
        self.actor = Actor(user=world.admin)
        status = ["p", "n", "e"][len(db.session.scalars(select(Order.id)).all()) % 3]
        order = factories.order(world.event, [world.ticket, world.ticket], status=status)
        self._start_with_money(order)
        db.session.commit()
        self.order_id = order.id

    @staticmethod
    def _start_with_money(order: Order) -> None:
        """Payments and refunds in every state the rules act on, so that short sequences reach them:
        a confirmed payment (all of a paid order, part of another one), an open one for the rest,
        and external and created refunds on the confirmed one."""
        if order.status == "p":
            confirmed = order.payments[0]
        else:
            confirmed = OrderPayment(order=order, local_id=1, state="confirmed", amount=Decimal("30"),
                                     provider="manual")
            db.session.add_all([confirmed, OrderPayment(order=order, local_id=2, state="pending", amount=Decimal("70"),
                                                        provider="manual")])
        for local_id, state, amount in [(1, "external", "10"), (2, "created", "5"), (3, "external", "5")]:
            db.session.add(OrderRefund(order=order, local_id=local_id, state=state, amount=Decimal(amount),
                                       provider="manual", payment=confirmed))
        db.session.flush()

    @property
    def order(self) -> Order:
        return db.session.get(Order, self.order_id)

    def attempt(self, name: str, action) -> None:
        """Run one action: committed when accepted; when refused, nothing changed."""
        before = snapshot(self.order_id)
        try:
            action(self.order)
            db.session.commit()
            self.accepted[name] += 1
        except DomainError:
            db.session.rollback()
            assert snapshot(self.order_id) == before

    def payment(self, local_id):
        return payments.get_payment(self.order, local_id)

    def refund(self, local_id):
        return refunds.get_refund(self.order, local_id)

    # --- payments ---

    @rule(amount=AMOUNTS, state=PAYMENT_STATES, provider=st.sampled_from(["manual", "banktransfer", "free", "x"]),
          force=st.booleans())
    def record_payment(self, amount, state, provider, force):
        self.attempt("record_payment", lambda o: payments.create_payment(
            o, actor=self.actor, amount=amount, state=state, provider=provider, force=force, send_email=False))

    @rule(local_id=LOCAL_IDS, force=st.booleans())
    def confirm_payment(self, local_id, force):
        self.attempt("confirm_payment", lambda o: payments.confirm_payment(
            self.payment(local_id), actor=self.actor, force=force, send_email=False))

    @rule(local_id=LOCAL_IDS)
    def cancel_payment(self, local_id):
        self.attempt("cancel_payment", lambda o: payments.cancel_payment(self.payment(local_id), actor=self.actor))

    @rule(local_id=LOCAL_IDS, amount=AMOUNTS, mark_canceled=st.booleans())
    def refund_payment(self, local_id, amount, mark_canceled):
        self.attempt("refund_payment", lambda o: payments.refund_payment(
            self.payment(local_id), actor=self.actor, amount=amount, mark_canceled=mark_canceled))

    @rule()
    def refund_due(self):
        self.attempt("refund_due", lambda o: payments.refund_due(o, actor=self.actor))

    # --- refunds ---

    @rule(amount=AMOUNTS, state=REFUND_STATES, payment=st.sampled_from([None, 1, 2, None, "9" * 30]),
          effect=st.sampled_from([(False, False), (True, False), (False, True), (True, True)]))
    def create_refund(self, amount, state, payment, effect):
        self.attempt("create_refund", lambda o: refunds.create_refund(
            o, actor=self.actor, amount=amount, state=state, payment=payment, provider="manual",
            mark_canceled=effect[0], mark_pending=effect[1]))

    @rule(local_id=LOCAL_IDS)
    def refund_done(self, local_id):
        self.attempt("refund_done", lambda o: refunds.mark_refund_done(self.refund(local_id), actor=self.actor))

    @rule(local_id=LOCAL_IDS, mark_canceled=st.booleans())
    def process_refund(self, local_id, mark_canceled):
        self.attempt("process_refund", lambda o: refunds.process_refund(
            self.refund(local_id), actor=self.actor, mark_canceled=mark_canceled))

    @rule(local_id=LOCAL_IDS)
    def cancel_refund(self, local_id):
        self.attempt("cancel_refund", lambda o: refunds.cancel_refund(self.refund(local_id), actor=self.actor))

    # --- the order ---

    @rule(fee=st.sampled_from([None, None, "10", "150"]))
    def cancel_order(self, fee):
        self.attempt("cancel_order", lambda o: orders.cancel_order(
            o, actor=self.actor, send_email=False, cancellation_fee=fee))

    @rule()
    def reactivate(self):
        self.attempt("reactivate", lambda o: orders.reactivate_order(o, actor=self.actor))

    @rule(force=st.booleans())
    def mark_paid(self, force):
        self.attempt("mark_paid", lambda o: orders.mark_paid(o, actor=self.actor, send_email=False, force=force))

    # --- what must always hold ---

    @invariant()
    def money_adds_up(self):
        db.session.expire_all()
        order = self.order
        t = orders.totals(order)
        assert t.owed - t.paid + t.refunded == t.open
        assert t.refunded <= t.paid, "more given back than received"
        for p in order.payments:
            on_it = sum((r.amount for r in order.refunds
                         if r.payment_id == p.id and r.state in orders.COUNTED_REFUND_STATES), ZERO)
            assert on_it <= p.amount, f"payment #{p.local_id}: {on_it} refunded of {p.amount}"
            assert payments.refundable(p) >= ZERO
        assert sum((a for _p, a in payments.suggested_refunds(order)), ZERO) <= t.to_refund


# Derandomized: the same sequences on every run, so that the check that every rule was accepted
# at least once cannot flake; the varied start states (see _start_with_money) make them reach far.
def test_money_rules_hold_for_any_sequence_of_actions(world):
    world.quota.size = None  # quota refusals are tested elsewhere; here every order may come back
    db.session.commit()
    run_state_machine_as_test(
        lambda: MoneyMachine(world),
        settings=settings(max_examples=35, stateful_step_count=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
                          database=None))
    rules = {"record_payment", "confirm_payment", "cancel_payment", "refund_payment", "refund_due", "create_refund",
             "refund_done", "process_refund", "cancel_refund", "cancel_order", "reactivate", "mark_paid"}
    assert rules <= set(MoneyMachine.accepted), f"never accepted: {rules - set(MoneyMachine.accepted)}"
