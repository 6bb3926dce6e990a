"""Finding orders: the list filters of seed 003 with its semantics, ordering, CSV rows, quick search.

Shared by the HTML lists and (later) the API, so both filter the same way.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, exists, func, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..plans import by_key
from .models import (Answer, Checkin, Customer, Event, Order, OrderFee, OrderPayment, OrderPosition,
                     OrderStatus, SubEvent)
from .orders import ZERO, Totals
from . import money, paging
from .paging import Page, paginate_capped
from . import search_index, tx
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


def apply_filters(stmt: Select, f: OrderFilters, *, walk: bool = False) -> Select:
    """Add 003's filters to a select of orders (`walk`: see orders_stmt)."""
    if f.code:
        stmt = stmt.where(Order.code == f.code.upper())
    if f.status:
        stmt = stmt.where(Order.status.in_(f.status))
    if f.search:
        stmt = stmt.where(search_condition(f.search, walk))
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


def search_condition(text: str, walk: bool = False):
    """The search box of the order lists and the quick search (see text_search for the rule):
    order code, email, phone, invoice name and company, attendee names and emails, the
    customer's name and identifier, the beginning of a ticket secret. Names, emails and phones
    are looked up in the search index (search_index), codes and identifiers exactly."""
    return text_condition(text, lambda word: _word_condition(word, walk),
                          lambda whole: search_index.phone_matches(Order, whole))


def _word_condition(word: str, walk: bool = False):
    # One `id IN (…)` over a union of lookups, each served by its own index (see order_word_ids).
    # `id + 0` (walk, SQLite): not usable to look orders up by id, so SQLite walks the sort
    # index and checks each entry against the matches instead (see orders_stmt).
    ids = union_all(*order_word_ids(word))
    return (Order.id + 0 if walk and tx.is_sqlite() else Order.id).in_(ids)


#: the order table under another name, for selects that must not correlate with an outer query
#: of orders; made once, as building an alias costs more than the query it is for
_OTHER_ORDER = Order.__table__.alias("other_order")


def order_word_ids(word: str) -> list[Select]:
    """The orders a word finds, as a union of id lookups: the code, the search index, the
    customer identifier, ticket secrets. As one `id IN (…)` it is checked from a row id alone:
    SQLite can walk a sort index and stop after one page however many orders match, and
    PostgreSQL uses each lookup's index, where an OR of these conditions (one of them a
    subquery) made it read the whole table."""
    other = _OTHER_ORDER
    selects = search_index.word_ids(Order, word)
    if len(word) <= 16:
        selects.insert(0, select(other.c.id).where(other.c.code == word.upper()))
    selects.append(select(other.c.id).where(
        other.c.customer_id.in_(select(Customer.id).where(Customer.identifier == word.upper()))))
    if len(word) >= MIN_SECRET_PREFIX and word.isascii() and word.isalnum():
        selects.append(select(OrderPosition.order_id).where(starts_with(OrderPosition.secret, word.lower())))
    return selects


#: the sorts an index serves, for one event and for several (see orders_stmt's `walk`)
_INDEXED_SORTS = {"event": ("datetime", "last_modified", "status", "code"),
                  "events": ("datetime", "last_modified", "code")}


def _walkable(event_ids: list[int] | None, ordering: str) -> bool:
    scope = "event" if event_ids is not None and len(event_ids) == 1 else "events"
    return ordering.lstrip("-") in _INDEXED_SORTS[scope]


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


def orders_stmt(event_ids: list[int] | None, organizer_id: int, f: OrderFilters, ordering: str, *,
                walk: bool = False) -> Select:
    """All orders of the given events (None: every event of the organizer) matching `f`.

    `walk` (SQLite): the same orders, planned for a result of thousands, of which one page is
    read. Left to itself SQLite collects every match of a search and sorts them (a quarter of
    a second for 20,000 matches at a million orders); with `walk` it reads the index of the sort
    column and checks each entry against the matches from its row id alone, stopping after a
    page: about 50 × orders / matches entries. For few matches that walk would be long, so
    paging.paginate_capped uses it only above 1,000 matches."""
    stmt = select(Order).where(_in_scope(event_ids, organizer_id))
    return _ordered(apply_filters(stmt, f, walk=walk), ordering)


def orders_count_stmt(event_ids: list[int] | None, organizer_id: int, f: OrderFilters) -> Select:
    """The orders of orders_stmt, to count them: the events named by id, so that each event's
    orders are one range of the event index (orders_stmt's `event_id + 0` makes a count join every
    order to the organizer's events: at 100k orders, SQLite 6.7 -> 3.4 ms, PostgreSQL 12.5 ->
    7.4 ms)."""
    if event_ids is None:
        event_ids = list(db.session.scalars(by_key(_organizer_events(organizer_id))))
    return apply_filters(select(Order).where(Order.event_id.in_(event_ids)), f)


