"""Finding the tickets (order positions) of one event: seed 003's order position list with its
filters and orderings, paging, CSV rows. Shared by the HTML list and (later) the API.

The search box finds what the order list's search finds, narrowed to tickets (see `search`);
every other filter compares exactly.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from math import ceil

from sqlalchemy import ColumnElement, Index, Select, and_, exists, func, literal, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from ..extensions import db
from . import order_queries, paging, tx
from .models import (Checkin, Customer, InvoiceAddress, Item, ItemVariation, Order, OrderPosition, OrderStatus,
                     SubEvent, Voucher)
from .paging import Page, paginate_capped
from .text_search import matches, starts_with, words

#: sort key in the URL -> the columns it orders by; "-key" is descending. Ties are broken so
#: that paging is stable, in the order 003 names: order date, then position id.
ORDERINGS = {
    "datetime": (Order.datetime, OrderPosition.positionid, OrderPosition.id),
    "code": (Order.code, OrderPosition.positionid, OrderPosition.id),
    "positionid": (OrderPosition.positionid, OrderPosition.id),
    "attendee_name": (OrderPosition.attendee_name_cached, OrderPosition.id),
    # by order id within a status, as the order list does (its index serves both)
    "status": (Order.status, Order.id, OrderPosition.positionid, OrderPosition.id),
}
#: 003's names for the same orderings
ORDERING_ALIASES = {"order__code": "code", "order__datetime": "datetime", "order__status": "status"}
DEFAULT_ORDERING = "datetime"
#: sorts by a column of the order: an index of the event's orders serves them, so a big search
#: result is read by walking it (see positions_stmt); other sorts collect the matches and sort
_WALKABLE = ("datetime", "code", "status")
STATUSES = tuple(OrderStatus.LABELS)
# made once (building an alias is costly); each subquery that uses one has its own scope
_PARENT = aliased(OrderPosition, name="parent_ticket")
_SIBLING = aliased(OrderPosition, name="ticket_of_order")

# The list joins every ticket to its order and pages through them. These let a count read an
# index only (tickets of an order that are not canceled) and let "position id" and "order status"
# read one page in order without sorting all tickets (PostgreSQL needs the id in the index;
# SQLite has it there anyway). Created by migration 0004.
Index("ix_order_position_order_canceled", OrderPosition.order_id, OrderPosition.canceled)
Index("ix_order_position_positionid_id", OrderPosition.positionid, OrderPosition.id)
Index("ix_order_event_status_id", Order.event_id, Order.status, Order.id)


@dataclass
class PositionFilters:
    """003's filters of the order position list; None (or empty) means 'do not filter'.
    Lists hold the values of `x` and `x__in` alike: any of them matches."""
    search: str | None = None
    order: str | None = None  # order code
    item: list[int] = field(default_factory=list)
    variation: list[int] = field(default_factory=list)
    subevent: list[int] = field(default_factory=list)
    status: list[str] = field(default_factory=list)  # of the order
    has_checkin: bool | None = None
    addon_to: list[int] = field(default_factory=list)  # ids of main tickets
    voucher: int | None = None  # voucher id
    voucher_code: str | None = None
    customer: str | None = None  # customer identifier of the order
    attendee_name: str | None = None
    secret: str | None = None
    pseudonymization_id: str | None = None
    # position-level cancellations only (a canceled order's tickets are not canceled themselves)
    include_canceled_positions: bool = False

    def active(self) -> dict:
        """The filters that restrict the result, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "include_canceled_positions" and getattr(self, f.name) not in (None, [], "")}


def clean_ordering(value: str | None) -> str:
    """A known ordering (003's names accepted too), or the default."""
    if not value:
        return DEFAULT_ORDERING
    descending = value.startswith("-")
    key = value.removeprefix("-")
    key = ORDERING_ALIASES.get(key, key)
    if key not in ORDERINGS:
        return DEFAULT_ORDERING
    return f"-{key}" if descending else key


def _ordered(stmt: Select, ordering: str) -> Select:
    descending = ordering.startswith("-")
    columns = ORDERINGS[ordering.removeprefix("-")]
    if descending:
        first, *rest = [c.desc() for c in columns]
    else:
        first, *rest = [c.asc() for c in columns]
    if columns[0] is OrderPosition.attendee_name_cached:
        # tickets without a name (mostly add-ons) last either way, on SQLite as on PostgreSQL
        first = first.nulls_last()
    return stmt.order_by(first, *rest)


def positions_stmt(event_id: int, f: PositionFilters, ordering: str, *, walk: bool = False) -> Select:
    """The tickets of one event matching `f`, in `ordering`.

    `walk`: the same tickets, planned for a search that finds thousands, of which one page is
    read: the planner cannot look the search's orders up by id, so it walks the index of the
    sort column and checks each ticket, stopping after a page, instead of collecting and
    sorting every match. For few matches that walk would be long (paginate_capped uses it only
    above 1,000)."""
    stmt = select(OrderPosition).join(Order, Order.id == OrderPosition.order_id).where(Order.event_id == event_id)
    return _ordered(apply_filters(stmt, event_id, f, walk=walk), ordering)


