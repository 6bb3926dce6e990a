"""The demo data generator: every order state, consistent money, no oversold quota, same seed same data."""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice import demo
from backoffice.domain import codes, staff
from backoffice.domain.availability import COUNTING_STATUSES, quota_used
from backoffice.domain.models import (Answer, BlockedSecret, Checkin, Customer, CustomerTag, Event,
                                      InvoiceAddress, Order, OrderFee, OrderPayment, OrderPosition,
                                      OrderRefund, OrderStatus, Organizer, Quota, Seat, SubEvent, Team,
                                      User, Voucher)
from backoffice.domain.names import derive_name
from backoffice.domain.passwords import hash_password
from backoffice.extensions import db

from .. import factories
from ..conftest import _empty_all_tables

ORDERS = 300
CUSTOMERS = 100
SEED = 7
REFUND_COUNTED = ("done", "created", "transit")


# one moment for every run in this module, so that equal seeds give equal data
NOW = datetime.now(timezone.utc)


def _generate(seed: int = SEED, now: datetime = NOW) -> list[str]:
    messages: list[str] = []
    demo.generate(orders=ORDERS, customers=CUSTOMERS, seed=seed, progress=messages.append, now=now)
    return messages


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    # argon2 is slow on purpose; the demo users' hash is salted, so reusing it is still valid
    cache: dict[str, str] = {}

    def hash_once(password: str) -> str:
        if password not in cache:
            cache[password] = hash_password(password)
        return cache[password]
    monkeypatch.setattr(staff, "hash_password", hash_once)


@pytest.fixture
def demo_data():
    return _generate()


def _orders() -> list[Order]:
    parts = (Order.all_positions, Order.all_fees, Order.payments, Order.refunds)
    return list(db.session.scalars(select(Order).options(*(selectinload(p) for p in parts)).order_by(Order.id)))


def _sum(values) -> Decimal:
    return sum(values, Decimal("0.00"))


def test_creates_the_requested_numbers_and_both_events(demo_data):
    assert db.session.scalar(select(func.count(Order.id))) == ORDERS
    assert db.session.scalar(select(func.count(Customer.id))) == CUSTOMERS
    organizer = db.session.scalar(select(Organizer))
    assert (organizer.slug, organizer.name_scheme) == ("demo", "full")
    series, seated = db.session.scalars(select(Event).order_by(Event.id))
    assert series.has_subevents and len(series.subevents) == 12
    assert not seated.has_subevents
    assert db.session.scalar(select(func.count(Seat.id)).where(Seat.event_id == seated.id)) > 0
    assert any(item.requires_seat for item in seated.items)
    assert demo_data[-1].startswith("Demo data:")


def test_every_order_state_is_there(demo_data):
    orders = _orders()
    kinds = Counter()
    for o in orders:
        if o.testmode:
            kinds["test mode"] += 1
        elif o.status == OrderStatus.PENDING and o.require_approval:
            kinds["awaiting approval"] += 1
        elif o.status == OrderStatus.CANCELED and o.require_approval:
            kinds["denied"] += 1
        elif any(f.fee_type == "cancellation" for f in o.all_fees):
            kinds[f"cancellation fee, {OrderStatus.LABELS[o.status]}"] += 1
        else:
            kinds[OrderStatus.LABELS[o.status]] += 1
    expected = {"pending", "paid", "expired", "canceled", "awaiting approval", "denied", "test mode",
                "cancellation fee, paid", "cancellation fee, pending"}
    assert expected <= set(kinds), kinds


def test_orders_have_the_parts_support_works_with(demo_data):
    positions = list(db.session.scalars(select(OrderPosition)))
    assert any(p.addon_to_id for p in positions)
    assert any(p.canceled for p in positions)
    assert any(p.blocked == ["admin"] for p in positions)
    assert any(p.voucher_id for p in positions)
    assert any(p.seat_id for p in positions)
    for model in (Answer, Checkin, OrderFee, OrderRefund, InvoiceAddress, CustomerTag):
        assert db.session.scalar(select(func.count()).select_from(model)) > 0, model.__name__
    states = set(db.session.scalars(select(OrderPayment.state)))
    assert states == {"created", "pending", "confirmed", "canceled", "failed", "refunded"}
    assert set(db.session.scalars(select(OrderRefund.state))) == {"done", "created"}
    assert set(db.session.scalars(select(OrderRefund.source))) == {"admin", "buyer"}
    linked = db.session.scalar(select(func.count(Order.id)).where(Order.customer_id.is_not(None)))
    assert linked > ORDERS // 3