def _organizer_events(organizer_id: int) -> Select:
    """The ids of the organizer's events: the scope of a team that sees every event."""
    return select(Event.id).where(Event.organizer_id == organizer_id)


def _in_scope(event_ids: list[int] | None, organizer_id: int):
    # Across events, `event_id + 0` lets the planner walk the index of the sort column and stop
    # after one page, instead of sorting every order of the organizer (SQLite picks the latter).
    if event_ids is None:
        return (Order.event_id + 0).in_(_organizer_events(organizer_id))
    if len(event_ids) == 1:
        return Order.event_id == event_ids[0]
    return (Order.event_id + 0).in_(event_ids)


def _search_count(event_ids: list[int] | None, organizer_id: int, f: OrderFilters, cap: int) -> int | None:
    """SQLite, a one-word search and no other filter: the capped count from the search index in
    id order (see latest_in_parts), without collecting every match first. None otherwise."""
    from .quick_search import ids_in_parts, one_word_parts
    parts = one_word_parts(f.search) if f.search and set(f.active()) == {"search"} else None
    if parts is None:
        return None
    return min(len(ids_in_parts(Order, parts, _in_scope(event_ids, organizer_id), cap + 1)), cap + 1)


@dataclass
class OrderRow:
    order: Order
    positions: int
    money: Totals
    fees: Decimal

    @property
    def paid(self) -> Decimal:
        """What the organizer holds: paid minus refunded (the list's "paid" column)."""
        return self.money.net_paid

    @property
    def open(self) -> Decimal:
        return self.money.open


def list_page(event_ids: list[int] | None, organizer_id: int, f: OrderFilters, ordering: str,
              page: int = 1) -> Page:
    """One page of rows; a fixed number of queries whatever the page holds."""
    loading = (joinedload(Order.event), joinedload(Order.customer), joinedload(Order.invoice_address))
    if f.search and not tx.is_sqlite():
        # the page sorts every match anyway: count them in the same query (paging.paginate_counted)
        shown = _ordered(select(Order).options(*loading), ordering)
        result = paging.paginate_counted(orders_stmt(event_ids, organizer_id, f, ordering), page, shown=shown)
        result.items = _rows(result.items, f)
        return result
    stmt = orders_stmt(event_ids, organizer_id, f, ordering).options(*loading)
    big = (orders_stmt(event_ids, organizer_id, f, ordering, walk=True).options(*loading)
           if _walkable(event_ids, ordering) else None)
    # more than 1,000 orders are counted as "more than 1,000": an exact count reads them all
    result = paginate_capped(stmt, page, big=big, total=_search_count(event_ids, organizer_id, f, paging.COUNT_CAP))
    result.items = _rows(result.items, f)
    return result


def _rows(orders: list[Order], f: OrderFilters) -> list[OrderRow]:
    ids = [o.id for o in orders]
    positions = _position_counts(ids, f.include_canceled_positions)
    sums = money.totals_of(orders)
    fees = _fee_sums(ids, f.include_canceled_fees)
    return [OrderRow(o, positions.get(o.id, 0), sums[o.id], fees.get(o.id, ZERO)) for o in orders]


def _position_counts(order_ids: list[int], include_canceled: bool) -> dict[int, int]:
    if not order_ids:
        return {}
    stmt = (select(OrderPosition.order_id, func.count(OrderPosition.id))
            .where(OrderPosition.order_id.in_(order_ids)).group_by(OrderPosition.order_id))
    if not include_canceled:
        stmt = stmt.where(OrderPosition.canceled.is_(False))
    return dict(db.session.execute(stmt).all())


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
    """Loader options for the detail page: every part in a fixed number of queries.

    Not the event and its organizer: whoever asks for an order has read both already (the
    event of the URL; the organizer with the user's teams or the API token), so the order's
    `event` is found in the session without a query, where joining them would carry their 60
    columns in the row (on PostgreSQL, reading a column's value costs more than sending it)."""
    return [
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
    stmt = by_key(select(Order).where(Order.event_id == event.id, Order.code == code.upper())
                  .options(*detail_options()))
    return db.session.scalars(stmt).unique().first()


def order_suggestions(event_ids: list[int] | None, organizer_id: int, text: str) -> list[str]:
    """'Did you mean …?' for the order lists: names among the orders the list may show."""
    if event_ids is None:
        scope = (Order.event_id + 0).in_(_organizer_events(organizer_id))
    else:
        scope = (Order.event_id + 0).in_(event_ids)
    return search_index.suggest_names(Order, text, scope)


def __getattr__(name: str):
    """The quick search lives in quick_search.py; its names stay importable from here (looked
    up when asked for, as quick_search imports this module)."""
    if name in ("QUICK_LIMIT", "MoreResults", "QuickResults", "quick_search"):
        from . import quick_search
        return getattr(quick_search, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
