"""Finding orders: the list filters of seed 003 with its semantics, ordering, CSV rows, quick search.

Shared by the HTML lists and (later) the API, so both filter the same way.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from .models import (Answer, Checkin, Customer, Event, Order, OrderFee, OrderPayment, OrderPosition,
                     OrderRefund, OrderStatus, Organizer, SubEvent)
from .orders import COUNTED_REFUND_STATES, PAID_PAYMENT_STATES, ZERO, owed_amount
from .paging import Page, paginate
from . import search_index
from .text_search import starts_with, text_condition

ORDERINGS = {
    "datetime": Order.datetime,
    "code": Order.code,
    "last_modified": Order.last_modified,
    "status": Order.status,
    "total": Order.total,
}
DEFAULT_ORDERING = "-datetime"
MIN_SECRET_PREFIX = 5
STATUSES = tuple(OrderStatus.LABELS)


@dataclass
class OrderFilters:
    """003's list filters; None (or empty) means 'do not filter'."""
    code: str | None = None
    status: list[str] = field(default_factory=list)
    search: str | None = None
    email: str | None = None
    customer: str | None = None  # customer identifier
    item: int | None = None
    variation: int | None = None
    subevent: int | None = None
    subevent_after: datetime | None = None
    subevent_before: datetime | None = None
    testmode: bool | None = None
    require_approval: bool | None = None
    locale: str | None = None
    sales_channel: str | None = None
    payment_provider: str | None = None
    created_since: datetime | None = None
    created_before: datetime | None = None
    modified_since: datetime | None = None
    # These two change what is counted and shown per order, not which orders match.
    include_canceled_positions: bool = False
    include_canceled_fees: bool = False

    def active(self) -> dict:
        """The filters that restrict the result, by name."""
        skip = {"include_canceled_positions", "include_canceled_fees"}
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in skip and getattr(self, f.name) not in (None, [], "")}


def _position_exists(*conditions):
    return exists().where(OrderPosition.order_id == Order.id, *conditions)


def apply_filters(stmt: Select, f: OrderFilters) -> Select:
    """Add 003's filters to a select of orders."""
    if f.code:
        stmt = stmt.where(Order.code == f.code.upper())
    if f.status:
        stmt = stmt.where(Order.status.in_(f.status))
    if f.search:
        stmt = stmt.where(_search_condition(f.search))
    if f.email:
        # 003 asks for the exact address; addresses compare case-insensitively here.
        stmt = stmt.where(func.lower(Order.email) == f.email.lower())
    if f.customer:
        stmt = stmt.where(Order.customer_id.in_(select(Customer.id).where(Customer.identifier == f.customer.upper())))
    # item, variation and subevent match canceled positions too, as 003 warns.
    if f.item is not None:
        stmt = stmt.where(_position_exists(OrderPosition.item_id == f.item))
    if f.variation is not None:
        stmt = stmt.where(_position_exists(OrderPosition.variation_id == f.variation))
    if f.subevent is not None:
        stmt = stmt.where(_position_exists(OrderPosition.subevent_id == f.subevent))
    if f.subevent_after is not None:
        # exclusive, by the end of the sub-event (its start when it has no end)
        ends = func.coalesce(SubEvent.date_to, SubEvent.date_from)
        stmt = stmt.where(_position_exists(OrderPosition.subevent_id.in_(
            select(SubEvent.id).where(ends > f.subevent_after))))
    if f.subevent_before is not None:
        # exclusive, by the start of the sub-event
        stmt = stmt.where(_position_exists(OrderPosition.subevent_id.in_(
            select(SubEvent.id).where(SubEvent.date_from < f.subevent_before))))
    if f.testmode is not None:
        stmt = stmt.where(Order.testmode.is_(f.testmode))
    if f.require_approval is not None:
        stmt = stmt.where(Order.require_approval.is_(f.require_approval))
    if f.locale:
        stmt = stmt.where(Order.locale == f.locale)
    if f.sales_channel:
        stmt = stmt.where(Order.sales_channel == f.sales_channel)
    if f.payment_provider:
        # any payment of the order, also incomplete or failed ones (003)
        stmt = stmt.where(exists().where(OrderPayment.order_id == Order.id,
                                         OrderPayment.provider == f.payment_provider))
    if f.created_since is not None:
        stmt = stmt.where(Order.datetime >= f.created_since)
    if f.created_before is not None:
        stmt = stmt.where(Order.datetime < f.created_before)
    if f.modified_since is not None:
        stmt = stmt.where(Order.last_modified >= f.modified_since)
    return stmt


