"""The quick search of the top bar: the latest orders and customers matching what was typed,
up to 8 of each with a "Show all N" count, and names to suggest when nothing matched. It never
reads every match: on SQLite a one-word search reads the search index in id order and stops
after the rows it needs (latest_in_parts, ids_in_parts).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Alias, Select, and_, func, or_, select, union
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..plans import by_key
from . import search_index, tx
from .models import Customer, Event, Order, Organizer
from .order_queries import search_condition, order_word_ids
from .text_search import words

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


def quick_search(text: str, order_event_ids: list[int] | Select, customer_organizer_ids: list[int],
                 limit: int = QUICK_LIMIT, count_cap: int = search_index.COUNT_CAP,
                 event_organizers: dict[int, int] | None = None) -> QuickResults:
    """Orders (of the events given) and customers (of the organizers given) matching `text`:
    order code, email, name, phone, customer identifier or the beginning of a ticket secret.
    A full group says how many more each organizer's list holds; nothing found suggests names.
    `order_event_ids` may be a select of event ids, which each query then reads as a subquery
    (one statement less than looking them up first). `event_organizers` ({event id: organizer
    id} of a list of event ids), when the caller knows it, saves looking it up."""
    text = text.strip()[:200]
    results = QuickResults(query=text, orders=[], customers=[])
    if not text:
        return results
    if _some(order_event_ids):
        results.orders, matches = _quick_orders(text, order_event_ids, limit)
        results.exact_order = next((o for o in results.orders if o.code == text.upper()), None)
        if len(results.orders) >= limit:
            results.more_orders = _more_orders(text, order_event_ids, results.orders, count_cap, matches,
                                               event_organizers)
    if customer_organizer_ids:
        results.customers, matches = _quick_customers(text, customer_organizer_ids, limit)
        results.exact_customer = next((c for c in results.customers if c.identifier == text.upper()), None)
        if len(results.customers) >= limit:
            results.more_customers = _more_customers(text, customer_organizer_ids, results.customers, count_cap,
                                                     matches)
    if results.empty:
        results.suggestions = _quick_suggestions(text, order_event_ids, customer_organizer_ids)
    return results


def _some(event_ids: list[int] | Select) -> bool:
    """Whether there are events to search (a select of them may find none, which costs nothing)."""
    return isinstance(event_ids, Select) or bool(event_ids)


def _more_orders(text: str, event_ids: list[int] | Select, shown: list[Order], cap: int,
                 matches: int | None = None, event_organizers: dict[int, int] | None = None) -> list[MoreResults]:
    """Per organizer: the matches of the organizer-wide list, when it holds more than shown here.
    `matches`: all matches in `event_ids` when _quick_orders counted them (PostgreSQL), which is
    the count when the events are one organizer's."""
    if isinstance(event_ids, list) and event_organizers is not None and set(event_ids) <= set(event_organizers):
        event_organizers = {event_id: event_organizers[event_id] for event_id in event_ids}
    else:
        event_organizers = {event_id: organizer_id for event_id, organizer_id in db.session.execute(
            select(Event.id, Event.organizer_id).where(Event.id.in_(event_ids)))}
    by_organizer: dict[int, list[int]] = {}
    for event_id, organizer_id in sorted(event_organizers.items()):
        by_organizer.setdefault(organizer_id, []).append(event_id)
    by_organizer = dict(sorted(by_organizer.items()))
    more = []
    parts = one_word_parts(text)
    for organizer_id, ids in by_organizer.items():
        scope = (Order.event_id + 0).in_(ids)
        if matches is not None and len(by_organizer) == 1:
            total = min(matches, cap + 1)
        elif parts is None:
            total = search_index.capped_count(select(Order.id).where(scope, search_condition(text)), cap)
        else:
            total = len(ids_in_parts(Order, parts, scope, cap + 1))
        if total > sum(1 for o in shown if o.event_id in ids):
            more.append(MoreResults(db.session.get(Organizer, organizer_id), total, cap))
    return more


def _more_customers(text: str, organizer_ids: list[int], shown: list[Customer], cap: int,
                    matches: int | None = None) -> list[MoreResults]:
    from .customer_queries import search_condition, word_id_selects
    more = []
    parts = one_word_parts(text, word_id_selects)
    for organizer_id in organizer_ids:
        scope = (Customer.organizer_id + 0) == organizer_id
        if matches is not None and len(organizer_ids) == 1:
            total = min(matches, cap + 1)
        elif parts is None:
            total = search_index.capped_count(select(Customer.id).where(scope, search_condition(text)), cap)
        else:
            total = len(ids_in_parts(Customer, parts, scope, cap + 1))
        if total > sum(1 for c in shown if c.organizer_id == organizer_id):
            more.append(MoreResults(db.session.get(Organizer, organizer_id), total, cap))
    return more


