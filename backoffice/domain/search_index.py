"""The search index of orders and customers: what the order lists, the quick search and the
customer list look in, so that a search reads an index instead of every row.

Each order and customer keeps a `search_text`: its searched fields, normalised in Python
(case folded, accents removed, "ß" as "ss", and German umlauts also spelt out, so that "bohm",
"Böhm", "BÖHM" and "boehm" all find "Böhm"), one field per line. A typed word is normalised the
same way and looked for anywhere in that text:
- SQLite: an FTS5 table with the trigram tokenizer over the text (`order_search`,
  `customer_search`, kept by triggers on the table), for words of three or more characters;
- PostgreSQL: a pg_trgm GIN index on the column, which serves `LIKE '%word%'`;
- shorter words: `LIKE` on the column (short fields such as codes are found by exact lookups).

A flush hook recomputes the text of every order or customer whose searched fields or parts
(invoice address, attendees, the linked customer) changed, so no action can forget it.
Order codes and customer identifiers are compared exactly (indexed columns), not in the text.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from difflib import SequenceMatcher
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import event, false, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ..extensions import db
from . import paging, tx
from .models import Customer, InvoiceAddress, Order, OrderPosition
from .text_search import like_escape, phone_digits

#: FTS5 trigram matches need at least three characters
MIN_INDEXED = 3
BATCH = 5000

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
# Phone digits are stored as superscript digits: a typed word is normalised with NFKD, which
# turns those into plain digits, so it never finds a phone; only digits typed as a phone number
# (three or more, see text_search.phone_digits) are looked for there, as before the index.
_PHONE = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# letters that keep their stroke in NFKD, spelt as people type them without it
_STROKES = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"})
#: the tables under other names, for selects that must not correlate with an outer query
_OTHER = {"order": Order.__table__.alias("other_order"), "customer": Customer.__table__.alias("other_customer")}
_FTS = {"order": sa.table("order_search", sa.column("rowid"), sa.column("search_text")),
        "customer": sa.table("customer_search", sa.column("rowid"), sa.column("search_text"))}


def normalise(text: str) -> str:
    """'Straße Böhm Łukasz' -> 'strasse bohm lukasz': case folded, marks and strokes removed."""
    folded = unicodedata.normalize("NFKD", text.replace("\x00", "").casefold().translate(_STROKES))
    return unicodedata.normalize("NFC", "".join(c for c in folded if not unicodedata.combining(c)))


def _spellings(value: str | None) -> list[str]:
    if not value:
        return []
    return list(_cached_spellings(value))


@lru_cache(maxsize=100_000)
def _cached_spellings(value: str) -> tuple[str, ...]:
    # names repeat a lot: bulk loads and the backfill normalise each one once
    plain = normalise(value)
    spelt_out = normalise(unicodedata.normalize("NFC", value.casefold()).translate(_UMLAUTS))
    return (plain,) if spelt_out == plain else (plain, spelt_out)


def build_text(values: Iterable[str | None], phones: Iterable[str | None] = ()) -> str:
    """One line per field (a typed word has no line break, so it never spans two fields);
    phone numbers as their digits, kept apart from words (see _PHONE)."""
    lines: list[str] = []
    for value in values:
        lines += _spellings(value)
    lines += ["".join(c for c in p if c.isdigit()).translate(_PHONE) for p in phones if p]
    return "\n".join(dict.fromkeys(line for line in lines if line.strip()))


def order_text(order: Order, removed: set | frozenset = frozenset()) -> str:
    """`removed`: parts deleted in this flush, which the order's relationships may still hold."""
    address = order.invoice_address
    values = [order.email]
    if address is not None and address not in removed:
        values += [address.name_cached, address.company]
    for position in order.all_positions:
        if position not in removed:
            values += [position.attendee_name_cached, position.attendee_email]
    if order.customer is not None:
        values.append(order.customer.name_cached)
    return build_text(values, [order.phone])


def customer_text(customer: Customer) -> str:
    return build_text([customer.name_cached, customer.email, customer.company], [customer.phone])


# --- searching ---------------------------------------------------------------------------------

def contains(model, word: str) -> ColumnElement:
    """Rows of `model` (Order or Customer) whose search text has `word` in it, normalised."""
    return _contains(model, normalise(word).strip())


def _contains(model, key: str) -> ColumnElement:
    if not key:
        return false()
    if tx.is_sqlite() and len(key) >= MIN_INDEXED:
        return model.id.in_(_ids(model, key))
    return model.search_text.like(f"%{like_escape(key)}%", escape="\\")