def _search_condition(text: str):
    """The search box of the order lists and the quick search (see text_search for the rule):
    order code, email, phone, invoice name and company, attendee names and emails, the
    customer's name and identifier, the beginning of a ticket secret. Names, emails and phones
    are looked up in the search index (search_index), codes and identifiers exactly."""
    return text_condition(text, _word_condition, lambda whole: search_index.phone_matches(Order, whole))


def _word_condition(word: str):
    conditions = [search_index.word_matches(Order, word),
                  Order.customer_id.in_(select(Customer.id).where(Customer.identifier == word.upper()))]
    if len(word) <= 16:
        conditions.insert(0, Order.code == word.upper())
    if len(word) >= MIN_SECRET_PREFIX and word.isascii() and word.isalnum():
        conditions.append(Order.id.in_(select(OrderPosition.order_id)
                                       .where(starts_with(OrderPosition.secret, word.lower()))))
    return or_(*conditions)


def _ordered(stmt: Select, ordering: str) -> Select:
    descending = ordering.startswith("-")
    column = ORDERINGS.get(ordering.lstrip("-"), Order.datetime)
    # id breaks ties so that paging is stable
    if descending:
        return stmt.order_by(column.desc(), Order.id.desc())
    return stmt.order_by(column.asc(), Order.id.asc())


def clean_ordering(value: str | None) -> str:
    if value and value.lstrip("-") in ORDERINGS:
        return value
    return DEFAULT_ORDERING


def orders_stmt(event_ids: list[int] | None, organizer_id: int, f: OrderFilters, ordering: str) -> Select:
    """All orders of the given events (None: every event of the organizer) matching `f`."""
    stmt = select(Order)
    # Across events, `event_id + 0` lets the planner walk the index of the sort column and stop
    # after one page, instead of sorting every order of the organizer (SQLite picks the latter).
    if event_ids is None:
        stmt = stmt.where((Order.event_id + 0).in_(select(Event.id).where(Event.organizer_id == organizer_id)))
    elif len(event_ids) == 1:
        stmt = stmt.where(Order.event_id == event_ids[0])
    else:
        stmt = stmt.where((Order.event_id + 0).in_(event_ids))
    return _ordered(apply_filters(stmt, f), ordering)


@dataclass
class OrderRow:
    order: Order
    positions: int
    paid: Decimal
    fees: Decimal

    @property
    def open(self) -> Decimal:
        return owed_amount(self.order.status, self.order.total) - self.paid


def list_page(event_ids: list[int] | None, organizer_id: int, f: OrderFilters, ordering: str,
              page: int = 1) -> Page:
    """One page of rows; a fixed number of queries whatever the page holds."""
    stmt = orders_stmt(event_ids, organizer_id, f, ordering).options(
        joinedload(Order.event), joinedload(Order.customer), joinedload(Order.invoice_address))
    result = paginate(stmt, page)
    result.items = _rows(result.items, f)
    return result


def _rows(orders: list[Order], f: OrderFilters) -> list[OrderRow]:
    ids = [o.id for o in orders]
    positions = _position_counts(ids, f.include_canceled_positions)
    paid = _paid_sums(ids)
    fees = _fee_sums(ids, f.include_canceled_fees)
    return [OrderRow(o, positions.get(o.id, 0), paid.get(o.id, ZERO), fees.get(o.id, ZERO)) for o in orders]


def _position_counts(order_ids: list[int], include_canceled: bool) -> dict[int, int]:
    if not order_ids:
        return {}
    stmt = (select(OrderPosition.order_id, func.count(OrderPosition.id))
            .where(OrderPosition.order_id.in_(order_ids)).group_by(OrderPosition.order_id))
    if not include_canceled:
        stmt = stmt.where(OrderPosition.canceled.is_(False))
    return dict(db.session.execute(stmt).all())


def _paid_sums(order_ids: list[int]) -> dict[int, Decimal]:
    """Paid minus refunded per order, counted as orders.totals() counts them."""
    if not order_ids:
        return {}
    paid = dict(db.session.execute(
        select(OrderPayment.order_id, func.sum(OrderPayment.amount))
        .where(OrderPayment.order_id.in_(order_ids), OrderPayment.state.in_(PAID_PAYMENT_STATES))
        .group_by(OrderPayment.order_id)).all())
    refunded = dict(db.session.execute(
        select(OrderRefund.order_id, func.sum(OrderRefund.amount))
        .where(OrderRefund.order_id.in_(order_ids), OrderRefund.state.in_(COUNTED_REFUND_STATES))
        .group_by(OrderRefund.order_id)).all())
    return {i: _money(paid.get(i)) - _money(refunded.get(i)) for i in order_ids}