# --- the quick search on SQLite: reading the index in id order ----------------------------------

def one_word_parts(text: str, word_selects=None) -> list[Select] | None:
    """SQLite, one typed word: the selects of ids whose union is the search's matches (for
    orders, or with `word_selects` customer_queries.word_id_selects), else None. A word is the
    common case; several words (each must match) take the general query."""
    typed = words(text)
    if not tx.is_sqlite() or len(typed) != 1:
        return None
    return (word_selects or order_word_ids)(typed[0])


def latest_in_parts(model, parts: list[Select], scope, limit: int) -> list[int]:
    """The `limit` highest ids of the union of `parts` within `scope`, highest first. Each part is
    read in descending id order and stops after `limit` rows in scope: FTS5 hands out its
    matches that way without collecting them first, so a common name costs a few rows, not the
    50,000 orders it is in."""
    found: set[int] = set()
    for part in parts:
        sub = part.subquery()
        ids = list(sub.c)[0]
        found.update(db.session.scalars(select(model.id).join(sub, ids == model.id).where(scope)
                                        .order_by(ids.desc()).limit(limit)))
    return sorted(found, reverse=True)[:limit]


def ids_in_parts(model, parts: list[Select], scope, limit: int) -> set[int]:
    """Ids of the union of `parts` within `scope`, at least `limit` of them when there are that
    many (all of them when fewer): for counts up to a cap, in any order, so that no part is
    read further than `limit` rows."""
    found: set[int] = set()
    for part in parts:
        sub = part.subquery()
        found.update(db.session.scalars(select(model.id).join(sub, list(sub.c)[0] == model.id).where(scope)
                                        .distinct().limit(limit)))
    return found


def _quick_suggestions(text: str, event_ids: list[int] | Select, organizer_ids: list[int]) -> list[str]:
    """Names alike to `text` among the orders and customers this search may show."""
    names: list[str] = []
    if _some(event_ids):
        names += search_index.suggest_names(Order, text, (Order.event_id + 0).in_(event_ids))
    if organizer_ids:
        names += search_index.suggest_names(Customer, text, (Customer.organizer_id + 0).in_(organizer_ids))
    unique = list(dict.fromkeys(names))
    return sorted(unique, key=lambda n: -search_index.similarity(text, n))[:search_index.SUGGESTIONS]


def _quick_orders(text: str, event_ids: list[int] | Select, limit: int) -> tuple[list[Order], int | None]:
    """The latest orders the order list's search finds (newest first), an order with exactly this
    code before them; and how many orders match when that was counted on the way (else None)."""
    # Latest by id, not by date: the table is read backwards in storage order and the scan stops
    # after `limit` matches (walking the date index instead costs a random read per order, a
    # second at 100,000 orders when little matches). `event_id + 0` keeps the event index out.
    in_events = (Order.event_id + 0).in_(event_ids)
    # what a result shows: the event and its organizer (the link names both), the invoice name;
    # not the customer, whose 31 columns each order's row would carry for nothing
    loading = (joinedload(Order.event).joinedload(Event.organizer), joinedload(Order.invoice_address))
    exact_code = and_(in_events, Order.code == text.upper()) if len(text) <= 16 else None
    if exact_code is not None and _only_a_code(text):
        exact = db.session.scalars(by_key(select(Order).where(exact_code).options(*loading).limit(1))).first()
        if exact is not None:
            # A code typed alone is the order the caller means (codes are unique in an event);
            # reading every name and email for the same five characters would cost the whole scan.
            return [exact], None
        exact_code = None  # no order has this code
    parts = one_word_parts(text)
    matches = None
    if parts is None:
        # the ids first: joining the event, address and customer before the LIMIT would join
        # every match (PostgreSQL does, 2,000 orders for a common name at 100,000)
        ids, matches = _latest_counted(Order, text, order_word_ids, in_events, limit)
    else:
        ids = latest_in_parts(Order, parts, in_events, limit)
    if not ids and (exact_code is None or _exact_among_matches(text)):
        return [], matches
    # the matches and the order with exactly this code, which may be older than the latest
    # `limit` matches, in one query
    wanted = Order.id.in_(ids) if exact_code is None else or_(Order.id.in_(ids), exact_code)
    loaded = list(db.session.scalars(by_key(select(Order).where(wanted).options(*loading))).unique())
    orders = sorted((o for o in loaded if o.id in ids), key=lambda o: o.datetime, reverse=True)
    exact = min((o for o in loaded if exact_code is not None and o.code == text.upper()),
                key=lambda o: o.id, default=None)
    if exact is None:
        return orders, matches
    return [exact, *[o for o in orders if o.id != exact.id]][:limit], matches