def _ids(model, key: str) -> sa.Select:
    """The ids of rows whose text has `key` in it: from the FTS index (SQLite, three or more
    characters), otherwise by LIKE on the column (an alias, so that the select never correlates
    with an outer query of the same table)."""
    if tx.is_sqlite() and len(key) >= MIN_INDEXED:
        fts = _FTS[model.__tablename__]
        phrase = '"' + key.replace('"', '""') + '"'
        return select(fts.c.rowid.label("id")).where(fts.c.search_text.op("MATCH")(phrase))
    row = _OTHER[model.__tablename__]
    if not key:
        return select(row.c.id).where(false())
    return select(row.c.id).where(row.c.search_text.like(f"%{like_escape(key)}%", escape="\\"))


def word_ids(model, word: str) -> list[sa.Select]:
    """Selects of the ids of rows matching `word` as word_matches does (their union): for
    conditions written as `id IN (…)`, which SQLite checks from an index's row ids alone, so
    that it can walk a sorted index and stop after one page (see order_queries)."""
    selects = [_ids(model, normalise(word).strip())]
    digits = phone_digits(word)
    if digits is not None:
        selects.append(_ids(model, digits.translate(_PHONE)))
    return selects


def word_matches(model, word: str) -> ColumnElement:
    """`word` in the text, or, typed as a phone number ('0176', '+49176'), its digits."""
    digits = phone_digits(word)
    if digits is None:
        return contains(model, word)
    return sa.or_(contains(model, word), _contains(model, digits.translate(_PHONE)))


def phone_matches(model, text: str) -> ColumnElement | None:
    """The whole text as a phone number typed in groups ('0176 123 45'), or None."""
    digits = phone_digits(text)
    return None if digits is None else _contains(model, digits.translate(_PHONE))


# --- keeping the text right --------------------------------------------------------------------

_ORDER_FIELDS = ("email", "phone", "customer_id", "customer")
_ADDRESS_FIELDS = ("name_cached", "company", "order", "order_id")
_POSITION_FIELDS = ("attendee_name_cached", "attendee_email", "order", "order_id")
_CUSTOMER_FIELDS = ("name_cached", "email", "company", "phone")


def _changed(session: Session, obj, keys: tuple[str, ...]) -> bool:
    if obj in session.new or obj in session.deleted:
        return True
    attrs = inspect(obj).attrs
    return any(attrs[key].history.has_changes() for key in keys)


def _previous_order(obj) -> Order | None:
    """The order a part was moved away from, whose text loses it."""
    deleted = inspect(obj).attrs["order"].history.deleted
    return deleted[0] if deleted else None


@event.listens_for(Session, "before_flush")
def _update_search_texts(session: Session, _context, _instances) -> None:
    orders: set[Order] = set()
    customers: set[Customer] = set()
    removed = set(session.deleted)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Order) and _changed(session, obj, _ORDER_FIELDS):
            orders.add(obj)
        elif isinstance(obj, (InvoiceAddress, OrderPosition)):
            fields = _ADDRESS_FIELDS if isinstance(obj, InvoiceAddress) else _POSITION_FIELDS
            if _changed(session, obj, fields):
                orders.update(o for o in (obj.order, _previous_order(obj)) if o is not None)
        elif isinstance(obj, Customer) and _changed(session, obj, _CUSTOMER_FIELDS):
            customers.add(obj)
    if not orders and not customers:
        return
    with session.no_autoflush:
        for customer in customers:
            if customer in session.deleted:
                continue
            customer.search_text = customer_text(customer)
            if customer.id is not None:
                orders.update(session.scalars(select(Order).where(Order.customer_id == customer.id)))
        # parts stored unchanged: an email or phone edit reads them in one small query instead
        # of loading the address, the positions and the customer as objects (an order action
        # then pays about half a millisecond for the index, see docs/performance.md)
        stored = {o for o in orders if _only_own_fields_changed(session, o, customers)}
        texts = _stored_texts(session, stored)
        for order in orders:
            if order in session.deleted:
                continue
            if order in texts:
                order.search_text = texts[order]
            else:
                order.search_text = order_text(order, removed)


def _only_own_fields_changed(session: Session, order: Order, customers: set[Customer]) -> bool:
    """Only the order's email or phone changed, not its parts or its customer: its other
    searched values are those stored."""
    if order in session.new or order in session.deleted or order.id is None:
        return False
    attrs = inspect(order).attrs
    if attrs["customer_id"].history.has_changes() or attrs["customer"].history.has_changes():
        return False
    if order.customer_id is not None and any(c.id == order.customer_id for c in customers):
        return False
    for part in (order.__dict__.get("invoice_address"), *order.__dict__.get("all_positions", ())):
        if part is not None and (part in session.new or part in session.dirty or part in session.deleted):
            return False
    return not any(isinstance(obj, (InvoiceAddress, OrderPosition)) and
                   inspect(obj).attrs["order_id"].value == order.id
                   for obj in list(session.new) + list(session.dirty) + list(session.deleted))