def _fee_sums(order_ids: list[int], include_canceled: bool) -> dict[int, Decimal]:
    if not order_ids:
        return {}
    stmt = (select(OrderFee.order_id, func.sum(OrderFee.value))
            .where(OrderFee.order_id.in_(order_ids)).group_by(OrderFee.order_id))
    if not include_canceled:
        stmt = stmt.where(OrderFee.canceled.is_(False))
    return {k: _money(v) for k, v in db.session.execute(stmt).all()}


def _money(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal("0.01"))


CSV_HEADER = ["event", "code", "status", "require_approval", "testmode", "email", "phone", "customer",
              "invoice_name", "company", "positions", "fees", "total", "paid", "open", "created", "expires",
              "locale", "sales_channel"]
CSV_BATCH = 500


def csv_rows(event_ids: list[int] | None, organizer_id: int, f: OrderFilters, ordering: str) -> Iterator[list]:
    """The filtered list as CSV rows (header first), read in batches to keep memory flat."""
    yield CSV_HEADER
    stmt = orders_stmt(event_ids, organizer_id, f, ordering).options(
        joinedload(Order.event), joinedload(Order.customer), joinedload(Order.invoice_address))
    offset = 0
    while True:
        batch = list(db.session.scalars(stmt.limit(CSV_BATCH).offset(offset)).unique())
        if not batch:
            return
        for row in _rows(batch, f):
            o = row.order
            address = o.invoice_address
            yield [o.event.slug, o.code, OrderStatus.LABELS[o.status], o.require_approval, o.testmode,
                   o.email or "", o.phone or "", o.customer.identifier if o.customer else "",
                   (address.name if address else "") or "", (address.company if address else "") or "",
                   row.positions, row.fees, o.total, row.paid, row.open, o.datetime.isoformat(),
                   o.expires.isoformat(), o.locale, o.sales_channel]
        offset += CSV_BATCH
        _forget(batch)


def _forget(orders: list[Order]) -> None:
    """Drop exported rows from the session so a big export keeps memory flat."""
    for o in orders:
        for obj in (o.invoice_address, o.customer, o):
            if obj is not None and obj in db.session:
                db.session.expunge(obj)


def detail_options():
    """Loader options for the detail page: every part in a fixed number of queries."""
    return [
        joinedload(Order.event).joinedload(Event.organizer),
        joinedload(Order.customer),
        joinedload(Order.invoice_address),
        selectinload(Order.all_positions).options(
            joinedload(OrderPosition.item), joinedload(OrderPosition.variation),
            joinedload(OrderPosition.subevent), joinedload(OrderPosition.seat),
            selectinload(OrderPosition.answers).options(
                joinedload(Answer.question), selectinload(Answer.options)),
            selectinload(OrderPosition.checkins).joinedload(Checkin.list)),
        selectinload(Order.all_fees),
        selectinload(Order.payments),
        selectinload(Order.refunds),
    ]


def load_order_for_detail(event: Event, code: str) -> Order | None:
    stmt = (select(Order).where(Order.event_id == event.id, Order.code == code.upper())
            .options(*detail_options()))
    return db.session.scalars(stmt).unique().first()


# --- quick search ------------------------------------------------------------------------------

QUICK_LIMIT = 8


@dataclass
class MoreResults:
    """'Show all N': more matches than shown, in one organizer's list. `total` counts up to
    `cap` exactly; above it the list says 'more than cap'."""
    organizer: Organizer
    total: int
    cap: int

    @property
    def capped(self) -> bool:
        return self.total > self.cap


@dataclass
class QuickResults:
    query: str
    orders: list[Order]
    customers: list[Customer]
    exact_order: Order | None = None
    exact_customer: Customer | None = None
    more_orders: list[MoreResults] = field(default_factory=list)
    more_customers: list[MoreResults] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.orders and not self.customers


def quick_search(text: str, order_event_ids: list[int], customer_organizer_ids: list[int],
                 limit: int = QUICK_LIMIT, count_cap: int = search_index.COUNT_CAP) -> QuickResults:
    """Orders (of the events given) and customers (of the organizers given) matching `text`:
    order code, email, name, phone, customer identifier or the beginning of a ticket secret.
    A full group says how many more each organizer's list holds; nothing found suggests names."""
    text = text.strip()[:200]
    results = QuickResults(query=text, orders=[], customers=[])
    if not text:
        return results
    if order_event_ids:
        results.orders = _quick_orders(text, order_event_ids, limit)
        results.exact_order = next((o for o in results.orders if o.code == text.upper()), None)
        if len(results.orders) >= limit:
            results.more_orders = _more_orders(text, order_event_ids, results.orders, count_cap)
    if customer_organizer_ids:
        results.customers = _quick_customers(text, customer_organizer_ids, limit)
        results.exact_customer = next((c for c in results.customers if c.identifier == text.upper()), None)
        if len(results.customers) >= limit:
            results.more_customers = _more_customers(text, customer_organizer_ids, results.customers, count_cap)
    if results.empty:
        results.suggestions = _quick_suggestions(text, order_event_ids, customer_organizer_ids)
    return results


