"""Deterministic, realistic demo data: one organizer, two events, customers and orders in every state.

`generate()` writes through bulk Core inserts with ids it assigns itself (max(id)+1 per table), so
that children can point at their parents without a round trip and 100,000 orders load in
well under three minutes. Core inserts bypass the ORM's flush hook, which is wanted here:
every row is given its `last_modified` explicitly. Quota and seat usage is tracked in memory
while generating, so no quota is oversold and no seat is held twice. From PARALLEL_FROM orders
on, a forked process generates the rows while this one writes them (same data either way).

Everything is derived from `random.Random(seed)` and from the `REFERENCE` moment (the demo's
"now": the minute the data is loaded, or noon UTC of DEMO_REFERENCE_DATE=YYYY-MM-DD when that
lies in the past), so the same seed and a past reference date on an empty database give the
same data, a demo loaded on any day has open orders and coming dates, and nothing in it
happened later than the moment it was loaded.

Running it where the demo organizer (slug "demo") exists already raises `DemoDataExists`
(a `click.ClickException`) and writes nothing; `flask demo-data --if-empty` avoids that.
"""
from __future__ import annotations

import multiprocessing
import os
import random
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property, partial
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

import click
from sqlalchemy import Table, bindparam, func, insert, select, text, update

from .domain import search_index, staff
from .domain.codes import (CODE_ALPHABET, CUSTOMER_IDENTIFIER_LENGTH, ORDER_CODE_LENGTH,
                           ORDER_SECRET_LENGTH, POSITION_SECRET_LENGTH, PSEUDONYMIZATION_ID_LENGTH,
                           SECRET_ALPHABET)
from .domain.models import (Answer, BlockedSecret, Checkin, CheckinList, Customer, CustomerTag,
                            Event, Invoice, InvoiceAddress, InvoiceLine, Item, ItemVariation, Order, OrderFee,
                            OrderPayment, OrderPosition, OrderRefund, OrderStatus, Organizer,
                            Question, QuestionOption, Quota, Seat, SubEvent, TaxRule, Team, User,
                            Voucher, answer_option, question_item, quota_item, quota_variation)
from .domain.contact import country_name
from .domain.names import derive_name
from .extensions import db

DEMO_ADMIN_EMAIL = "admin@example.org"
DEMO_ADMIN_PASSWORD = "demo-admin"
DEMO_VIEWER_EMAIL = "viewer@example.org"
DEMO_ORGANIZER_SLUG = "demo"
DEMO_ORGANIZER_NAME = "Demo Events GmbH"



def reference_moment(now: datetime | None = None) -> datetime:
    """The demo's "now": noon UTC of DEMO_REFERENCE_DATE, or the minute the data is loaded.

    Never later than `now` (the clock): everything that happened in the demo (orders, payments,
    check-ins, changes) lies before it, so a demo loaded at 01:46 shows nothing created at 11:53.
    """
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(second=0, microsecond=0)
    day = os.environ.get("DEMO_REFERENCE_DATE")
    if not day:
        return now
    base = date.fromisoformat(day)
    return min(datetime(base.year, base.month, base.day, 12, 0, tzinfo=timezone.utc), now)


#: The demo's "now": orders lie before it, some tour dates and the concert after it.
#: generate() sets it again for the moment it runs.
REFERENCE = reference_moment()

BATCH_ROWS = 5000          # rows per INSERT executemany
ORDERS_PER_FLUSH = 2500    # orders kept in memory before they are written
PROGRESS_EVERY = 10_000
LOAD_CACHE_KIB = 512 * 1024  # SQLite page cache while loading (see _big_cache)
PARALLEL_FROM = 20_000     # orders from which generate() works in two processes

# What happened to an order (percent); each maps to a status and a money story, see
# OrderMaker.settle. Orders that find their date sold out become "expired" on top of these.
KIND_WEIGHTS = {"paid": 65, "pending": 9, "approval": 2, "expired": 7, "canceled": 9, "fee_paid": 2.2,
                "fee_pending": 0.8, "denied": 2, "test": 3}
COUNTING_KINDS = {"paid", "pending", "approval", "test"}   # tickets count against quotas and seats
FUTURE_KINDS = {"pending", "approval", "fee_pending", "test"}  # still open: the date must lie ahead
SERIES_SHARE = 0.62
# Main tickets per order (add-ons come on top, at most four positions in all).
MAIN_COUNTS = (1, 2, 3, 4)
MAIN_CUM_WEIGHTS = (28, 63, 83, 100)
MEAN_MAINS = 2.26

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


class DemoDataExists(click.ClickException):
    """The demo organizer exists already; nothing was written."""


# --------------------------------------------------------------------------------------------
# Bulk writing
# --------------------------------------------------------------------------------------------

class Writer:
    """Buffers rows per table and writes them in dependency order with explicit ids."""

    def __init__(self) -> None:
        self.next_ids: dict[str, int] = {}
        #: the next id each table had when first read
        self.first_ids: dict[str, int] = {}
        self.buffers: dict[Table, list[dict]] = defaultdict(list)
        #: where flush() hands its rows: the database here, or a pipe in a generating process
        self.write: Callable[[list[tuple[Table, list[dict]]]], None] = Store().write

    def new_id(self, table: Table) -> int:
        if table.name not in self.next_ids:
            self._read_next_id(table)
        value = self.next_ids[table.name]
        self.next_ids[table.name] = value + 1
        return value

    def read_all_ids(self) -> None:
        """Read the next id of every table now, so that new_id() never needs the database."""
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.name not in self.next_ids:
                self._read_next_id(table)

    def _read_next_id(self, table: Table) -> None:
        value = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        self.next_ids[table.name] = self.first_ids[table.name] = value

    def add(self, table: Table, row: dict) -> None:
        self.buffers[table].append(row)

    def flush(self) -> None:
        # sorted_tables puts parents before children, so foreign keys hold at every insert
        batch = [(table, self.buffers.pop(table)) for table in db.metadata.sorted_tables if self.buffers.get(table)]
        if batch:
            self.write(batch)

    def reset_sequences(self) -> None:
        """PostgreSQL: move each serial past the ids given explicitly, so later inserts work."""
        if db.session.get_bind().dialect.name != "postgresql":
            return
        for name in [name for name, value in self.next_ids.items() if value > self.first_ids[name]]:
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT MAX(id) FROM \"{name}\"))"))


class Store:
    """Writes the rows a Writer flushes, with the search texts they need."""

    def __init__(self) -> None:
        self.customer_names: dict[int, str | None] = {}

    def write(self, batch: list[tuple[Table, list[dict]]]) -> None:
        rows_of = dict(batch)
        self.add_search_texts(rows_of)
        for table, rows in batch:
            _insert(table, rows)

    def add_search_texts(self, rows_of: dict[Table, list[dict]]) -> None:
        """The search index's text of the customers and orders, as the flush hook of
        search_index computes it for ORM writes (these bulk inserts bypass it). An order's
        positions and invoice address come in the same batch as the order."""
        for row in rows_of.get(Customer.__table__, []):
            self.customer_names[row["id"]] = row["name_cached"]
            row["search_text"] = search_index.build_text([row["name_cached"], row["email"], row["company"]],
                                                         [row["phone"]])
        parts: dict[int, list] = defaultdict(list)
        for row in rows_of.get(InvoiceAddress.__table__, []):
            parts[row["order_id"]] += [row["name_cached"], row["company"]]
        for row in rows_of.get(OrderPosition.__table__, []):
            parts[row["order_id"]] += [row["attendee_name_cached"], row["attendee_email"]]
        for row in rows_of.get(Order.__table__, []):
            values = [row["email"], *parts[row["id"]], self.customer_names.get(row["customer_id"])]
            row["search_text"] = search_index.build_text(values, [row["phone"]])


def _insert(table: Table, rows: list[dict]) -> None:
    # One executemany needs one set of keys; rows that leave a column out (so that it is SQL
    # NULL rather than JSON null) start a new statement. Runs keep the rows' order, because a
    # row may refer to an earlier one (an add-on to its main position).
    run: list[dict] = []
    for row in rows:
        if run and (len(run) >= BATCH_ROWS or row.keys() != run[0].keys()):
            _execute(table, run)
            run = []
        run.append(row)
    if run:
        _execute(table, run)


#: (table, keys) -> (SQL, [(key, bind processor)]) for SQLite's fast path
_PREPARED: dict[tuple[str, tuple[str, ...]], tuple[str, list] | None] = {}


def _execute(table: Table, rows: list[dict]) -> None:
    """An INSERT of rows with the same keys. On SQLite the statement is compiled once and the
    rows go to the driver's executemany after the columns' own bind processors (the very
    conversions SQLAlchemy applies), which halves the time of a big load; tables whose rows
    leave out a column with a Python-side default take SQLAlchemy's path, which fills it in."""
    connection = db.session.connection()
    keys = tuple(rows[0])
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return
    prepared = _PREPARED.get((table.name, keys), False)
    if prepared is False:
        prepared = _prepare(table, keys, connection.dialect)
        _PREPARED[(table.name, keys)] = prepared
    if prepared is None:
        connection.execute(insert(table), rows)
        return
    sql, converters = prepared
    params = [tuple(row[k] if convert is None else convert(row[k]) for k, convert in converters) for row in rows]
    connection.exec_driver_sql(sql, params)