def test_every_order_has_a_position(demo_data):
    counts = dict(db.session.execute(
        select(OrderPosition.order_id, func.count()).group_by(OrderPosition.order_id)).all())
    assert all(counts.get(o.id, 0) >= 1 for o in _orders())
    assert max(counts.values()) <= 4


def test_every_ticket_names_its_orders_event(demo_data):
    pairs = db.session.execute(select(OrderPosition.event_id, Order.event_id).join(Order)).all()
    assert pairs and all(ticket == order for ticket, order in pairs)
    assert len({order for _ticket, order in pairs}) == 2


def test_total_is_the_sum_of_uncanceled_positions_and_fees(demo_data):
    for o in _orders():
        expected = _sum(p.price for p in o.positions) + _sum(f.value for f in o.fees)
        assert o.total == expected, o.code


def test_canceled_positions_never_leave_an_order_without_valid_ones(demo_data):
    for o in _orders():
        if any(p.canceled for p in o.all_positions) and not any(f.fee_type == "cancellation" for f in o.all_fees):
            assert o.positions, o.code


def test_cancellation_fee_is_the_only_component_left(demo_data):
    fee_orders = [o for o in _orders() if any(f.fee_type == "cancellation" for f in o.all_fees)]
    assert fee_orders
    for o in fee_orders:
        assert all(p.canceled for p in o.all_positions)
        assert [f.fee_type for f in o.fees] == ["cancellation"]
        assert o.total == o.fees[0].value > 0
        paid = _sum(p.amount for p in o.payments if p.state == "confirmed") \
            - _sum(r.amount for r in o.refunds if r.state in REFUND_COUNTED)
        assert o.status == (OrderStatus.PAID if paid >= o.total else OrderStatus.PENDING), o.code
        assert o.cancellation_date is not None


def test_paid_orders_are_covered_by_confirmed_payments(demo_data):
    for o in _orders():
        if o.status != OrderStatus.PAID:
            continue
        confirmed = _sum(p.amount for p in o.payments if p.state == "confirmed")
        refunded = _sum(r.amount for r in o.refunds if r.state in REFUND_COUNTED)
        assert confirmed - refunded >= o.total, o.code


def test_refunds_never_exceed_what_was_paid(demo_data):
    for o in _orders():
        paid = _sum(p.amount for p in o.payments if p.state in ("confirmed", "refunded"))
        refunds = _sum(r.amount for r in o.refunds if r.state in REFUND_COUNTED)
        assert refunds <= paid, o.code
        for refund in o.refunds:
            assert refund.payment.order_id == o.id
            assert refund.amount <= refund.payment.amount


def test_local_ids_count_from_one_per_order(demo_data):
    for o in _orders():
        assert [p.local_id for p in o.payments] == list(range(1, len(o.payments) + 1))
        assert [r.local_id for r in o.refunds] == list(range(1, len(o.refunds) + 1))
        assert [p.positionid for p in o.all_positions] == list(range(1, len(o.all_positions) + 1))


def test_no_quota_is_oversold(demo_data):
    quotas = list(db.session.scalars(select(Quota)))
    assert any(q.subevent_id for q in quotas)
    sold_out = 0
    for quota in quotas:
        used = quota_used(quota)
        if quota.size is not None:
            assert used <= quota.size, quota.name
            sold_out += used == quota.size
    assert sold_out >= 1  # the generator makes a tight date and a nearly full hall


def test_no_seat_is_taken_twice(demo_data):
    stmt = (select(OrderPosition.seat_id, func.count())
            .join(Order, Order.id == OrderPosition.order_id)
            .where(OrderPosition.seat_id.is_not(None), OrderPosition.canceled.is_(False),
                   Order.status.in_(COUNTING_STATUSES))
            .group_by(OrderPosition.seat_id))
    taken = dict(db.session.execute(stmt).all())
    assert taken and max(taken.values()) == 1
    blocked = set(db.session.scalars(select(Seat.id).where(Seat.blocked.is_(True))))
    assert not blocked & set(taken)