#: filters that compare only columns of the ticket (or rows found from it): counted without
#: joining the order. Any other filter (or a new one not listed here) counts with the join.
_TICKET_ONLY_FILTERS = frozenset({"item", "variation", "subevent", "has_checkin", "addon_to", "voucher",
                                  "voucher_code", "attendee_name", "secret", "pseudonymization_id"})


def count_stmt(event_id: int, f: PositionFilters) -> Select:
    """The tickets of positions_stmt in a form quick to count: by the ticket's own event (one
    index, a count of 160,000 tickets in a few milliseconds), joined to the order only when a
    filter needs it."""
    stmt = select(OrderPosition.id).where(OrderPosition.event_id == event_id)
    if not set(f.active()) <= _TICKET_ONLY_FILTERS:
        stmt = stmt.join(Order, Order.id == OrderPosition.order_id)
    return apply_filters(stmt, event_id, f)


def apply_filters(stmt: Select, event_id: int, f: PositionFilters, *, walk: bool = False) -> Select:
    """Add 003's filters to a select of positions joined to their order (`walk`: see positions_stmt)."""
    if not f.include_canceled_positions:
        stmt = stmt.where(OrderPosition.canceled == False)  # noqa: E712 (= 0: the index serves it)
    if f.order:
        stmt = stmt.where(Order.code == f.order.upper())
    if f.item:
        stmt = stmt.where(OrderPosition.item_id.in_(f.item))
    if f.variation:
        stmt = stmt.where(OrderPosition.variation_id.in_(f.variation))
    if f.subevent:
        stmt = stmt.where(OrderPosition.subevent_id.in_(f.subevent))
    if f.status:
        stmt = stmt.where(Order.status.in_(f.status))
    if f.has_checkin is not None:
        checked_in = exists().where(Checkin.position_id == OrderPosition.id)
        stmt = stmt.where(checked_in if f.has_checkin else ~checked_in)
    if f.addon_to:
        stmt = stmt.where(OrderPosition.addon_to_id.in_(f.addon_to))
    if f.voucher is not None:
        stmt = stmt.where(OrderPosition.voucher_id == f.voucher)
    if f.voucher_code:
        stmt = stmt.where(OrderPosition.voucher_id.in_(
            select(Voucher.id).where(Voucher.event_id == event_id, Voucher.code == f.voucher_code)))
    if f.customer:
        stmt = stmt.where(Order.customer_id.in_(
            select(Customer.id).where(Customer.identifier == f.customer.upper())))
    if f.attendee_name:
        stmt = stmt.where(_attendee_named(f.attendee_name))
    if f.secret:
        stmt = stmt.where(OrderPosition.secret == f.secret)
    if f.pseudonymization_id:
        stmt = stmt.where(OrderPosition.pseudonymization_id == f.pseudonymization_id.upper())
    if f.search:
        stmt = search(stmt, f.search, walk=walk)
    return stmt


def _attendee_named(name: str) -> ColumnElement:
    """003's `attendee_name`: the ticket's attendee has exactly this name (ignoring case), or the
    ticket is an add-on to one that has."""
    wanted = name.strip().lower()
    return or_(func.lower(OrderPosition.attendee_name_cached) == wanted,
               OrderPosition.addon_to_id.in_(select(_PARENT.id).where(
                   func.lower(_PARENT.attendee_name_cached) == wanted)))


# --- the search box ------------------------------------------------------------------------------

def search(stmt: Select, text: str, *, walk: bool = False) -> Select:
    """The ticket list's search: 003's attendee name (add-ons found through their main ticket's
    attendee), order code, invoice name and beginning of the secret.

    A ticket is found when
    1. its order is found by the order list's search for the same text (order_queries: the
       search index's names, emails, companies and phone, the order code, the customer's
       identifier, the beginning of any ticket secret of the order), and
    2. for each typed word that names a ticket of that order (its attendee's name or email, or
       the beginning of its secret), this ticket is one of them or an add-on to one of them.
       A word that names no ticket (an invoice name, the order code, the buyer's email) keeps
       every ticket of the order.

    So the orders of the tickets found are exactly orders the order list finds, and "Anna"
    lists Anna's ticket and her add-ons, not the other tickets of her order. The narrowing of
    step 2 compares like text_search.matches (case and Latin-1 accents ignored); where it is
    stricter than the index (a spelt-out umlaut, "boehm" for "Böhm"), the word names no ticket
    and the whole order is listed rather than nothing.
    """
    by_order = order_queries.OrderFilters(search=text)
    if walk:
        # the same condition as a check of each order the query reaches (a subquery correlated
        # to the list's order), which cannot be used to look orders up: the planner walks the
        # sort index and checks each order from its id alone, before reading any of its tickets
        stmt = stmt.where(exists(order_queries.apply_filters(select(literal(1)), by_order).correlate(Order)))
    else:
        # the order list's condition on the list's own join with the order
        stmt = order_queries.apply_filters(stmt, by_order)
    # step 2 is checked per ticket the query reaches, so a walk that stops after a page checks few
    return stmt.where(*_narrowing(text))