def _prepare(table: Table, keys: tuple[str, ...], dialect) -> tuple[str, list] | None:
    columns = [table.c[k] for k in keys]
    if any(c.default is not None for c in table.c if c.key not in keys):
        return None
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    sql = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({', '.join('?' * len(keys))})"
    return sql, [(c.key, c.type._cached_bind_processor(dialect)) for c in columns]


# --------------------------------------------------------------------------------------------
# Random but plausible people, places and codes
# --------------------------------------------------------------------------------------------

GIVEN_DE = ["Jürgen", "Jörg", "Günther", "Sören", "Björn", "Anna", "Lena", "Lukas", "Maximilian",
            "Sophie", "Marie", "Jonas", "Felix", "Käthe", "Hannah", "Leonie", "Mia", "Emma", "Paul",
            "Ben", "Finn", "Zoë", "Matthias", "Sabine", "Ute", "Dörte", "Klaus", "Heike", "Tobias",
            "Franziska", "Niklas", "Julia", "Moritz", "Greta", "Stefan", "Özlem", "Mehmet", "Ayşe"]
GIVEN_EN = ["Oliver", "Amelia", "George", "Isla", "Harry", "Olivia", "Jack", "Emily", "Noah",
            "Charlotte", "James", "Sophia", "William", "Grace", "Thomas", "Chloé", "Daniel", "Ella",
            "Samuel", "Freya", "Henry", "Poppy", "Arthur", "Evie", "Renée", "Siobhan", "Liam"]
FAMILY_DE = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
             "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
             "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann",
             "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Jäger", "Böhm", "Groß", "Yılmaz",
             "Öztürk", "Weiß", "Fuchs", "Vogel", "Engel", "Sommer", "von Arnim"]
FAMILY_EN = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
             "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
             "Hall", "Wood", "Jackson", "Clarke", "O'Brien", "McDonald", "Patel", "Khan"]

STREETS_DE = ["Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Goethestraße",
              "Lindenallee", "Am Marktplatz", "Kirchweg", "Müllerstraße", "Friedrichstraße",
              "Schloßallee", "Rosenweg", "Bergstraße", "Kastanienallee"]
STREETS_EN = ["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue",
              "Queen's Road", "Mill Lane", "King Street", "Green Lane"]
PLACES = {  # country: [(postal code, city)]
    "DE": [("10115", "Berlin"), ("10243", "Berlin"), ("80331", "München"), ("50667", "Köln"),
           ("20095", "Hamburg"), ("04109", "Leipzig"), ("60311", "Frankfurt am Main"),
           ("70173", "Stuttgart"), ("01067", "Dresden"), ("90402", "Nürnberg"), ("28195", "Bremen"),
           ("48143", "Münster"), ("79098", "Freiburg im Breisgau"), ("97070", "Würzburg")],
    "AT": [("1010", "Wien"), ("8010", "Graz"), ("5020", "Salzburg"), ("6020", "Innsbruck")],
    "CH": [("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("1204", "Genève")],
    "GB": [("SW1A 1AA", "London"), ("E1 6AN", "London"), ("M1 1AE", "Manchester"),
           ("EH1 1YZ", "Edinburgh"), ("B1 1BB", "Birmingham"), ("BS1 4DJ", "Bristol"),
           ("LS1 4AP", "Leeds")],
}
COUNTRIES = ["DE", "GB", "AT", "CH"]
COUNTRY_CUM_WEIGHTS = [60, 80, 90, 100]
PHONE_PREFIXES = {  # plausible mobile ranges, followed by `digits` digits
    "DE": (["+49151", "+49152", "+49160", "+49170", "+49171", "+49176"], 8),
    "AT": (["+43664", "+43676", "+43699"], 7),
    "CH": (["+4176", "+4178", "+4179"], 7),
    "GB": (["+447400", "+447712", "+447800"], 6),
}
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "post.example.org"]
COMPANIES = ["Müller & Söhne GmbH", "Schneider Consulting", "Nordlicht Media GmbH", "Brightside Ltd",
             "Alpenblick AG", "Weber Bau KG", "Greenleaf Partners LLP", "Stadtwerke Beispielstadt",
             "Kaffeehaus Jäger", "Riverside Travel Ltd", "Fröhlich Reisen GmbH", "Bücherstube Koch",
             "Hotel Zur Post", "Thames Valley Schools Trust", "Grünwerk e.V."]
CUSTOMER_TAGS = ["vip", "press", "newsletter", "regular", "school", "partner", "staff", "wheelchair"]
CUSTOMER_NOTES = ["Prefers to be contacted by phone.", "Asked for an invoice in English.",
                  "Regular guest – group bookings for the office.", "Press contact, see mail of 3 March.",
                  "Moved to a new address in spring."]
ORDER_COMMENTS = ["Customer called about wheelchair access.", "Invoice to be sent to the accounts department.",
                  "Paid at the box office, receipt no. 4711.", "Gift for a colleague – please no prices on tickets.",
                  "Asked to move to a later date if possible."]
ASCII_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "ë": "e", "ı": "i",
                            "ş": "s", "'": "", " ": ""})


@dataclass(slots=True)
class Person:
    given: str
    family: str
    country: str
    locale: str

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def name_parts(self) -> dict:
        return {"_scheme": "full", "full_name": self.full_name}