def test_seated_tickets_have_seats_and_others_none(demo_data):
    for p in db.session.scalars(select(OrderPosition)):
        assert (p.seat_id is not None) == p.item.requires_seat, p.id


def test_addons_belong_to_a_main_position_of_the_same_order(demo_data):
    for p in db.session.scalars(select(OrderPosition).where(OrderPosition.addon_to_id.is_not(None))):
        assert p.item.is_addon
        assert p.addon_to.order_id == p.order_id
        assert not p.addon_to.item.is_addon
        assert p.subevent_id == p.addon_to.subevent_id


def test_positions_of_a_series_have_a_date(demo_data):
    for p in db.session.scalars(select(OrderPosition)):
        assert (p.subevent_id is not None) == p.order.event.has_subevents
        if p.subevent_id:
            assert db.session.get(SubEvent, p.subevent_id).event_id == p.order.event_id


def test_voucher_redemptions_match_positions(demo_data):
    used = Counter(db.session.scalars(
        select(OrderPosition.voucher_id).join(Order, Order.id == OrderPosition.order_id)
        .where(OrderPosition.voucher_id.is_not(None), OrderPosition.canceled.is_(False),
               Order.status.in_(COUNTING_STATUSES))))
    assert used
    for voucher in db.session.scalars(select(Voucher)):
        assert voucher.redeemed == used.get(voucher.id, 0) <= voucher.max_usages, voucher.code


def test_blocked_positions_have_blocked_secrets(demo_data):
    blocked = list(db.session.scalars(select(OrderPosition).where(OrderPosition.blocked.is_not(None))))
    assert blocked and all(p.blocked == ["admin"] for p in blocked)
    secrets = {(s.event_id, s.secret) for s in db.session.scalars(select(BlockedSecret)) if s.blocked}
    assert secrets == {(p.order.event_id, p.secret) for p in blocked}
    # unblocked tickets are SQL NULL, not a JSON null, so "IS NULL" filters find them
    unblocked = db.session.scalar(select(func.count(OrderPosition.id)).where(OrderPosition.blocked.is_(None)))
    assert unblocked + len(blocked) == db.session.scalar(select(func.count(OrderPosition.id)))


def test_checkins_only_for_valid_tickets_of_past_dates(demo_data):
    for checkin in db.session.scalars(select(Checkin)):
        p = db.session.get(OrderPosition, checkin.position_id)
        assert p.order.status == OrderStatus.PAID and not p.canceled and p.blocked is None
        assert p.subevent.date_from < demo.REFERENCE


def test_codes_and_secrets_use_their_alphabets(demo_data):
    code_re = re.compile(f"^[{codes.CODE_ALPHABET}]{{{codes.ORDER_CODE_LENGTH}}}$")
    seen = set()
    for o in _orders():
        assert code_re.match(o.code)
        assert (o.event_id, o.code) not in seen
        seen.add((o.event_id, o.code))
        assert len(o.secret) == codes.ORDER_SECRET_LENGTH and set(o.secret) <= set(codes.SECRET_ALPHABET)
        for p in o.all_positions:
            assert len(p.secret) == codes.POSITION_SECRET_LENGTH and set(p.secret) <= set(codes.SECRET_ALPHABET)
            assert len(p.pseudonymization_id) == codes.PSEUDONYMIZATION_ID_LENGTH


def test_customers_are_realistic_and_unique_by_email(demo_data):
    customers = list(db.session.scalars(select(Customer)))
    emails = [c.email.lower() for c in customers if c.email]
    assert len(emails) == len(set(emails))
    assert len({c.identifier for c in customers}) == len(customers)
    for c in customers:
        assert c.name_parts["_scheme"] == "full"
        assert c.name_cached == derive_name(c.name_parts)
        if c.phone:
            assert phonenumbers.is_valid_number(phonenumbers.parse(c.phone)), c.phone
    assert any(not c.is_active for c in customers) and any(c.is_verified for c in customers)
    assert {c.marketing_consent for c in customers} == {None, True, False}
    assert any(c.date_of_birth for c in customers) and any(c.company for c in customers)
    assert any(ch in (c.name_cached or "") for c in customers for ch in "äöüÄÖÜß")
    assert {c.locale for c in customers} == {"en", "de"}