def _narrowing(text: str) -> list[ColumnElement]:
    """Step 2 of `search`."""
    return [_narrowed_to_named_tickets(word) for word in words(text)]


def _narrowed_to_named_tickets(word: str) -> ColumnElement:
    named_in_order = _per_ticket(_SIBLING.order_id == OrderPosition.order_id, _names_ticket(_SIBLING, word))
    return or_(_names_ticket(OrderPosition, word),
               _per_ticket(_PARENT.id == OrderPosition.addon_to_id, _names_ticket(_PARENT, word)),
               not_(named_in_order))


def _per_ticket(*conditions) -> ColumnElement:
    """EXISTS, checked for each ticket the query reaches. (`OFFSET 0` keeps PostgreSQL from
    turning it into one pass over every ticket of every event, which it plans for a walk.)"""
    return select(literal(1)).where(*conditions).offset(0).exists()


def _names_ticket(position, word: str) -> ColumnElement:
    conditions = [matches(position.attendee_name_cached, word), matches(position.attendee_email, word)]
    if _secret_prefix(word):
        conditions.append(starts_with(position.secret, word.lower()))
    return or_(*conditions)


def _secret_prefix(word: str) -> bool:
    """The order list's rule for a word that may be the beginning of a secret."""
    return len(word) >= order_queries.MIN_SECRET_PREFIX and word.isascii() and word.isalnum()


# --- pages and rows ------------------------------------------------------------------------------

@dataclass
class TicketRow:
    position: OrderPosition
    checked_in: bool

    @property
    def order(self) -> Order:
        return self.position.order


def _with_parts(stmt: Select) -> Select:
    """What a row shows, loaded with the page: the order from the list's own join."""
    return stmt.options(contains_eager(OrderPosition.order), joinedload(OrderPosition.item),
                        joinedload(OrderPosition.variation), joinedload(OrderPosition.subevent),
                        joinedload(OrderPosition.addon_to))


def list_page(event_id: int, f: PositionFilters, ordering: str, page: int = 1) -> Page:
    """One page of rows; a fixed number of queries whatever the page holds. Counted as the
    order list counts: up to 1,000, above that "more than 1,000" (an exact count would read
    every ticket of the event, a join of tickets and orders)."""
    result = _searched_page(event_id, f, ordering, page) if _reads_first_tickets(f, ordering, page) else None
    if result is None:
        stmt = _with_parts(positions_stmt(event_id, f, ordering))
        walkable = f.search and ordering.removeprefix("-") in _WALKABLE
        big = _with_parts(positions_stmt(event_id, f, ordering, walk=True)) if walkable else None
        result = paginate_capped(stmt, page, big=big)
    result.items = _rows(result.items)
    return result


# --- a search's first pages on PostgreSQL --------------------------------------------------------