def _stored_texts(session: Session, orders: set[Order]) -> dict[Order, str]:
    """The text of each order from its own (changed) email and phone and its stored parts,
    in order_text's order: invoice name and company, attendees by position, customer name."""
    if not orders:
        return {}
    by_id = {o.id: o for o in orders}
    ids = list(by_id)
    address = select(InvoiceAddress.order_id, sa.literal(0).label("kind"), sa.literal(0).label("n"),
                     InvoiceAddress.name_cached.label("a"), InvoiceAddress.company.label("b")
                     ).where(InvoiceAddress.order_id.in_(ids))
    positions = select(OrderPosition.order_id, sa.literal(1), OrderPosition.positionid,
                       OrderPosition.attendee_name_cached, OrderPosition.attendee_email
                       ).where(OrderPosition.order_id.in_(ids))
    customer = select(Order.id, sa.literal(2), sa.literal(0), Customer.name_cached, sa.null()
                      ).join(Customer, Customer.id == Order.customer_id).where(Order.id.in_(ids))
    parts: dict[int, list] = defaultdict(list)
    rows = session.execute(sa.union_all(address, positions, customer).order_by("order_id", "kind", "n"))
    for order_id, kind, _n, a, b in rows:
        parts[order_id] += [a] if kind == 2 else [a, b]
    return {o: build_text([o.email, *parts[i]], [o.phone]) for i, o in by_id.items()}


# --- filling the text in bulk (migration backfill, demo data) ----------------------------------

@contextmanager
def bulk_load(conn: sa.Connection) -> Iterator[None]:
    """For bulk inserts that write `search_text` themselves (demo data): on SQLite the FTS
    triggers are set aside and each index is rebuilt once at the end, which is about twice as
    fast as updating it row by row. The triggers are put back exactly as the migration made them."""
    if conn.dialect.name != "sqlite":
        yield
        return
    names = [f"{table}_search_{event}" for table in _FTS for event in ("insert", "delete", "update")]
    triggers = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                    "AND name IN :names").bindparams(sa.bindparam("names", expanding=True)),
                            {"names": names}).all()
    for trigger in triggers:
        conn.execute(sa.text(f'DROP TRIGGER "{trigger.name}"'))
    yield
    for trigger in triggers:
        conn.execute(sa.text(trigger.sql))
    for fts in _FTS.values():
        conn.execute(sa.text(f"INSERT INTO {fts.name}({fts.name}) VALUES ('rebuild')"))


def rebuild(conn: sa.Connection, batch: int = BATCH) -> int:
    """Recompute the search text of every customer and order, `batch` rows at a time, with Core
    statements only (it runs inside a migration too). Returns the number of orders."""
    customer = sa.table("customer", sa.column("id", sa.Integer), sa.column("name_cached"), sa.column("email"),
                        sa.column("company"), sa.column("phone"), sa.column("search_text"))
    order = sa.table("order", sa.column("id", sa.Integer), sa.column("email"), sa.column("phone"),
                     sa.column("customer_id"), sa.column("search_text"))
    address = sa.table("invoice_address", sa.column("order_id"), sa.column("name_cached"), sa.column("company"))
    position = sa.table("order_position", sa.column("positionid"), sa.column("order_id"),
                        sa.column("attendee_name_cached"), sa.column("attendee_email"))

    def batches(table, *columns):
        last = 0
        while True:
            rows = conn.execute(select(table.c.id, *columns).where(table.c.id > last)
                                .order_by(table.c.id).limit(batch)).all()
            if not rows:
                return
            yield rows
            last = rows[-1].id

    def store(table, texts: list[dict]) -> None:
        conn.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                     .values(search_text=sa.bindparam("text")), texts)

    for rows in batches(customer, customer.c.name_cached, customer.c.email, customer.c.company, customer.c.phone):
        store(customer, [{"row_id": r.id, "text": build_text([r.name_cached, r.email, r.company], [r.phone])}
                         for r in rows])
    total = 0
    for rows in batches(order, order.c.email, order.c.phone, order.c.customer_id):
        ids = [r.id for r in rows]
        parts: dict[int, list] = defaultdict(list)
        for a in conn.execute(select(address.c.order_id, address.c.name_cached, address.c.company)
                              .where(address.c.order_id.in_(ids))):
            parts[a.order_id] += [a.name_cached, a.company]
        for p in conn.execute(select(position.c.order_id, position.c.attendee_name_cached, position.c.attendee_email)
                              .where(position.c.order_id.in_(ids)).order_by(position.c.positionid)):
            parts[p.order_id] += [p.attendee_name_cached, p.attendee_email]
        customer_ids = {r.customer_id for r in rows if r.customer_id is not None}
        names = {c.id: c.name_cached for c in conn.execute(
            select(customer.c.id, customer.c.name_cached).where(customer.c.id.in_(customer_ids)))}
        store(order, [{"row_id": r.id, "text": build_text([r.email, *parts[r.id], names.get(r.customer_id)],
                                                          [r.phone])} for r in rows])
        total += len(rows)
    return total