def test_invoice_address_names_are_derived(demo_data):
    for address in db.session.scalars(select(InvoiceAddress)):
        assert address.name_parts["_scheme"] == "full"
        assert address.name_cached == derive_name(address.name_parts)


def test_order_dates_fit_the_status(demo_data):
    for o in _orders():
        assert o.datetime <= o.last_modified <= demo.REFERENCE
        if o.status == OrderStatus.PENDING:
            assert o.expires > demo.REFERENCE, o.code
        if o.status == OrderStatus.EXPIRED:
            assert o.expires < demo.REFERENCE, o.code


def test_demo_staff_can_log_in_with_their_permissions(demo_data):
    admin = staff.authenticate(email=demo.DEMO_ADMIN_EMAIL, password=demo.DEMO_ADMIN_PASSWORD, address="test")
    viewer = staff.authenticate(email=demo.DEMO_VIEWER_EMAIL, password=demo.DEMO_ADMIN_PASSWORD, address="test")
    assert any(t.can_change_orders and t.can_change_customers for t in admin.teams)
    assert viewer.teams and not any(t.can_change_orders or t.can_change_customers for t in viewer.teams)
    assert all(t.can_view_orders and t.can_view_customers for t in viewer.teams)


def test_ids_continue_after_the_demo_data(demo_data):
    # the bulk inserts give ids themselves; later inserts must not collide with them
    organizer = db.session.scalar(select(Organizer))
    customer = factories.customer(organizer, email="new.customer@example.org")
    assert customer.id > db.session.scalar(select(func.max(Customer.id)).where(Customer.id != customer.id))
    db.session.commit()


def test_refuses_to_load_twice(demo_data):
    with pytest.raises(demo.DemoDataExists):
        _generate()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == ORDERS


def test_keeps_an_existing_admin_user(app):
    existing = factories.user(demo.DEMO_ADMIN_EMAIL)
    db.session.commit()
    _generate()
    assert db.session.scalar(select(func.count(User.id)).where(User.email == demo.DEMO_ADMIN_EMAIL)) == 1
    assert db.session.scalar(select(Team).where(Team.name == "Administrators")).members == [existing]


def _digest() -> str:
    rows = db.session.execute(
        select(Order.code, Order.status, Order.total, Order.email, Order.datetime, func.count(OrderPosition.id))
        .join(OrderPosition, OrderPosition.order_id == Order.id).group_by(Order.id).order_by(Order.id))
    secrets = db.session.scalars(select(OrderPosition.secret).order_by(OrderPosition.id))
    emails = db.session.scalars(select(Customer.email).order_by(Customer.id))
    text = repr([tuple(map(str, row)) for row in rows]) + repr(list(secrets)) + repr(list(emails))
    return hashlib.sha256(text.encode()).hexdigest()


def test_same_seed_gives_the_same_data(app):
    _generate(seed=3)
    first = _digest()
    _empty_all_tables()
    _generate(seed=3)
    assert _digest() == first
    _empty_all_tables()
    _generate(seed=4)
    assert _digest() != first


def _every_row() -> dict[str, str]:
    """A digest of each table's rows, in id order. Not the staff and their teams: the ORM writes
    those, with the clock's time and, on PostgreSQL, ids from sequences that emptying the
    tables does not reset."""
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name not in CLOCK_TABLES | {"team", "team_member"}:
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def test_two_processes_write_the_same_data_as_one(app):
    # big loads generate in a forked process while this one writes; nothing may differ, the
    # search texts and the ids included
    demo.generate(orders=ORDERS, customers=CUSTOMERS, seed=SEED, progress=lambda _: None, now=NOW, parallel=False)
    alone = _every_row()
    _empty_all_tables()
    messages: list[str] = []
    demo.generate(orders=ORDERS, customers=CUSTOMERS, seed=SEED, progress=messages.append, now=NOW, parallel=True)
    assert _every_row() == alone
    assert messages[0] == f"Demo data: {CUSTOMERS:,} customers." and "300 orders and 100 customers" in messages[-1]
    # the loading process computed the search texts: they are what the flush hook would write
    from backoffice.domain import search_index
    assert all(o.search_text == search_index.order_text(o) for o in _orders())
    # later inserts continue after the ids the other process gave
    customer = factories.customer(db.session.scalar(select(Organizer)), email="after.load@example.org")
    assert customer.id > db.session.scalar(select(func.max(Customer.id)).where(Customer.id != customer.id))