class Fake:
    """Names, addresses, phones and codes drawn from one random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.email_bases: Counter[str] = Counter()

    def person(self) -> Person:
        rng = self.rng
        country = rng.choices(COUNTRIES, cum_weights=COUNTRY_CUM_WEIGHTS)[0]
        if country == "GB":
            return Person(rng.choice(GIVEN_EN), rng.choice(FAMILY_EN), country, "en")
        # a few English names and English speakers among the German-speaking countries
        given = rng.choice(GIVEN_EN) if rng.random() < 0.1 else rng.choice(GIVEN_DE)
        return Person(given, rng.choice(FAMILY_DE), country, "en" if rng.random() < 0.15 else "de")

    def email(self, person: Person, unique: bool = False) -> str:
        base = f"{person.given}.{person.family}".lower().translate(ASCII_FOLD)
        domain = self.rng.choice(EMAIL_DOMAINS)
        if unique:
            # counted per base and domain, lower-case: unique however the case is written
            key = f"{base}@{domain}"
            self.email_bases[key] += 1
            n = self.email_bases[key]
            local = base if n == 1 else f"{base}{n}"
        else:
            local = f"{base}{self.rng.randint(1, 99)}"
        email = f"{local}@{domain}"
        if self.rng.random() < 0.04:
            email = email.capitalize()  # people do type their address like this
        return email

    def phone(self, country: str) -> str:
        prefixes, digits = PHONE_PREFIXES[country]
        return self.rng.choice(prefixes) + "".join(self.rng.choices("0123456789", k=digits))

    def address(self, country: str) -> tuple[str, str, str]:
        """(street, postal code, city)"""
        rng = self.rng
        zipcode, city = rng.choice(PLACES[country])
        if country == "GB":
            return f"{rng.randint(1, 240)} {rng.choice(STREETS_EN)}", zipcode, city
        return f"{rng.choice(STREETS_DE)} {rng.randint(1, 140)}", zipcode, city

    def code(self, alphabet: str, length: int) -> str:
        return "".join(self.rng.choices(alphabet, k=length))

    def moment(self, lo: datetime, hi: datetime) -> datetime:
        """A time between lo and hi, to the second."""
        span = max((hi - lo).total_seconds(), 0)
        return (lo + timedelta(seconds=int(self.rng.random() * span))).replace(microsecond=0)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


_tax_cache: dict[tuple[Decimal, Decimal], Decimal] = {}


def tax_included(price: Decimal, rate: Decimal) -> Decimal:
    key = (price, rate)
    if key not in _tax_cache:
        _tax_cache[key] = (price * rate / (HUNDRED + rate)).quantize(CENT, ROUND_HALF_UP)
    return _tax_cache[key]


# --------------------------------------------------------------------------------------------
# Events and what they are configured with, kept in memory for the order generator
# --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class VariationPlan:
    id: int
    value: str
    price: Decimal


@dataclass(slots=True)
class ItemPlan:
    id: int
    name: str
    price: Decimal
    tax_rule_id: int
    tax_rate: Decimal
    admission: bool
    is_addon: bool = False
    requires_seat: bool = False
    variations: list[VariationPlan] = field(default_factory=list)
    variation_cum_weights: list[int] = field(default_factory=list)


@dataclass(slots=True)
class SubEventPlan:
    id: int | None
    start: datetime


@dataclass(slots=True)
class VoucherPlan:
    id: int
    max_usages: int
    item_id: int | None
    price_mode: str
    value: Decimal | None
    redeemed: int = 0


@dataclass(slots=True)
class QuestionPlan:
    id: int
    type: str
    item_ids: set[int]
    probability: float
    options: list[tuple[int, str]]
    texts: list[str] = field(default_factory=list)


@dataclass
class EventPlan:
    id: int
    name: str
    start: datetime
    sales_start: datetime
    dates: list[SubEventPlan]                 # one entry with id None for a single event
    date_cum_weights: list[float]
    main_items: list[ItemPlan]
    main_cum_weights: list[int]
    addons: list[tuple[ItemPlan, float]]      # add-on item, chance per main ticket
    quota_of: dict[tuple[int, int | None], int] = field(default_factory=dict)
    quota_left: dict[int, int | None] = field(default_factory=dict)
    free_seats: dict[str, list[int]] = field(default_factory=dict)   # zone -> seat ids
    zone_variation: dict[str, VariationPlan] = field(default_factory=dict)
    seat_zone: dict[int, str] = field(default_factory=dict)
    usable_seats: list[int] = field(default_factory=list)
    vouchers: list[VoucherPlan] = field(default_factory=list)
    questions: list[QuestionPlan] = field(default_factory=list)
    checkin_list_id: int = 0
    invoice_prefix: str = ""
    invoice_count: int = 0
    codes: set[str] = field(default_factory=set)

    @cached_property
    def future_dates(self) -> list[SubEventPlan]:
        return [d for d in self.dates if d.start > REFERENCE]


class Setup:
    """Writes the organizer's configuration and returns what the order generator needs."""

    def __init__(self, writer: Writer, fake: Fake, org_id: int) -> None:
        self.w = writer
        self.fake = fake
        self.rng = fake.rng
        self.org_id = org_id

    # -- small builders -----------------------------------------------------------------------

    def event(self, slug: str, name: str, start: datetime, end: datetime, location: str,
              has_subevents: bool) -> int:
        event_id = self.w.new_id(Event.__table__)
        self.w.add(Event.__table__, dict(
            id=event_id, organizer_id=self.org_id, slug=slug, name=name, currency="EUR",
            timezone="Europe/Berlin", testmode=False, has_subevents=has_subevents, date_from=start,
            date_to=end, location=location, ticket_download=True, ticket_download_pending=False,
            invoicing=True, payment_term_days=14,
            payment_providers=["manual", "banktransfer", "boxoffice", "free"],
            created=REFERENCE - timedelta(days=200)))
        return event_id

    def tax_rules(self, event_id: int) -> dict[str, tuple[int, Decimal]]:
        rules = {}
        for key, name, rate in (("standard", "VAT 19%", "19.00"), ("reduced", "VAT 7%", "7.00")):
            rule_id = self.w.new_id(TaxRule.__table__)
            self.w.add(TaxRule.__table__, dict(id=rule_id, event_id=event_id, name=name, rate=Decimal(rate),
                                               price_includes_tax=True))
            rules[key] = (rule_id, Decimal(rate))
        return rules

    def item(self, event_id: int, position: int, name: str, price: str, tax: tuple[int, Decimal], *,
             admission: bool = True, is_addon: bool = False, requires_seat: bool = False,
             variations: list[tuple[str, str | None, int]] = ()) -> ItemPlan:
        item_id = self.w.new_id(Item.__table__)
        self.w.add(Item.__table__, dict(
            id=item_id, event_id=event_id, name=name, default_price=Decimal(price), tax_rule_id=tax[0],
            admission=admission, requires_seat=requires_seat, is_addon=is_addon, active=True,
            position=position))
        plan = ItemPlan(item_id, name, Decimal(price), tax[0], tax[1], admission, is_addon, requires_seat)
        cumulative = 0
        for i, (value, vprice, weight) in enumerate(variations):
            var_id = self.w.new_id(ItemVariation.__table__)
            self.w.add(ItemVariation.__table__, dict(
                id=var_id, item_id=item_id, value=value,
                default_price=Decimal(vprice) if vprice is not None else None, active=True, position=i))
            plan.variations.append(VariationPlan(var_id, value, Decimal(vprice or price)))
            cumulative += weight
            plan.variation_cum_weights.append(cumulative)
        return plan

    def quota(self, plan: EventPlan, item: ItemPlan, size: int | None, name: str,
              subevent_id: int | None = None) -> None:
        quota_id = self.w.new_id(Quota.__table__)
        self.w.add(Quota.__table__, dict(id=quota_id, event_id=plan.id, subevent_id=subevent_id, name=name,
                                         size=size))
        self.w.add(quota_item, dict(quota_id=quota_id, item_id=item.id))
        # a quota counts variations only when they are listed, so list them all
        for variation in item.variations:
            self.w.add(quota_variation, dict(quota_id=quota_id, variation_id=variation.id))
        plan.quota_of[(item.id, subevent_id)] = quota_id
        plan.quota_left[quota_id] = size

    def question(self, plan: EventPlan, position: int, identifier: str, text_: str, type_: str,
                 items: list[ItemPlan], probability: float, options: list[str] = (),
                 texts: list[str] = (), required: bool = False) -> None:
        question_id = self.w.new_id(Question.__table__)
        self.w.add(Question.__table__, dict(id=question_id, event_id=plan.id, identifier=identifier,
                                            question=text_, type=type_, required=required, position=position))
        for item in items:
            self.w.add(question_item, dict(question_id=question_id, item_id=item.id))
        option_rows = []
        for i, answer in enumerate(options):
            option_id = self.w.new_id(QuestionOption.__table__)
            self.w.add(QuestionOption.__table__, dict(id=option_id, question_id=question_id,
                                                      identifier=f"{identifier}-{i + 1}", answer=answer,
                                                      position=i))
            option_rows.append((option_id, answer))
        plan.questions.append(QuestionPlan(question_id, type_, {i.id for i in items}, probability,
                                           option_rows, list(texts)))

    def vouchers(self, plan: EventPlan, count: int, items: list[ItemPlan]) -> None:
        rng = self.rng
        kinds = [("percent", "10.00"), ("percent", "25.00"), ("percent", "100.00"), ("subtract", "5.00"),
                 ("set", "10.00"), ("none", None)]
        comments = ["Press", "Partner contingent", "Staff", "Competition winner", "Newsletter campaign", None]
        seen: set[str] = set()
        for _ in range(count):
            code = self.fake.code(CODE_ALPHABET, 10)
            while code in seen:
                code = self.fake.code(CODE_ALPHABET, 10)
            seen.add(code)
            mode, value = rng.choice(kinds)
            max_usages = rng.choices((1, 5, 20, 100), cum_weights=(60, 80, 95, 100))[0]
            item = rng.choice(items) if rng.random() < 0.5 else None
            voucher_id = self.w.new_id(Voucher.__table__)
            self.w.add(Voucher.__table__, dict(
                id=voucher_id, event_id=plan.id, code=code, max_usages=max_usages, redeemed=0,
                valid_until=plan.start if rng.random() < 0.5 else None, item_id=item.id if item else None,
                variation_id=None, quota_id=None, subevent_id=None, price_mode=mode,
                value=Decimal(value) if value is not None else None, comment=rng.choice(comments)))
            plan.vouchers.append(VoucherPlan(voucher_id, max_usages, item.id if item else None, mode,
                                             Decimal(value) if value is not None else None))

    def checkin_list(self, plan: EventPlan, name: str) -> None:
        plan.checkin_list_id = self.w.new_id(CheckinList.__table__)
        self.w.add(CheckinList.__table__, dict(id=plan.checkin_list_id, event_id=plan.id, subevent_id=None,
                                               name=name, all_products=True, include_pending=False))

    # -- the two events -----------------------------------------------------------------------

    def walking_tours(self, expected_orders: int) -> EventPlan:
        """A series of Saturday tours, some already past (with check-ins), some still on sale."""
        rng = self.rng
        # Saturdays at 10:00 in Berlin, seven of them before the reference day
        saturday = REFERENCE.date() - timedelta(days=(REFERENCE.weekday() - 5) % 7)
        first = datetime(saturday.year, saturday.month, saturday.day, 8, 0, tzinfo=timezone.utc) - timedelta(weeks=6)
        starts = [first + timedelta(days=7 * k) for k in range(12)]
        event_id = self.event("walking-tours", "City Walking Tours", starts[0],
                              starts[-1] + timedelta(hours=3), "Berlin, meeting point Rotes Rathaus", True)
        taxes = self.tax_rules(event_id)
        tour = self.item(event_id, 0, "City walking tour", "18.00", taxes["reduced"],
                         variations=[("Adult", "18.00", 60), ("Reduced", "12.00", 25), ("Child", "8.00", 15)])
        family = self.item(event_id, 1, "Family ticket (2 adults, up to 3 children)", "42.00", taxes["reduced"])
        shirt = self.item(event_id, 2, "Tour T-shirt", "25.00", taxes["standard"], admission=False,
                          is_addon=True, variations=[(s, None, 1) for s in ("S", "M", "L", "XL")])
        guide = self.item(event_id, 3, "Audio guide", "4.50", taxes["standard"], admission=False, is_addon=True)

        dates = []
        weights = []
        for k, start in enumerate(starts):
            subevent_id = self.w.new_id(SubEvent.__table__)
            theme = ["Old Town", "Hidden Courtyards", "Street Art", "Cold War", "Food Markets",
                     "Architecture"][k % 6]
            self.w.add(SubEvent.__table__, dict(
                id=subevent_id, event_id=event_id, name=f"City Walking Tour: {theme}", date_from=start,
                date_to=start + timedelta(hours=3), active=True))
            dates.append(SubEventPlan(subevent_id, start))
            weights.append(rng.uniform(0.6, 1.4))
        plan = EventPlan(event_id, "City Walking Tours", starts[0], starts[0] - timedelta(days=75), dates,
                         _cumulative(weights), [tour, family], [90, 100], [(shirt, 0.12), (guide, 0.2)])

        # Sizes follow the expected demand; one popular date is deliberately tight and sells out.
        demand = _counting_orders_per_date(dates, weights, expected_orders)
        tight = max(range(len(dates)), key=lambda i: demand[i])
        for i, d in enumerate(dates):
            factor = 0.9 if i == tight else rng.uniform(1.1, 1.5)
            mains = demand[i] * MEAN_MAINS * factor
            label = d.start.strftime("%d %b")
            self.quota(plan, tour, max(10, round(mains * 0.9)), f"Tour {label}", d.id)
            self.quota(plan, family, max(4, round(mains * 0.1)), f"Family {label}", d.id)
            self.quota(plan, shirt, max(4, round(mains * 0.08)), f"T-shirts {label}", d.id)
            self.quota(plan, guide, None, f"Audio guides {label}", d.id)

        self.question(plan, 0, "language", "Tour language", "C", [tour, family], 1.0,
                      options=["English", "Deutsch"], required=True)
        self.question(plan, 1, "heard", "How did you hear about us?", "C", [tour, family], 0.4,
                      options=["Friends", "Social media", "Newspaper", "Hotel", "Other"])
        self.question(plan, 2, "interests", "Which future tours would interest you?", "M", [tour, family], 0.15,
                      options=["History", "Food", "Architecture", "Street art"])
        self.question(plan, 3, "access", "Accessibility needs", "T", [tour, family], 0.04,
                      texts=["Walking stick, please keep a slow pace.", "We come with a pram.",
                             "Wheelchair user – step-free route please.", "Hearing impaired, lip reading."])
        self.vouchers(plan, max(10, expected_orders // 150), [tour, family])
        self.checkin_list(plan, "Meeting point")
        plan.invoice_prefix = "TOUR"
        return plan

    def symphony_night(self, expected_orders: int) -> EventPlan:
        """A seated concert; the hall is sized to the demand so that it sells out almost fully."""
        rng = self.rng
        start = datetime.combine(REFERENCE.date() + timedelta(days=41), datetime.min.time(),
                                 tzinfo=timezone.utc).replace(hour=18, minute=30)
        event_id = self.event("symphony-night", "Symphony Night", start, start + timedelta(hours=2, minutes=30),
                              "Konzerthaus, Gendarmenmarkt", False)
        taxes = self.tax_rules(event_id)
        zones = [("Parkett", "Category A", "79.00", 50, 30), ("Rang", "Category B", "59.00", 30, 26),
                 ("Balkon", "Category C", "39.00", 20, 20)]
        ticket = self.item(event_id, 0, "Concert ticket", "59.00", taxes["reduced"], requires_seat=True,
                           variations=[(category, price, weight) for _, category, price, weight, _ in zones])
        booklet = self.item(event_id, 1, "Programme booklet", "6.00", taxes["reduced"], admission=False,
                            is_addon=True)
        reception = self.item(event_id, 2, "Champagne reception", "15.00", taxes["standard"], admission=False,
                              is_addon=True)
        plan = EventPlan(event_id, "Symphony Night", start, start - timedelta(days=150),
                         [SubEventPlan(None, start)], [1.0], [ticket], [100], [(booklet, 0.25), (reception, 0.1)])
        plan.zone_variation = {zone: variation for (zone, *_), variation in zip(zones, ticket.variations)}

        # a hall that is nearly sold out: a few late buyers find no seat left
        counting_share = sum(KIND_WEIGHTS[k] for k in COUNTING_KINDS) / sum(KIND_WEIGHTS.values())
        seats_needed = max(240, round(expected_orders * counting_share * MEAN_MAINS * 1.02))
        for (zone, _, _, weight, per_row), variation in zip(zones, ticket.variations):
            self.seats(plan, zone, round(seats_needed * weight / 100), per_row)
        self.quota(plan, ticket, len(plan.usable_seats), "Concert tickets")
        self.quota(plan, booklet, None, "Programme booklets")
        self.quota(plan, reception, max(20, round(expected_orders * 0.08)), "Champagne reception")

        self.question(plan, 0, "wheelchair", "Do you need a wheelchair space?", "B", [ticket], 1.0, required=True)
        self.question(plan, 1, "diet", "Dietary requirements for the reception", "S", [ticket], 0.06,
                      texts=["vegetarian", "vegan", "no alcohol", "gluten free", "lactose free"])
        self.vouchers(plan, max(10, expected_orders // 150), [ticket])
        self.checkin_list(plan, "Main entrance")
        plan.invoice_prefix = "SYM"
        for zone_seats in plan.free_seats.values():
            rng.shuffle(zone_seats)
        return plan

    def seats(self, plan: EventPlan, zone: str, count: int, per_row: int) -> None:
        plan.free_seats[zone] = []
        for n in range(max(count, per_row)):
            row, number = n // per_row + 1, n % per_row + 1
            seat_id = self.w.new_id(Seat.__table__)
            # a few seats are kept for technicians and never sold
            blocked = row == 1 and number in (1, per_row)
            self.w.add(Seat.__table__, dict(
                id=seat_id, event_id=plan.id, subevent_id=None, seat_guid=f"{zone.lower()}-{row}-{number}",
                name=f"{zone}, row {row}, seat {number}", zone_name=zone, row_name=str(row),
                row_label=f"Row {row}", seat_number=str(number), seat_label=f"Seat {number}", blocked=blocked))
            plan.seat_zone[seat_id] = zone
            if not blocked:
                plan.free_seats[zone].append(seat_id)
                plan.usable_seats.append(seat_id)


def _counting_orders_per_date(dates: list[SubEventPlan], weights: list[float], orders: int) -> list[float]:
    """Orders expected to hold tickets per date: paid ones by popularity, open ones on future dates."""
    total = sum(KIND_WEIGHTS.values())
    paid_share = KIND_WEIGHTS["paid"] / total
    open_share = sum(KIND_WEIGHTS[k] for k in COUNTING_KINDS & FUTURE_KINDS) / total
    future = sum(1 for d in dates if d.start > REFERENCE)
    return [orders * (paid_share * w / sum(weights) + (open_share / future if d.start > REFERENCE else 0))
            for d, w in zip(dates, weights)]


def _cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for w in weights:
        total += w
        result.append(total)
    return result


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class CustomerRef:
    id: int
    person: Person
    email: str
    phone: str | None
    street: str | None
    zipcode: str | None
    city: str | None
    company: str | None


def create_customers(w: Writer, fake: Fake, org_id: int, count: int,
                     progress: Callable[[str], None]) -> list[CustomerRef]:
    """Customers that can be linked to orders (not the anonymized ones) are returned."""
    rng = fake.rng
    identifiers: set[str] = set()
    linkable = []
    for n in range(count):
        customer_id = w.new_id(Customer.__table__)
        identifier = fake.code(CODE_ALPHABET, CUSTOMER_IDENTIFIER_LENGTH)
        while identifier in identifiers:
            identifier = fake.code(CODE_ALPHABET, CUSTOMER_IDENTIFIER_LENGTH)
        identifiers.add(identifier)
        joined = fake.moment(REFERENCE - timedelta(days=3 * 365), REFERENCE - timedelta(days=1))
        if rng.random() < 0.005:
            w.add(Customer.__table__, _anonymized_customer(customer_id, org_id, identifier, joined, fake))
            continue
        ref = _customer_row(w, fake, org_id, customer_id, identifier, joined)
        linkable.append(ref)
        if (n + 1) % 5000 == 0:
            w.flush()
    w.flush()
    if count:
        progress(f"Demo data: {count:,} customers.")
    return linkable


def _customer_row(w: Writer, fake: Fake, org_id: int, customer_id: int, identifier: str,
                  joined: datetime) -> CustomerRef:
    rng = fake.rng
    person = fake.person()
    email = fake.email(person, unique=True)
    phone = fake.phone(person.country) if rng.random() < 0.7 else None
    street, zipcode, city = fake.address(person.country) if rng.random() < 0.6 else (None, None, None)
    company = rng.choice(COMPANIES) if rng.random() < 0.2 else None
    last_login = fake.moment(joined, REFERENCE) if rng.random() < 0.6 else None
    consent, opted_in, opted_out = _consent(fake, joined)
    touched = max(t for t in (joined, last_login, opted_in, opted_out) if t is not None)
    w.add(Customer.__table__, dict(
        id=customer_id, organizer_id=org_id, identifier=identifier,
        external_identifier=f"CRM-{customer_id:06d}" if rng.random() < 0.1 else None,
        email=email, phone=phone, name_parts=person.name_parts, name_cached=derive_name(person.name_parts),
        is_active=rng.random() < 0.95, is_verified=rng.random() < 0.7, last_login=last_login,
        date_joined=joined, locale=person.locale, last_modified=touched,
        notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.05 else None,
        company=company, street=street, address_line2="c/o Reception" if street and rng.random() < 0.03 else None,
        zipcode=zipcode, city=city, state=None, country=person.country if street else None,
        date_of_birth=_birthday(rng) if rng.random() < 0.7 else None,
        marketing_consent=consent, marketing_opted_in_at=opted_in, marketing_opted_out_at=opted_out,
        anonymized_at=None))
    for tag in rng.sample(CUSTOMER_TAGS, rng.choices((0, 1, 2, 3), cum_weights=(45, 80, 95, 100))[0]):
        w.add(CustomerTag.__table__, dict(id=w.new_id(CustomerTag.__table__), organizer_id=org_id,
                                          customer_id=customer_id, name=tag))
    return CustomerRef(customer_id, person, email, phone, street, zipcode, city, company)


def _anonymized_customer(customer_id: int, org_id: int, identifier: str, joined: datetime, fake: Fake) -> dict:
    erased = fake.moment(joined, REFERENCE)
    return dict(
        id=customer_id, organizer_id=org_id, identifier=identifier, external_identifier=None, email=None,
        phone=None, name_parts={"_scheme": "full"}, name_cached=None, is_active=False, is_verified=False,
        last_login=None, date_joined=joined, locale="en", last_modified=erased, notes=None, company=None,
        street=None, address_line2=None, zipcode=None, city=None, state=None, country=None,
        date_of_birth=None, marketing_consent=None, marketing_opted_in_at=None, marketing_opted_out_at=None,
        anonymized_at=erased)


def _consent(fake: Fake, joined: datetime) -> tuple[bool | None, datetime | None, datetime | None]:
    roll = fake.rng.random()
    if roll < 0.4:
        return None, None, None
    opted_in = fake.moment(joined, REFERENCE)
    if roll < 0.8:
        return True, opted_in, None
    return False, opted_in, fake.moment(opted_in, REFERENCE)


def _birthday(rng: random.Random) -> date:
    return date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 66))


# --------------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------------

KINDS = list(KIND_WEIGHTS)
KIND_CUM_WEIGHTS = _cumulative(list(KIND_WEIGHTS.values()))


@dataclass(slots=True)
class Line:
    """One position being planned."""
    item: ItemPlan
    variation: VariationPlan | None
    addon_to: int | None = None        # index of the main line in the same order
    seat_id: int | None = None
    voucher: VoucherPlan | None = None
    price: Decimal = ZERO
    canceled: bool = False
    blocked: bool = False


@dataclass(slots=True)
class Draft:
    """An order before its story is told: tickets, fees, the amount and its time frame."""
    lines: list[Line]
    fees: list[dict]
    total: Decimal            # of the tickets and fees as ordered
    provider: str
    created: datetime
    latest: datetime          # nothing happens after the demo's today or the date itself
    deadline: datetime
    paid_at: datetime         # when it was paid, if it was


@dataclass(slots=True)
class Outcome:
    """What happened to an order: its status, total, and the payments and refunds behind them."""
    status: str
    total: Decimal
    expires: datetime
    canceled_at: datetime | None = None
    payments: list[dict] = field(default_factory=list)
    refunds: list[tuple[int, dict]] = field(default_factory=list)  # (index of the payment, refund)
    times: list[datetime] = field(default_factory=list)            # changes after the order was placed

    def last_change(self, created: datetime) -> datetime:
        return max([created, *self.times] + ([self.canceled_at] if self.canceled_at else []))


class OrderMaker:
    def __init__(self, w: Writer, fake: Fake, plans: list[EventPlan], customers: list[CustomerRef]) -> None:
        self.w = w
        self.fake = fake
        self.rng = fake.rng
        self.series, self.seated = plans
        self.customers = customers

    # -- choosing ----------------------------------------------------------------------------

    def make(self) -> None:
        rng = self.rng
        kind = rng.choices(KINDS, cum_weights=KIND_CUM_WEIGHTS)[0]
        plan = self.series if rng.random() < SERIES_SHARE else self.seated
        if kind in FUTURE_KINDS:
            dates = plan.future_dates
            when = rng.choice(dates)
        else:
            dates = plan.dates
            when = rng.choices(dates, cum_weights=plan.date_cum_weights)[0]
        lines = self.lines(plan)
        if kind in COUNTING_KINDS:
            if len(lines) >= 2 and rng.random() < 0.05:
                lines[-1].canceled = True  # the last line is an add-on or a main after another main
            when = self.reserve(plan, when, lines, dates)
            if when is None:  # sold out: the buyer's order ran out of time instead
                kind = "expired"
                when = rng.choice(plan.dates)
        if plan is self.seated and kind not in COUNTING_KINDS:
            self.any_seats(plan, lines)
        self.price(plan, lines, kind in COUNTING_KINDS)
        self.write(plan, when, kind, lines)

    def lines(self, plan: EventPlan) -> list[Line]:
        rng = self.rng
        mains = rng.choices(MAIN_COUNTS, cum_weights=MAIN_CUM_WEIGHTS)[0]
        lines: list[Line] = []
        for i in range(mains):
            item = rng.choices(plan.main_items, cum_weights=plan.main_cum_weights)[0]
            main = len(lines)
            lines.append(Line(item, self.variation(item)))
            for addon, chance in plan.addons:
                # keep room for the mains still to come: at most four positions per order
                if len(lines) + mains - i - 1 < 4 and rng.random() < chance:
                    lines.append(Line(addon, self.variation(addon), addon_to=main))
        return lines

    def variation(self, item: ItemPlan) -> VariationPlan | None:
        if not item.variations:
            return None
        if item.variation_cum_weights:
            return self.rng.choices(item.variations, cum_weights=item.variation_cum_weights)[0]
        return self.rng.choice(item.variations)

    # -- quotas and seats ----------------------------------------------------------------------

    def reserve(self, plan: EventPlan, first: SubEventPlan, lines: list[Line],
                dates: list[SubEventPlan]) -> SubEventPlan | None:
        """Take quota (and seats) for the order's tickets; another date when the first is full."""
        mains = [l for l in lines if not l.item.is_addon and not l.canceled]
        if plan.usable_seats and not self.take_seats(plan, mains):
            return None
        candidates = [first] + [d for d in dates if d is not first]
        for when in candidates[:4]:
            if self.take(plan, Counter(l.item.id for l in mains), when.id):
                break
        else:
            self.release_seats(plan, mains)
            return None
        for line in list(lines):
            if line.item.is_addon and not line.canceled and not self.take(plan, Counter([line.item.id]), when.id):
                lines.remove(line)  # that add-on was sold out; the order goes without it
        return when

    def take(self, plan: EventPlan, needs: Counter, subevent_id: int | None) -> bool:
        quota_ids = [(plan.quota_of[(item_id, subevent_id)], n) for item_id, n in needs.items()]
        for quota_id, n in quota_ids:
            left = plan.quota_left[quota_id]
            if left is not None and left < n:
                return False
        for quota_id, n in quota_ids:
            if plan.quota_left[quota_id] is not None:
                plan.quota_left[quota_id] -= n
        return True

    def take_seats(self, plan: EventPlan, mains: list[Line]) -> bool:
        if sum(len(s) for s in plan.free_seats.values()) < len(mains):
            return False
        for line in mains:
            zone = self.zone_of(plan, line.variation)
            pool = plan.free_seats[zone] or next(s for s in plan.free_seats.values() if s)
            line.seat_id = pool.pop()
            line.variation = plan.zone_variation[plan.seat_zone[line.seat_id]]
        return True

    def release_seats(self, plan: EventPlan, mains: list[Line]) -> None:
        for line in mains:
            if line.seat_id is not None:
                plan.free_seats[plan.seat_zone[line.seat_id]].append(line.seat_id)
                line.seat_id = None

    def any_seats(self, plan: EventPlan, lines: list[Line]) -> None:
        """Tickets that do not count still had a seat once; it may be someone else's now."""
        for line in lines:
            if line.item.requires_seat and line.seat_id is None:
                line.seat_id = self.rng.choice(plan.usable_seats)
                line.variation = plan.zone_variation[plan.seat_zone[line.seat_id]]

    @staticmethod
    def zone_of(plan: EventPlan, variation: VariationPlan | None) -> str:
        for zone, v in plan.zone_variation.items():
            if v is variation:
                return zone
        return next(iter(plan.zone_variation))

    def canceled_seats(self, plan: EventPlan, lines: list[Line]) -> None:
        for line in lines:
            if line.canceled and line.item.requires_seat and line.seat_id is None:
                line.seat_id = self.rng.choice(plan.usable_seats)

    # -- prices ------------------------------------------------------------------------------

    def price(self, plan: EventPlan, lines: list[Line], counting: bool) -> None:
        self.canceled_seats(plan, lines)
        for line in lines:
            base = line.variation.price if line.variation is not None else line.item.price
            if counting and not line.canceled and not line.item.is_addon and self.rng.random() < 0.03:
                line.voucher = self.redeem(plan, line.item)
            line.price = _voucher_price(base, line.voucher) if line.voucher else base

    def redeem(self, plan: EventPlan, item: ItemPlan) -> VoucherPlan | None:
        if not plan.vouchers:
            return None
        index = self.rng.randrange(len(plan.vouchers))
        voucher = plan.vouchers[index]
        if voucher.item_id not in (None, item.id) or voucher.redeemed >= voucher.max_usages:
            return None
        voucher.redeemed += 1
        return voucher

    # -- writing one order ---------------------------------------------------------------------

    def write(self, plan: EventPlan, when: SubEventPlan, kind: str, lines: list[Line]) -> None:
        rng, fake, w = self.rng, self.fake, self.w
        order_id = w.new_id(Order.__table__)
        created = self.created(plan, when, kind)
        customer = None
        if self.customers and kind != "test" and rng.random() < 0.6:
            # regulars: a skewed pick makes some customers order again and again
            customer = self.customers[int(len(self.customers) * rng.random() ** 1.5)]
        buyer = customer.person if customer else fake.person()
        box_office = rng.random() < 0.08
        email = customer.email if customer else None
        if customer is None and not (box_office and rng.random() < 0.5):
            email = fake.email(buyer)
        phone = None
        if rng.random() < 0.3:
            phone = customer.phone if customer else fake.phone(buyer.country)

        draft = self.draft(when, kind, lines, created, box_office)
        outcome = self.settle(kind, draft)
        attention = rng.random() < 0.01
        followup = (REFERENCE + timedelta(days=rng.randint(1, 30))).date() if rng.random() < 0.01 else None
        w.add(Order.__table__, dict(
            id=order_id, event_id=plan.id, code=self.code(plan), status=outcome.status, testmode=kind == "test",
            secret=fake.code(SECRET_ALPHABET, ORDER_SECRET_LENGTH), email=email, phone=phone,
            customer_id=customer.id if customer else None, locale=buyer.locale,
            sales_channel="box_office" if box_office else "web", datetime=created, expires=outcome.expires,
            total=outcome.total, comment=rng.choice(ORDER_COMMENTS) if rng.random() < 0.03 else "", api_meta={},
            custom_followup_at=followup, checkin_attention=attention,
            checkin_text="VIP – please welcome personally." if attention else None,
            require_approval=kind in ("approval", "denied"), valid_if_pending=False,
            cancellation_date=outcome.canceled_at, last_modified=outcome.last_change(created)))
        paid = outcome.status == OrderStatus.PAID and kind != "test"
        self.positions(plan, when, order_id, lines, buyer, paid, outcome.last_change(created))
        self.money(order_id, draft.fees, outcome)
        if rng.random() < 0.55 or (customer and customer.company):
            recipient = self.invoice_address(order_id, buyer, customer, outcome.last_change(created))
            self.invoices(plan, order_id, kind, outcome, lines, draft.fees, recipient)

    def draft(self, when: SubEventPlan, kind: str, lines: list[Line], created: datetime,
              box_office: bool) -> Draft:
        rng = self.rng
        fees = self.fees(box_office)
        total = sum((l.price for l in lines if not l.canceled), ZERO) + sum((f["value"] for f in fees), ZERO)
        if total == ZERO:
            provider = "free"
        elif kind == "test" or rng.random() < 0.15:
            provider = "manual"
        else:
            provider = "boxoffice" if box_office else "banktransfer"
        latest = min(REFERENCE, when.start)
        deadline = created + timedelta(days=14)
        if kind in FUTURE_KINDS:
            deadline = min(deadline, when.start)
        paid_at = self.fake.moment(created, min(created + timedelta(days=4), latest))
        return Draft(lines, fees, total, provider, created, latest, deadline, paid_at)

    def money(self, order_id: int, fees: list[dict], outcome: Outcome) -> None:
        w = self.w
        for fee in fees:
            w.add(OrderFee.__table__, dict(id=w.new_id(OrderFee.__table__), order_id=order_id, **fee))
        payment_ids = []
        for local_id, payment in enumerate(outcome.payments, start=1):
            payment_ids.append(w.new_id(OrderPayment.__table__))
            w.add(OrderPayment.__table__, dict(id=payment_ids[-1], order_id=order_id, local_id=local_id, **payment))
        for local_id, (payment_index, refund) in enumerate(outcome.refunds, start=1):
            w.add(OrderRefund.__table__, dict(id=w.new_id(OrderRefund.__table__), order_id=order_id,
                                              local_id=local_id, payment_id=payment_ids[payment_index], **refund))

    def created(self, plan: EventPlan, when: SubEventPlan, kind: str) -> datetime:
        """When the order was placed: in the sales window, and fitting what happened to it."""
        lo = max(plan.sales_start, when.start - timedelta(days=75))
        hi = min(when.start - timedelta(hours=2), REFERENCE - timedelta(minutes=30))
        if kind in FUTURE_KINDS:
            lo = max(lo, REFERENCE - timedelta(days=12))
        elif kind == "expired":
            hi = min(hi, REFERENCE - timedelta(days=15))
        lo = min(lo, hi - timedelta(days=1))
        return self.fake.moment(lo, hi)

    def code(self, plan: EventPlan) -> str:
        code = self.fake.code(CODE_ALPHABET, ORDER_CODE_LENGTH)
        while code in plan.codes:
            code = self.fake.code(CODE_ALPHABET, ORDER_CODE_LENGTH)
        plan.codes.add(code)
        return code

    def fees(self, box_office: bool) -> list[dict]:
        fees = []
        if not box_office and self.rng.random() < 0.12:
            fees.append(_fee("payment", "1.50", "Payment fee"))
        if self.rng.random() < 0.06:
            fees.append(_fee("other", "2.00", "Service fee"))
        return fees

    # -- what happened to the order, and the money that explains it ----------------------------

    def settle(self, kind: str, d: Draft) -> Outcome:
        if kind == "test":
            kind = "paid" if self.rng.random() < 0.7 else "pending"
        if kind in ("fee_paid", "fee_pending") and d.total < Decimal("1.00"):
            kind = "canceled"  # too little to keep a fee from
        stories = {"paid": self.paid, "pending": self.pending, "approval": self.awaiting_approval,
                   "expired": self.expired, "canceled": self.canceled, "denied": self.denied,
                   "fee_paid": self.fee_paid, "fee_pending": self.fee_pending}
        return stories[kind](d)

    def paid(self, d: Draft) -> Outcome:
        rng = self.rng
        out = Outcome(OrderStatus.PAID, d.total, d.deadline, times=[d.paid_at])
        canceled_price = sum((l.price for l in d.lines if l.canceled), ZERO)
        # a ticket canceled after payment: its price went back to the buyer
        refunded = canceled_price > ZERO and d.provider != "free" and rng.random() < 0.6
        if d.provider != "free" and rng.random() < 0.08:
            out.payments.append(_payment("failed", d.total, d.provider, d.created, None))
        amount = d.total + canceled_price if refunded else d.total
        out.payments.append(_payment("confirmed", amount, d.provider, d.created, d.paid_at))
        if refunded:
            done_at = self.fake.moment(d.paid_at, d.latest)
            out.refunds.append((len(out.payments) - 1, _refund("done", canceled_price, d.provider, done_at,
                                                               "Ticket canceled on request.")))
            out.times.append(done_at)
        return out

    def pending(self, d: Draft) -> Outcome:
        out = Outcome(OrderStatus.PENDING, d.total, d.deadline)
        roll = self.rng.random()
        if d.provider != "free" and roll < 0.55:
            out.payments.append(_payment("created" if roll < 0.4 else "pending", d.total, d.provider, d.created, None))
        return out

    def awaiting_approval(self, d: Draft) -> Outcome:
        return Outcome(OrderStatus.PENDING, d.total, d.deadline)  # payment starts after approval

    def expired(self, d: Draft) -> Outcome:
        out = Outcome(OrderStatus.EXPIRED, d.total, d.deadline)
        if d.provider != "free" and self.rng.random() < 0.35:
            out.payments.append(_payment("canceled", d.total, d.provider, d.created, None))
        return out

    def denied(self, d: Draft) -> Outcome:
        return Outcome(OrderStatus.CANCELED, d.total, d.deadline, self.fake.moment(d.created, d.latest))

    def canceled(self, d: Draft) -> Outcome:
        """Paid and refunded (or the refund is on its way), or never paid."""
        rng = self.rng
        canceled_at = self.fake.moment(d.paid_at, d.latest)
        out = Outcome(OrderStatus.CANCELED, d.total, d.deadline, canceled_at)
        roll = rng.random()
        if d.provider == "free" or roll >= 0.65:
            return out
        if roll >= 0.35:
            out.payments.append(_payment("canceled", d.total, d.provider, d.created, None))
            return out
        done = rng.random() < 0.7
        out.payments.append(_payment("refunded" if done else "confirmed", d.total, d.provider, d.created, d.paid_at))
        source = "buyer" if rng.random() < 0.3 else "admin"
        out.refunds.append((0, _refund("done" if done else "created", d.total, d.provider, canceled_at,
                                       "Order canceled.", source=source)))
        out.times.append(d.paid_at)
        return out

    def fee_paid(self, d: Draft) -> Outcome:
        """Paid, then canceled keeping a fee: the rest went back, the fee is the total now."""
        fee_value = self.cancel_everything_but_a_fee(d)
        canceled_at = self.fake.moment(d.paid_at, d.latest)
        out = Outcome(OrderStatus.PAID, fee_value, d.deadline, canceled_at, times=[d.paid_at])
        out.payments.append(_payment("confirmed", d.total, d.provider, d.created, d.paid_at))
        if d.total > fee_value:
            out.refunds.append((0, _refund("done", d.total - fee_value, d.provider, canceled_at,
                                           "Canceled; the cancellation fee was kept.")))
        return out

    def fee_pending(self, d: Draft) -> Outcome:
        """Canceled before payment, keeping a fee that is still due: a new deadline for it."""
        fee_value = self.cancel_everything_but_a_fee(d)
        canceled_at = self.fake.moment(d.created, REFERENCE - timedelta(minutes=10))
        return Outcome(OrderStatus.PENDING, fee_value, canceled_at + timedelta(days=14), canceled_at)

    def cancel_everything_but_a_fee(self, d: Draft) -> Decimal:
        fee_value = max(Decimal("1.00"), money(d.total / 10))
        for line in d.lines:
            line.canceled = True
        for fee in d.fees:
            fee["canceled"] = True
        d.fees.append(_fee("cancellation", str(fee_value), "Cancellation fee"))
        return fee_value

    def positions(self, plan: EventPlan, when: SubEventPlan, order_id: int, lines: list[Line], buyer: Person,
                  paid: bool, modified: datetime) -> list[int]:
        rng, fake, w = self.rng, self.fake, self.w
        ids = []
        for index, line in enumerate(lines):
            position_id = w.new_id(OrderPosition.__table__)
            ids.append(position_id)
            attendee = None
            if line.item.admission:
                attendee = buyer if index == 0 and rng.random() < 0.6 else fake.person()
            secret = fake.code(SECRET_ALPHABET, POSITION_SECRET_LENGTH)
            row = dict(
                id=position_id, order_id=order_id, event_id=plan.id, positionid=index + 1, canceled=line.canceled,
                item_id=line.item.id, variation_id=line.variation.id if line.variation else None,
                price=line.price,
                attendee_name_parts=attendee.name_parts if attendee else {"_scheme": "full"},
                attendee_name_cached=attendee.full_name if attendee else None,
                attendee_email=fake.email(attendee) if attendee and rng.random() < 0.25 else None,
                company=rng.choice(COMPANIES) if attendee and rng.random() < 0.05 else None,
                voucher_id=line.voucher.id if line.voucher else None,
                tax_rate=line.item.tax_rate, tax_value=tax_included(line.price, line.item.tax_rate),
                tax_rule_id=line.item.tax_rule_id, secret=secret,
                addon_to_id=ids[line.addon_to] if line.addon_to is not None else None,
                subevent_id=when.id, seat_id=line.seat_id,
                pseudonymization_id=fake.code(CODE_ALPHABET, PSEUDONYMIZATION_ID_LENGTH))
            if paid and not line.canceled and rng.random() < 0.006:
                # blocked is left out of other rows: it must be SQL NULL there, not JSON null
                line.blocked = True
                row["blocked"] = ["admin"]
                w.add(BlockedSecret.__table__, dict(id=w.new_id(BlockedSecret.__table__), event_id=plan.id,
                                                    secret=secret, blocked=True, updated=modified))
            w.add(OrderPosition.__table__, row)
            if line.item.admission:
                self.answers(plan, position_id, line)
            if paid and line.item.admission and not line.canceled and not line.blocked:
                self.checkin(plan, when, position_id)
        return ids

    def answers(self, plan: EventPlan, position_id: int, line: Line) -> None:
        rng, w = self.rng, self.w
        for question in plan.questions:
            if line.item.id not in question.item_ids or rng.random() >= question.probability:
                continue
            options: list[tuple[int, str]] = []
            if question.type == "C":
                options = [rng.choice(question.options)]
            elif question.type == "M":
                options = rng.sample(question.options, rng.randint(1, 2))
            if options:
                text_ = ", ".join(answer for _, answer in options)
            elif question.type == "B":
                text_ = "True" if rng.random() < 0.03 else "False"
            else:
                text_ = rng.choice(question.texts)
            answer_id = w.new_id(Answer.__table__)
            w.add(Answer.__table__, dict(id=answer_id, position_id=position_id, question_id=question.id,
                                         answer=text_))
            for option_id, _ in options:
                w.add(answer_option, dict(answer_id=answer_id, option_id=option_id))

    def checkin(self, plan: EventPlan, when: SubEventPlan, position_id: int) -> None:
        if when.start > REFERENCE or self.rng.random() >= 0.85:
            return  # the date is still ahead, or the guest did not come
        at = when.start + timedelta(minutes=self.rng.randint(-40, 15), seconds=self.rng.randint(0, 59))
        at = min(at, REFERENCE)  # a date that began minutes ago: no check-in after now
        self.w.add(Checkin.__table__, dict(id=self.w.new_id(Checkin.__table__), list_id=plan.checkin_list_id,
                                           position_id=position_id, datetime=at, type="entry", gate=None,
                                           device_id=None, auto_checked_in=False))

    def invoice_address(self, order_id: int, buyer: Person, customer: CustomerRef | None,
                        modified: datetime) -> str:
        """Writes the address; returns it as an invoice prints it."""
        rng, fake = self.rng, self.fake
        company = (customer.company if customer else None) or (rng.choice(COMPANIES) if rng.random() < 0.2 else None)
        if customer and customer.street:
            street, zipcode, city = customer.street, customer.zipcode, customer.city
        else:
            street, zipcode, city = fake.address(buyer.country)
        parts = buyer.name_parts
        vat_id = None
        if company and buyer.country != "GB" and rng.random() < 0.5:
            vat_id = f"{buyer.country}{rng.randint(100000000, 999999999)}"
        self.w.add(InvoiceAddress.__table__, dict(
            id=self.w.new_id(InvoiceAddress.__table__), order_id=order_id, last_modified=modified,
            is_business=company is not None, company=company, name_parts=parts, name_cached=derive_name(parts),
            street=street, zipcode=zipcode, city=city, country=buyer.country, state=None,
            internal_reference=f"PO-{rng.randint(1000, 99999)}" if company and rng.random() < 0.3 else None,
            custom_field=None,
            vat_id=vat_id,
            vat_id_validated=False))
        lines = [company, derive_name(parts), street, f"{zipcode} {city}", country_name(buyer.country)]
        return "\n".join([line for line in lines if line] + ([f"VAT ID: {vat_id}"] if vat_id else []))

    def invoices(self, plan: EventPlan, order_id: int, kind: str, outcome: Outcome, lines: list[Line],
                 fees: list[dict], recipient: str) -> None:
        """Paid orders with an address got an invoice; a cancellation reversed it."""
        paid = [p for p in outcome.payments if p["state"] in ("confirmed", "refunded")]
        if kind == "test" or not paid:
            return
        later_canceled = outcome.canceled_at is not None
        ordered = [f for f in fees if f["fee_type"] != "cancellation"]
        issued = _invoice_lines(lines, ordered, everything=later_canceled)
        first = self.invoice(plan, order_id, paid[0]["payment_date"], issued, recipient)
        if later_canceled:
            reversed_lines = [(what, -gross, rate, -tax, name) for what, gross, rate, tax, name in issued]
            self.invoice(plan, order_id, outcome.canceled_at, reversed_lines, recipient, refers=first)
            kept = [f for f in fees if f["fee_type"] == "cancellation"]
            if kept:  # the cancellation fee is invoiced anew
                self.invoice(plan, order_id, outcome.canceled_at, _invoice_lines([], kept, everything=True),
                             recipient)

    def invoice(self, plan: EventPlan, order_id: int, at: datetime, lines: list[tuple], recipient: str,
                refers: int | None = None) -> int:
        plan.invoice_count += 1
        invoice_id = self.w.new_id(Invoice.__table__)
        self.w.add(Invoice.__table__, dict(
            id=invoice_id, event_id=plan.id, order_id=order_id,
            number=f"{plan.invoice_prefix}-{plan.invoice_count:05d}",
            is_cancellation=refers is not None, refers_id=refers, date=at.date(), created=at,
            issuer=DEMO_ORGANIZER_NAME, recipient=recipient, currency="EUR"))
        for number, (description, gross, rate, tax, name) in enumerate(lines, start=1):
            self.w.add(InvoiceLine.__table__, dict(
                id=self.w.new_id(InvoiceLine.__table__), invoice_id=invoice_id, position=number, description=description,
                gross_value=gross, tax_rate=rate, tax_value=tax, tax_name=name))
        return invoice_id


def _voucher_price(base: Decimal, voucher: VoucherPlan) -> Decimal:
    if voucher.price_mode == "percent":
        return money(base * (HUNDRED - voucher.value) / HUNDRED)
    if voucher.price_mode == "subtract":
        return max(ZERO, base - voucher.value)
    if voucher.price_mode == "set":
        return min(base, voucher.value)
    return base


def _invoice_lines(lines: list[Line], fees: list[dict], everything: bool) -> list[tuple]:
    """(description, gross, tax rate, tax, tax name) of the tickets and fees an invoice lists:
    those not canceled, or `everything` for an order whose cancellation came after the invoice."""
    rows = [(f"{line.item.name} – {line.variation.value}" if line.variation else line.item.name, line.price,
             line.item.tax_rate, tax_included(line.price, line.item.tax_rate), _tax_name(line.item.tax_rate))
            for line in lines if everything or not line.canceled]
    return rows + [(fee["description"], fee["value"], fee["tax_rate"], fee["tax_value"], _tax_name(fee["tax_rate"]))
                   for fee in fees if everything or not fee["canceled"]]


def _tax_name(rate: Decimal) -> str:
    return f"VAT {rate.normalize():f}%" if rate else ""


def _fee(fee_type: str, value: str, description: str) -> dict:
    value = Decimal(value)
    return dict(fee_type=fee_type, value=value, description=description, internal_type="",
                tax_rate=Decimal("19.00"), tax_value=tax_included(value, Decimal("19.00")), tax_rule_id=None,
                canceled=False)


def _payment(state: str, amount: Decimal, provider: str, created: datetime, paid_at: datetime | None) -> dict:
    return dict(state=state, amount=amount, created=created, payment_date=paid_at, provider=provider, details={})


def _refund(state: str, amount: Decimal, provider: str, at: datetime, comment: str, source: str = "admin") -> dict:
    return dict(state=state, source=source, amount=amount, created=at, comment=comment,
                execution_date=at if state == "done" else None, provider=provider, details={})


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------

def generate(orders: int = 2000, customers: int = 500, seed: int = 42,
             progress: Callable[[str], None] = print, now: datetime | None = None,
             parallel: bool | None = None) -> None:
    """Create the demo organizer with its events, `customers` customers and `orders` orders.

    Adds the demo admin (full permissions) and a view-only user, both with DEMO_ADMIN_PASSWORD;
    a user that exists already under one of these emails keeps its password and joins the team.
    Raises DemoDataExists, writing nothing, when the demo organizer is there already.
    Commits at the end: the whole data set appears at once or not at all.
    `now` (default: the clock) bounds every moment in the data, see reference_moment().
    `parallel`: generate in a second process while this one writes (see _in_a_second_process);
    by default for PARALLEL_FROM orders or more. The data is the same either way.
    """
    global REFERENCE
    if db.session.scalar(select(Organizer.id).where(Organizer.slug == DEMO_ORGANIZER_SLUG)) is not None:
        raise DemoDataExists("The demo organizer exists already; demo data was not loaded again.")
    REFERENCE = reference_moment(now)
    started = time.monotonic()
    rng = random.Random(seed)
    fake = Fake(rng)
    w = Writer()

    org_id = w.new_id(Organizer.__table__)
    w.add(Organizer.__table__, dict(id=org_id, slug=DEMO_ORGANIZER_SLUG, name=DEMO_ORGANIZER_NAME,
                                    name_scheme="full", locales=["en", "de"], timezone="Europe/Berlin"))
    setup = Setup(w, fake, org_id)
    series_orders = round(orders * SERIES_SHARE)
    plans = [setup.walking_tours(series_orders), setup.symphony_night(orders - series_orders)]
    w.flush()
    _staff(org_id)

    make = partial(_customers_and_orders, w, fake, org_id, plans, customers, orders, started)
    if parallel is None:
        parallel = orders >= PARALLEL_FROM and _can_fork()
    connection = db.session.connection()
    with search_index.bulk_load(connection), _big_cache(connection), _indexes_built_after(connection):
        redeemed = _in_a_second_process(w, make, progress) if parallel else make(progress)
    _store_redemptions(redeemed)
    w.reset_sequences()
    db.session.commit()
    progress(f"Demo data: {orders:,} orders and {customers:,} customers in {time.monotonic() - started:.0f} s.")


@contextmanager
def _big_cache(connection) -> Iterator[None]:
    """SQLite keeps 2 MB of pages by default: a million orders' indexes then go to the file for
    nearly every row. A bigger cache for the load alone keeps them in memory."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def _indexes_built_after(connection) -> Iterator[None]:
    """SQLite: the secondary indexes are dropped for the load and built once at the end (the
    same SQL): building an index from all rows sorts them once, where keeping it up to date
    puts each row at a random place in it (codes, secrets and emails are random), which at a
    million orders is most of the load's time. Inside the load's transaction, so a failed load
    leaves them as they were. Unique constraints stay, so duplicates still fail."""
    if connection.dialect.name != "sqlite":
        yield
        return
    indexes = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all()
    for name, _sql in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in indexes:
        connection.exec_driver_sql(sql)


def _staff(org_id: int) -> None:
    organizer = db.session.get(Organizer, org_id)
    admin = _user(DEMO_ADMIN_EMAIL, "Demo Admin")
    admins = staff.add_to_admin_team(admin, organizer)
    admins.last_modified = REFERENCE - timedelta(days=200)
    viewer = _user(DEMO_VIEWER_EMAIL, "Demo Viewer")
    team = Team(organizer=organizer, name="Viewers", all_events=True, can_view_orders=True,
                can_change_orders=False, can_view_customers=True, can_change_customers=False,
                can_manage_events=False, last_modified=REFERENCE - timedelta(days=200))
    team.members.append(viewer)
    db.session.add(team)
    db.session.flush()


def _user(email: str, fullname: str) -> User:
    existing = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if existing is not None:
        return existing
    return staff.create_user(email=email, password=DEMO_ADMIN_PASSWORD, fullname=fullname)


def _customers_and_orders(w: Writer, fake: Fake, org_id: int, plans: list[EventPlan], customers: int,
                          orders: int, started: float, progress: Callable[[str], None]) -> list[dict]:
    """Generates the customers and orders; returns the vouchers' redemptions."""
    linkable = create_customers(w, fake, org_id, customers, progress)
    maker = OrderMaker(w, fake, plans, linkable)
    for n in range(1, orders + 1):
        maker.make()
        if n % ORDERS_PER_FLUSH == 0:
            w.flush()
        if n % PROGRESS_EVERY == 0:
            progress(f"Demo data: {n:,} of {orders:,} orders ({time.monotonic() - started:.0f} s).")
    w.flush()
    return [{"voucher_id": v.id, "redeemed": v.redeemed} for p in plans for v in p.vouchers if v.redeemed]


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _in_a_second_process(w: Writer, make: Callable, progress: Callable[[str], None]) -> list[dict]:
    """Runs `make` in a forked process that sends each flushed batch of rows through a pipe,
    while this process computes their search texts and inserts them: on two cores a big load
    takes the longer of the two halves instead of their sum. The child never touches the
    database (it gets every table's next id up front) and ends without running finalizers, so
    the connection and transaction it inherits stay this process's alone."""
    w.read_all_ids()
    fork = multiprocessing.get_context("fork")
    receiving, sending = fork.Pipe(duplex=False)
    child = fork.Process(target=_generate_in_child, args=(w, make, sending), daemon=True)
    child.start()
    sending.close()
    store = Store()
    try:
        while True:
            kind, payload = receiving.recv()
            if kind == "rows":
                store.write([(db.metadata.tables[name], rows) for name, rows in payload])
            elif kind == "progress":
                progress(payload)
            elif kind == "failed":
                raise RuntimeError(f"Generating the demo data failed:\n{payload}")
            else:
                redeemed, w.next_ids = payload
                return redeemed
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()


def _generate_in_child(w: Writer, make: Callable, sending) -> None:
    def send(batch: list[tuple[Table, list[dict]]]) -> None:
        sending.send(("rows", [(table.name, rows) for table, rows in batch]))
    w.write = send
    try:
        redeemed = make(lambda message: sending.send(("progress", message)))
        sending.send(("done", (redeemed, w.next_ids)))
    except Exception:
        sending.send(("failed", traceback.format_exc()))
    finally:
        sending.close()


def _store_redemptions(used: list[dict]) -> None:
    if used:
        table = Voucher.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("voucher_id"))
                           .values(redeemed=bindparam("redeemed")), used)