# --- merging the FTS5 segments (SQLite) -----------------------------------------------------------

#: index pages one merge step writes at most (4 KiB each): a step holds the write lock for up to
#: about 0.1 s when it merges big segments (the first runs after a bulk load), far less otherwise
MERGE_PAGES = 100
#: merge steps per index and run of `flask periodic`, a bound on a run's time
MERGE_STEPS = 50


def merge_segments(pages: int = MERGE_PAGES, steps: int = MERGE_STEPS) -> int:
    """SQLite: merge the small segments of the FTS5 indexes; returns the steps that merged some.

    Every commit that changes a search text adds a segment to the index. Migration 0008 turned
    FTS5's automerge off, which merged them inside whichever write came next (a commit now and
    then took tens of milliseconds longer); `flask periodic` merges them here instead, each step
    a short transaction of its own, so that writers wait for one step at most. A step merges a
    level with at least four segments (FTS5's `usermerge`); should writes outpace this, FTS5
    still merges a level that reaches 16 segments (`crisismerge`) during a write, which then
    merges only those small segments. Searches stay right with any number of segments; each
    one is a little more to read until merged. PostgreSQL: nothing to do."""
    if not tx.is_sqlite():
        return 0
    merged = 0
    for fts in _FTS.values():
        for _ in range(steps):
            with tx.immediate():
                before = db.session.scalar(sa.text("SELECT total_changes()"))
                db.session.execute(sa.text(f"INSERT INTO {fts.name}({fts.name}, rank) VALUES ('merge', :pages)"),
                                   {"pages": pages})
                # the INSERT itself is one change; FTS5 counts its writes as more (its documentation)
                worked = db.session.scalar(sa.text("SELECT total_changes()")) - before > 1
                db.session.commit()
            if not worked:
                break
            merged += 1
    return merged


def outside_the_models(name: str | None, type_: str, _parent_names=None) -> bool:
    """For Alembic's `include_name`: False for the search index's own tables and indexes (FTS5
    tables, pg_trgm indexes), which the migration creates and the models do not describe."""
    if type_ == "table" and name and name.startswith(("order_search", "customer_search")):
        return False
    return not (type_ == "index" and name and name.endswith("_search_text_trgm"))


# --- counting and suggesting -------------------------------------------------------------------

#: above this many matches a count says "more than …" instead of reading every match
COUNT_CAP = paging.COUNT_CAP
SUGGESTIONS = 3
#: rows looked at for suggestions: enough to find a misspelt name, few enough to stay instant
SUGGESTION_CANDIDATES = 200
#: how alike a name must be to be suggested (see similarity)
MIN_SIMILARITY = 0.7
#: how many of the typed word's trigrams a candidate shares, on PostgreSQL (pg_trgm's word_similarity)
MIN_WORD_SIMILARITY = 0.3


def capped_count(stmt: sa.Select, cap: int = COUNT_CAP) -> int:
    """The number of rows of `stmt`, but never more than cap + 1: the count reads at most
    cap + 1 matches, so a search matching half the table costs no full count."""
    return paging.capped_count(stmt, cap)


def similarity(typed: str, name: str) -> float:
    """How alike a name is to what was typed, 0 to 1: each typed word against the name's most
    alike word (difflib's ratio, which forgives swapped letters: "oztruk" ~ "ozturk"), averaged;
    words in any order, and a name's extra words ("Ayşe" in "Ayşe Öztürk") cost nothing."""
    typed_words, name_words = normalise(typed).split(), normalise(name).split()
    if not typed_words or not name_words:
        return 0.0
    best = [max(SequenceMatcher(None, t, n).ratio() for n in name_words) for t in typed_words]
    return sum(best) / len(best)