def _reads_first_tickets(f: PositionFilters, ordering: str, page: int) -> bool:
    """PostgreSQL, a search and no other filter, sorted by a column of the order, one of the
    pages within the count's cap."""
    return (not tx.is_sqlite() and set(f.active()) == {"search"} and ordering.removeprefix("-") in _WALKABLE
            and 1 <= page <= paging.COUNT_CAP // paging.PER_PAGE)


def _searched_page(event_id: int, f: PositionFilters, ordering: str, page: int) -> Page | None:
    """The page and the capped count from one query, the ids of the first 1,001 tickets found
    (_first_ticket_ids); None when that cannot tell."""
    ids = _first_ticket_ids(event_id, f, ordering)
    if ids is None:
        return None
    per_page, cap = paging.PER_PAGE, paging.COUNT_CAP
    capped = len(ids) > cap
    if not capped:
        page = min(page, max(1, ceil(len(ids) / per_page)))
    shown = ids[(page - 1) * per_page:page * per_page]
    loaded = {p.id: p for p in db.session.scalars(_with_parts(
        select(OrderPosition).join(Order, Order.id == OrderPosition.order_id).where(OrderPosition.id.in_(shown))))}
    return Page(items=[loaded[i] for i in shown], total=min(len(ids), cap + 1), number=page, per_page=per_page,
                capped=capped, more=capped and len(ids) > page * per_page)


def _first_ticket_ids(event_id: int, f: PositionFilters, ordering: str) -> list[int] | None:
    """The ids of the first 1,001 tickets a search finds, in the list's order.

    On PostgreSQL the count and the page of paginate_capped each found the search's orders
    again, and checked the typed words on the tickets of every match or walked the event's
    orders (40-60 ms at 100,000 orders, against about 20 ms for this). Here the event's orders
    the search finds are sorted first (at most 1,001 of them), then their tickets are read in
    that order until there are 1,001. The sorted orders are a subquery (not merged into the
    outer query), joined back on their id and their sort columns: those equal columns tell
    PostgreSQL that the orders arrive in the list's order.

    None when the answer is not sure: nothing found (an order whose tickets are all canceled
    lists none), or fewer than 1,001 tickets from the first 1,001 of more orders."""
    cap = paging.COUNT_CAP
    descending = ordering.startswith("-")
    sort = [c for c in ORDERINGS[ordering.removeprefix("-")] if c.class_ is Order]
    found = (select(Order.id, *[c for c in sort if c.key != "id"], func.count().over().label("orders"))
             .where(Order.event_id == event_id, order_queries.search_condition(f.search))
             .order_by(*[c.desc() if descending else c.asc() for c in sort])
             .limit(cap + 1).subquery("found"))
    stmt = (select(OrderPosition.id, found.c.orders).select_from(found)
            .join(Order, and_(Order.id == found.c.id, *[c == found.c[c.key] for c in sort if c.key != "id"]))
            .join(OrderPosition, OrderPosition.order_id == Order.id))
    stmt = apply_filters(stmt, event_id, replace(f, search=None)).where(*_narrowing(f.search))
    rows = db.session.execute(_ordered(stmt, ordering).limit(cap + 1)).all()
    if not rows or (len(rows) <= cap and rows[0].orders > cap + 1):
        return None
    return [row.id for row in rows]


def _rows(positions: list[OrderPosition]) -> list[TicketRow]:
    checked_in = _checked_in([p.id for p in positions])
    return [TicketRow(p, p.id in checked_in) for p in positions]


def _checked_in(position_ids: list[int]) -> set[int]:
    if not position_ids:
        return set()
    return set(db.session.scalars(select(Checkin.position_id).where(Checkin.position_id.in_(position_ids))
                                  .distinct()))


CSV_COLUMNS = {
    "order": Order.code, "positionid": OrderPosition.positionid, "id": OrderPosition.id,
    "order_status": Order.status, "canceled": OrderPosition.canceled, "item": Item.name,
    "variation": ItemVariation.value, "subevent": SubEvent.name, "subevent_date": SubEvent.date_from,
    "attendee_name": OrderPosition.attendee_name_cached, "attendee_email": OrderPosition.attendee_email,
    "price": OrderPosition.price, "addon_to_positionid": None, "voucher": Voucher.code, "checked_in": None,
    "blocked": OrderPosition.blocked, "secret": OrderPosition.secret,
    "pseudonymization_id": OrderPosition.pseudonymization_id, "order_datetime": Order.datetime,
    "invoice_name": InvoiceAddress.name_cached, "order_email": Order.email,
}
CSV_HEADER = list(CSV_COLUMNS)
CSV_BATCH = 1000


def csv_rows(event_id: int, f: PositionFilters, ordering: str) -> Iterator[list]:
    """The filtered list as CSV rows (header first), every page in the list's order. One query
    of plain columns, read in batches: no objects to build, memory stays flat."""
    yield CSV_HEADER
    parent = aliased(OrderPosition)
    columns = dict(CSV_COLUMNS, addon_to_positionid=parent.positionid,
                   checked_in=exists().where(Checkin.position_id == OrderPosition.id))
    stmt = (positions_stmt(event_id, f, ordering).with_only_columns(*columns.values())
            .outerjoin(Item, Item.id == OrderPosition.item_id)
            .outerjoin(ItemVariation, ItemVariation.id == OrderPosition.variation_id)
            .outerjoin(SubEvent, SubEvent.id == OrderPosition.subevent_id)
            .outerjoin(Voucher, Voucher.id == OrderPosition.voucher_id)
            .outerjoin(parent, parent.id == OrderPosition.addon_to_id)
            .outerjoin(InvoiceAddress, InvoiceAddress.order_id == Order.id))
    # one query read in batches (not LIMIT/OFFSET, which would walk the list again for each batch)
    for row in db.session.execute(stmt.execution_options(yield_per=CSV_BATCH)):
        values = dict(zip(CSV_HEADER, row))
        values["order_status"] = OrderStatus.LABELS[values["order_status"]]
        values["canceled"] = bool(values["canceled"])
        values["checked_in"] = bool(values["checked_in"])
        values["blocked"] = ", ".join(values["blocked"] or [])
        yield list(values.values())
