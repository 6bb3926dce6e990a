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

import sqlalchemy as sa
from sqlalchemy import event, false, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ..extensions import db
from . import tx
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
_FTS = {"order": sa.table("order_search", sa.column("rowid"), sa.column("search_text")),
        "customer": sa.table("customer_search", sa.column("rowid"), sa.column("search_text"))}


def normalise(text: str) -> str:
    """'Straße Böhm Łukasz' -> 'strasse bohm lukasz': case folded, marks and strokes removed."""
    folded = unicodedata.normalize("NFKD", text.replace("\x00", "").casefold().translate(_STROKES))
    return unicodedata.normalize("NFC", "".join(c for c in folded if not unicodedata.combining(c)))


def _spellings(value: str | None) -> list[str]:
    if not value:
        return []
    plain = normalise(value)
    spelt_out = normalise(unicodedata.normalize("NFC", value.casefold()).translate(_UMLAUTS))
    return [plain] if spelt_out == plain else [plain, spelt_out]


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
        fts = _FTS[model.__tablename__]
        phrase = '"' + key.replace('"', '""') + '"'
        return model.id.in_(select(fts.c.rowid).where(fts.c.search_text.op("MATCH")(phrase)))
    return model.search_text.like(f"%{like_escape(key)}%", escape="\\")


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
        for order in orders:
            if order not in session.deleted:
                order.search_text = order_text(order, removed)


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


def outside_the_models(name: str | None, type_: str, _parent_names=None) -> bool:
    """For Alembic's `include_name`: False for the search index's own tables and indexes (FTS5
    tables, pg_trgm indexes), which the migration creates and the models do not describe."""
    if type_ == "table" and name and name.startswith(("order_search", "customer_search")):
        return False
    return not (type_ == "index" and name and name.endswith("_search_text_trgm"))


# --- counting and suggesting -------------------------------------------------------------------

#: above this many matches a count says "more than …" instead of reading every match
COUNT_CAP = 1000
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
    limited = stmt.order_by(None).limit(cap + 1).subquery()
    return db.session.scalar(select(sa.func.count()).select_from(limited)) or 0


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
    (a bounded number of rows sharing trigrams with the text), then ranked here by similarity."""
    if not looks_like_a_name(text):
        return []
    key = normalise(text).strip()
    ids = _candidate_ids(model, key, scope)
    if not ids:
        return []
    ranked: dict[str, float] = {}
    for name in _names_of(model, ids):
        if name and name.strip() and name not in ranked:
            ranked[name] = similarity(key, name)
    alike = sorted((n for n, s in ranked.items() if s >= MIN_SIMILARITY), key=lambda n: (-ranked[n], n))
    return alike[:limit]


def _candidate_ids(model, key: str, scope: ColumnElement) -> list[int]:
    words = [w for w in key.split() if len(w) >= MIN_INDEXED]
    if not words:
        return []
    stmt = select(model.id).where(scope)
    if tx.is_sqlite():
        grams = sorted({w[i:i + 3] for w in words for i in range(len(w) - 2)})
        query = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
        fts = _FTS[model.__tablename__]
        # a join, not `IN (…)`: the index drives the scan and the LIMIT stops it early, instead of
        # first collecting every row that shares one common trigram
        stmt = stmt.join(fts, fts.c.rowid == model.id).where(fts.c.search_text.op("MATCH")(query))
    else:
        # `<%`: a word of the text alike enough to the typed words; served by the GIN index.
        # The threshold is lowered for this transaction only (the default 0.6 misses "öztrük").
        db.session.execute(sa.text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
                             {"t": str(MIN_WORD_SIMILARITY)})
        stmt = stmt.where(sa.literal(key).op("<%")(model.search_text))
    return list(db.session.scalars(stmt.limit(SUGGESTION_CANDIDATES)))


def _names_of(model, ids: list[int]) -> list[str | None]:
    session = db.session
    if model is Customer:
        return list(session.scalars(select(Customer.name_cached).where(Customer.id.in_(ids))))
    names = list(session.scalars(select(InvoiceAddress.name_cached).where(InvoiceAddress.order_id.in_(ids))))
    names += session.scalars(select(OrderPosition.attendee_name_cached).where(OrderPosition.order_id.in_(ids)))
    names += session.scalars(select(Customer.name_cached).join(Order, Order.customer_id == Customer.id)
                             .where(Order.id.in_(ids)))
    return names