def looks_like_a_name(text: str) -> bool:
    """Only names get suggestions: no codes, emails or phone numbers."""
    return (any(c.isalpha() for c in text) and "@" not in text
            and not any(c.isdigit() for c in text) and len(normalise(text).strip()) >= MIN_INDEXED)


def suggest_names(model, text: str, scope: ColumnElement, limit: int = SUGGESTIONS) -> list[str]:
    """Up to `limit` names of orders or customers (`model`) within `scope` (the same event or
    organizer condition the search used) that look like `text`, most alike first: for
    "Did you mean …?" when a name search found nothing. Candidates are picked through the index
    (a bounded number of rows sharing trigrams with the text), then ranked here: by similarity,
    then by trigram similarity (as PostgreSQL's similarity())."""
    if not looks_like_a_name(text):
        return []
    key = normalise(text).strip()
    for ids in _candidate_ids(model, key, scope):
        ranked: dict[str, tuple[float, float]] = {}
        for name in _names_of(model, ids):
            if name and name.strip() and name not in ranked:
                ranked[name] = (similarity(key, name), trigram_similarity(key, name))
        alike = sorted((n for n, s in ranked.items() if s[0] >= MIN_SIMILARITY),
                       key=lambda n: (-ranked[n][0], -ranked[n][1], n))
        if alike:
            return alike[:limit]
    return []


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: of each word padded with two spaces before and one after."""
    return {f"  {w} "[i:i + 3] for w in normalise(text).split() for i in range(len(w) + 1)}


def trigram_similarity(typed: str, name: str) -> float:
    """Shared trigrams over all trigrams of both, 0 to 1, as PostgreSQL's similarity()."""
    a, b = _trigrams(typed), _trigrams(name)
    return len(a & b) / len(a | b) if a and b else 0.0


def _candidate_ids(model, key: str, scope: ColumnElement) -> Iterator[list[int]]:
    """Candidate rows, in rounds: the next round is asked for only when a round has no name
    alike enough."""
    words = [w for w in key.split() if len(w) >= MIN_INDEXED]
    if not words:
        return
    stmt = select(model.id).where(scope)
    if not tx.is_sqlite():
        # `<%`: a word of the text alike enough to the typed words; served by the GIN index.
        # The threshold is lowered (the default 0.6 misses "öztrük") for the connection, not the
        # transaction: reading pages run without one (read_only.py). Nothing else uses it.
        # The most alike first (pg_trgm's word_similarity), computed for those rows only.
        db.session.execute(sa.text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, false)"),
                           {"t": str(MIN_WORD_SIMILARITY)})
        yield list(db.session.scalars(
            stmt.where(sa.literal(key).op("<%")(model.search_text))
            .order_by(sa.func.word_similarity(key, model.search_text).desc(), model.id)
            .limit(SUGGESTION_CANDIDATES)))
        return
    # FTS5 cannot rank by shared trigrams without reading every row that has one of them (half
    # a second at a million orders for "sch"), so the rounds go from specific to loose: rows
    # sharing two trigrams of a word ("schmitd" finds "schmidt" by "sch" and "chm"), then rows
    # sharing any one ("oztruk" shares only "ozt" with "ozturk").
    quoted = ['"' + g.replace('"', '""') + '"' for g in
              sorted({w[i:i + 3] for w in words for i in range(len(w) - 2)})]
    pairs = [f"({a} AND {b})" for i, a in enumerate(quoted) for b in quoted[i + 1:]]
    fts = _FTS[model.__tablename__]
    for query in ([" OR ".join(pairs)] if pairs else []) + [" OR ".join(quoted)]:
        # a join, not `IN (…)`: the index drives the scan and the LIMIT stops it early, instead
        # of first collecting every row that shares one common trigram
        yield list(db.session.scalars(stmt.join(fts, fts.c.rowid == model.id)
                                      .where(fts.c.search_text.op("MATCH")(query))
                                      .limit(SUGGESTION_CANDIDATES)))


def _names_of(model, ids: list[int]) -> list[str | None]:
    session = db.session
    if model is Customer:
        return list(session.scalars(select(Customer.name_cached).where(Customer.id.in_(ids))))
    names = list(session.scalars(select(InvoiceAddress.name_cached).where(InvoiceAddress.order_id.in_(ids))))
    names += session.scalars(select(OrderPosition.attendee_name_cached).where(OrderPosition.order_id.in_(ids)))
    names += session.scalars(select(Customer.name_cached).join(Order, Order.customer_id == Customer.id)
                             .where(Order.id.in_(ids)))
    return names