def _more_orders(text: str, event_ids: list[int], shown: list[Order], cap: int) -> list[MoreResults]:
    """Per organizer: the matches of the organizer-wide list, when it holds more than shown here."""
    by_organizer: dict[int, list[int]] = {}
    for event_id, organizer_id in db.session.execute(
            select(Event.id, Event.organizer_id).where(Event.id.in_(event_ids)).order_by(Event.organizer_id)):
        by_organizer.setdefault(organizer_id, []).append(event_id)
    more = []
    for organizer_id, ids in by_organizer.items():
        stmt = select(Order.id).where((Order.event_id + 0).in_(ids), _search_condition(text))
        total = search_index.capped_count(stmt, cap)
        if total > sum(1 for o in shown if o.event_id in ids):
            more.append(MoreResults(db.session.get(Organizer, organizer_id), total, cap))
    return more


def _more_customers(text: str, organizer_ids: list[int], shown: list[Customer], cap: int) -> list[MoreResults]:
    from .customer_queries import search_condition
    more = []
    for organizer_id in organizer_ids:
        stmt = select(Customer.id).where((Customer.organizer_id + 0) == organizer_id, search_condition(text))
        total = search_index.capped_count(stmt, cap)
        if total > sum(1 for c in shown if c.organizer_id == organizer_id):
            more.append(MoreResults(db.session.get(Organizer, organizer_id), total, cap))
    return more


def _quick_suggestions(text: str, event_ids: list[int], organizer_ids: list[int]) -> list[str]:
    """Names alike to `text` among the orders and customers this search may show."""
    names: list[str] = []
    if event_ids:
        names += search_index.suggest_names(Order, text, (Order.event_id + 0).in_(event_ids))
    if organizer_ids:
        names += search_index.suggest_names(Customer, text, (Customer.organizer_id + 0).in_(organizer_ids))
    unique = list(dict.fromkeys(names))
    return sorted(unique, key=lambda n: -search_index.similarity(text, n))[:search_index.SUGGESTIONS]


def order_suggestions(event_ids: list[int] | None, organizer_id: int, text: str) -> list[str]:
    """'Did you mean …?' for the order lists: names among the orders the list may show."""
    if event_ids is None:
        scope = (Order.event_id + 0).in_(select(Event.id).where(Event.organizer_id == organizer_id))
    else:
        scope = (Order.event_id + 0).in_(event_ids)
    return search_index.suggest_names(Order, text, scope)


def _quick_orders(text: str, event_ids: list[int], limit: int) -> list[Order]:
    """The latest orders the order list's search finds (newest first), an order with exactly this
    code before them."""
    # Latest by id, not by date: the table is read backwards in storage order and the scan stops
    # after `limit` matches (walking the date index instead costs a random read per order, a
    # second at 100,000 orders when little matches). `event_id + 0` keeps the event index out.
    in_events = (Order.event_id + 0).in_(event_ids)
    loading = (joinedload(Order.event), joinedload(Order.invoice_address), joinedload(Order.customer))
    exact = db.session.scalars(select(Order).where(in_events, Order.code == text.upper()).options(*loading)
                               .limit(1)).first() if len(text) <= 16 else None
    if exact is not None and _only_a_code(text):
        # A code typed alone is the order the caller means (codes are unique in an event); reading
        # every name and email for the same five characters would cost the whole scan.
        return [exact]
    stmt = (select(Order).where(in_events, _search_condition(text)).options(*loading)
            .order_by(Order.id.desc()).limit(limit))
    orders = sorted(db.session.scalars(stmt).unique(), key=lambda o: o.datetime, reverse=True)
    if exact is None:
        return orders
    return [exact, *[o for o in orders if o.id != exact.id]][:limit]


def _only_a_code(text: str) -> bool:
    """Looks like an order code and nothing else: one word of code letters with a digit in it,
    which no name has."""
    return text.isascii() and text.isalnum() and any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def _quick_customers(text: str, organizer_ids: list[int], limit: int) -> list[Customer]:
    """The customers the customer list's search finds, the exact identifier first, then by name."""
    from .customer_queries import search_condition
    # `organizer_id + 0`: a search reads every customer anyway, straight through the table is
    # faster than through the organizer index (see customer_queries._same_organizer)
    stmt = (select(Customer).where((Customer.organizer_id + 0).in_(organizer_ids), search_condition(text))
            .options(joinedload(Customer.organizer))
            .order_by((Customer.identifier == text.upper()).desc(), Customer.name_cached, Customer.id)
            .limit(limit))
    return list(db.session.scalars(stmt))