def test_a_failure_in_the_generating_process_writes_nothing(app, monkeypatch):
    def broken(self):
        raise ValueError("no quota left")
    monkeypatch.setattr(demo.OrderMaker, "make", broken)
    with pytest.raises(RuntimeError, match="no quota left"):
        demo.generate(orders=ORDERS, customers=CUSTOMERS, seed=SEED, progress=lambda _: None, now=NOW,
                      parallel=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Customer.id))) == 0
    assert db.session.scalar(select(func.count(Organizer.id))) == 0


# Moments that may lie ahead: deadlines, event dates, validity, the next delivery attempt.
FUTURE_ALLOWED = {"order.expires", "event.date_from", "event.date_to", "subevent.date_from", "subevent.date_to",
                  "customer.password_token_expires", "outbox_email.next_attempt", "voucher.valid_until",
                  "item.validity_fixed_from", "item.validity_fixed_until", "order_position.valid_from",
                  "order_position.valid_until"}
# Staff accounts are stamped by the clock, which is later than the night-time `now` below.
CLOCK_TABLES = {"user", "login_failure", "api_token"}


@pytest.mark.parametrize("reference_day", [None, "2025-03-01"])
def test_nothing_lies_after_the_moment_of_loading(app, monkeypatch, reference_day):
    from backoffice.domain.models.types import UTCDateTime
    if reference_day:
        monkeypatch.setenv("DEMO_REFERENCE_DATE", reference_day)
    else:
        monkeypatch.delenv("DEMO_REFERENCE_DATE", raising=False)
    loaded_at = datetime(2025, 3, 1, 1, 46, 30, tzinfo=timezone.utc)  # long before the day's noon
    _generate(now=loaded_at)
    checked = 0
    for table in db.metadata.sorted_tables:
        if table.name in CLOCK_TABLES:
            continue
        for column in table.columns:
            if not isinstance(column.type, UTCDateTime) or f"{table.name}.{column.name}" in FUTURE_ALLOWED:
                continue
            latest = db.session.scalar(select(func.max(column)))
            checked += latest is not None
            assert latest is None or latest <= loaded_at, f"{table.name}.{column.name} at {latest}"
    assert checked >= 10  # orders, payments, refunds, customers, check-ins, … were all looked at


def test_demo_data_is_in_the_search_index(demo_data):
    """The bulk inserts bypass the flush hook: their search text must equal what it computes,
    and the index must find what the text holds."""
    from backoffice.domain import order_queries, search_index
    orders = _orders()
    assert all(o.search_text == search_index.order_text(o) for o in orders)
    assert all(c.search_text == search_index.customer_text(c) for c in db.session.scalars(select(Customer)))
    named = next(o for o in orders if o.invoice_address is not None and o.invoice_address.name_cached)
    surname = named.invoice_address.name_cached.split()[-1]
    by_text = {o.id for o in orders if search_index.normalise(surname) in o.search_text}
    found = db.session.scalars(order_queries.orders_stmt(
        None, named.event.organizer_id, order_queries.OrderFilters(search=surname), "-datetime"))
    assert {o.id for o in found} == by_text


def test_invoices_say_what_they_bill_and_cancellations_negate_them(demo_data):
    """Every demo invoice has lines, an issuer and a recipient; the current invoice of an order
    bills exactly its total, and a cancellation invoice is the negation of the one it cancels."""
    from backoffice.domain import invoices
    from backoffice.domain.models import Invoice
    all_invoices = list(db.session.scalars(select(Invoice).options(selectinload(Invoice.lines))))
    assert any(i.is_cancellation for i in all_invoices) and any(not i.is_cancellation for i in all_invoices)
    by_id = {i.id: i for i in all_invoices}
    for invoice in all_invoices:
        assert invoice.lines and invoice.issuer == "Demo Events GmbH" and invoice.recipient, invoice.number
        assert all(line.tax_value == demo.tax_included(line.gross_value, line.tax_rate) for line in invoice.lines)
        if invoice.is_cancellation:
            assert invoices.total(invoice) == -invoices.total(by_id[invoice.refers_id]), invoice.number
    for order in _orders():
        current = invoices.current_invoice(order)
        if current is not None:
            assert invoices.total(current) == order.total, order.code