def _exact_among_matches(text: str) -> bool:
    """Whether the search's matches include the order with code (or the customer with
    identifier) `text` whenever it exists: a single word is looked up as a code and identifier
    too, so no matches means no such order or customer."""
    return words(text) == [text]


def _latest_counted(model, text: str, word_selects, scope, limit: int) -> tuple[list[int], int | None]:
    """The `limit` latest ids of the search's matches within `scope`, and on PostgreSQL how many
    match: its trigram index hands out every match as one bitmap anyway, so `count(*) OVER ()`
    in the same query saves the "Show all N" count a second lookup and recheck of them."""
    from .customer_queries import search_condition as customer_condition
    condition = (search_condition if model is Order else customer_condition)(text)
    if tx.is_sqlite():
        stmt = select(model.id).where(scope, condition).order_by(model.id.desc()).limit(limit)
        return list(db.session.scalars(stmt)), None
    typed = words(text)
    if len(typed) == 1:
        # one word: the scope checked inside each lookup, on the row the index lookup read
        # anyway, instead of looking every match up again by id (2,000 for a common name)
        found = union(*[_scoped(model, part, scope) for part in word_selects(typed[0])]).subquery()
        ids = list(found.c)[0]
        stmt = select(ids, func.count().over()).order_by(ids.desc())
    else:
        stmt = select(model.id, func.count().over()).where(scope, condition).order_by(model.id.desc())
    rows = db.session.execute(stmt.limit(limit)).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def _scoped(model, part: Select, scope) -> Select:
    """`part` (a select of ids) restricted to `scope`: in its own WHERE when it reads the model's
    table under another name, else by looking its ids up. The parts select their id column
    from their one table, so that column names the table; `get_final_froms()` would say so too,
    but works out every FROM of the select, about a millisecond per search on PostgreSQL."""
    table = getattr(part.selected_columns[0], "table", None)
    if isinstance(table, Alias) and table.element is model.__table__:
        return part.where(ClauseAdapter(table).traverse(scope))
    return select(model.id).where(model.id.in_(part), scope)


def _only_a_code(text: str) -> bool:
    """Looks like an order code and nothing else: one word of code letters with a digit in it,
    which no name has."""
    return text.isascii() and text.isalnum() and any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def _quick_customers(text: str, organizer_ids: list[int], limit: int) -> tuple[list[Customer], int | None]:
    """The customers the customer list's search finds: the exact identifier first, then the
    latest `limit` matches, shown by name; and how many match when counted on the way."""
    from .customer_queries import search_condition, word_id_selects
    # Latest by id, as for orders: the matches are taken newest first and the query stops after
    # `limit` of them, where sorting by name would read and sort every match (10,000 for a
    # common name at 500,000 customers). `organizer_id + 0` keeps the organizer index out.
    in_organizers = (Customer.organizer_id + 0).in_(organizer_ids)
    exact_identifier = and_(in_organizers, Customer.identifier == text.upper()) if len(text) <= 16 else None
    parts = one_word_parts(text, word_id_selects)
    matches = None
    if parts is None:
        ids, matches = _latest_counted(Customer, text, word_id_selects, in_organizers, limit)
    else:
        ids = latest_in_parts(Customer, parts, in_organizers, limit)
    if not ids and (exact_identifier is None or _exact_among_matches(text)):
        return [], matches
    # the matches and the customer with exactly this identifier (perhaps older than them) at once
    wanted = Customer.id.in_(ids) if exact_identifier is None else or_(Customer.id.in_(ids), exact_identifier)
    loaded = list(db.session.scalars(by_key(select(Customer).where(wanted).options(joinedload(Customer.organizer)))))
    found = sorted((c for c in loaded if c.id in ids), key=lambda c: ((c.name_cached or "").casefold(), c.id))
    exact = min((c for c in loaded if exact_identifier is not None and c.identifier == text.upper()),
                key=lambda c: c.id, default=None)
    if exact is None:
        return found, matches
    return [exact, *[c for c in found if c.id != exact.id]][:limit], matches
