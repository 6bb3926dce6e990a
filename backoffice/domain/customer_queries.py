"""Finding customers: the search, filters and sort orders shared by the HTML list, the CSV export
and the API. One statement builder, so every interface finds the same customers.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Alias, ColumnElement, Select, and_, exists, extract, func, select, union, union_all
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.util import ClauseAdapter


from . import tx
from .models import Customer, CustomerTag, Order, Organizer
from . import paging
from .paging import Page, paginate_capped
from ..extensions import db
from . import search_index
from .text_search import text_condition, words
from .texts import T_

CONSENT_CHOICES = ("in", "out", "unknown")
BOOLEAN_FILTERS = ("active", "verified", "anonymized")

#: sort key in the URL -> what it orders by; "-key" is descending (as in 004's `sort`)
SORT_KEYS = ("identifier", "name", "email", "phone", "company", "tags", "active", "verified",
             "joined", "last_login", "last_modified")
DEFAULT_SORT = "-joined"
NOT_NULL_SORT_KEYS = ("identifier", "active", "verified", "joined", "last_modified")


def _tags_sort_key():
    # the alphabetically first tag; customers without tags sort last
    return (select(func.min(CustomerTag.name)).where(CustomerTag.customer_id == Customer.id)
            .correlate(Customer).scalar_subquery())


def _sort_column(key: str):
    columns = {
        "identifier": Customer.identifier,
        "name": func.lower(Customer.name_cached),
        "email": func.lower(Customer.email),
        "phone": Customer.phone,
        "company": func.lower(Customer.company),
        "active": Customer.is_active,
        "verified": Customer.is_verified,
        "joined": Customer.date_joined,
        "last_login": Customer.last_login,
        "last_modified": Customer.last_modified,
    }
    if key == "tags":
        return _tags_sort_key()
    return columns[key]


@dataclass
class CustomerFilters:
    """What the list shows. Dates are days in the organizer's time zone, both ends included."""
    query: str | None = None
    email: str | None = None
    tags: list[str] = field(default_factory=list)
    active: bool | None = None
    verified: bool | None = None
    anonymized: bool | None = None
    joined_from: date | None = None
    joined_to: date | None = None
    modified_from: date | None = None
    modified_to: date | None = None
    booking_date_from: date | None = None
    booking_date_to: date | None = None
    dob_months: list[int] = field(default_factory=list)
    consent: str | None = None
    consent_from: date | None = None
    consent_to: date | None = None
    sort: str = DEFAULT_SORT

    def active_filters(self) -> dict[str, Any]:
        """The filters that are set (everything but the sort)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "sort" and getattr(self, f.name) not in (None, [], "")}


#: URL argument names of each filter (multi-valued ones may repeat or be comma-separated)
URL_NAMES = {
    "query": "q", "email": "email", "tags": "tag", "active": "active", "verified": "verified",
    "anonymized": "anonymized", "joined_from": "joined_from", "joined_to": "joined_to",
    "modified_from": "modified_from", "modified_to": "modified_to",
    "booking_date_from": "booking_date_from", "booking_date_to": "booking_date_to",
    "dob_months": "dob_month", "consent": "consent", "consent_from": "consent_from",
    "consent_to": "consent_to", "sort": "sort",
}


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _ignore(args, name: str, why: str) -> None:
    args.notices.append(T_("Ignored the filter '%(name)s': %(why)s", name=name, why=why))


def read_filters(args) -> CustomerFilters:
    """Filters from URL arguments. `args` is a backoffice.web.listing.ListArgs (or anything with
    its methods): values it cannot read are ignored there with a notice."""
    f = CustomerFilters()
    f.query = args.text("q")
    f.email = args.text("email")
    f.tags = list(dict.fromkeys(_split(args.texts("tag"))))
    for name in BOOLEAN_FILTERS:
        setattr(f, name, args.boolean(name))
    for name in ("joined_from", "joined_to", "modified_from", "modified_to", "booking_date_from",
                 "booking_date_to", "consent_from", "consent_to"):
        setattr(f, name, args.date(name))
    for value in _split(args.texts("dob_month")):
        if value.isascii() and value.isdigit() and 1 <= int(value) <= 12:  # not '²'
            if int(value) not in f.dob_months:
                f.dob_months.append(int(value))
        else:
            _ignore(args, "dob_month", T_("'%(value)s' is not a month (1 to 12).", value=value))
    f.consent = args.choice("consent", CONSENT_CHOICES)
    if (f.consent_from or f.consent_to) and f.consent not in ("in", "out"):
        _ignore(args, "consent_from/consent_to", T_("choose opted in or opted out to filter by its date."))
        f.consent_from = f.consent_to = None
    sort = args.text("sort")
    if sort is not None:
        if sort.lstrip("-") in SORT_KEYS:
            f.sort = sort
        else:
            _ignore(args, "sort", T_("'%(sort)s' is not a column to sort by.", sort=sort))
    return f


def _day_range(column, start: date | None, end: date | None, tz: ZoneInfo) -> list[ColumnElement]:
    """Conditions for `start` <= column's day <= `end`, days in the organizer's zone."""
    conditions = []
    if start is not None:
        conditions.append(column >= datetime.combine(start, time.min, tz).astimezone(timezone.utc))
    if end is not None:
        next_day = datetime.combine(end + timedelta(days=1), time.min, tz).astimezone(timezone.utc)
        conditions.append(column < next_day)
    return conditions


def search_condition(query: str, walk: bool = False) -> ColumnElement:
    """The search box of the customer list and the quick search (see text_search for the rule):
    identifier (exactly), name, email, company and phone (in the search index, search_index).

    Phone numbers are stored as +4930…; digits typed with spaces, dashes or a leading 0 still
    find them. `walk`: see customers_statement.
    """
    return text_condition(query, lambda word: _word_condition(word, walk),
                          lambda whole: search_index.phone_matches(Customer, whole))


def _word_condition(word: str, walk: bool = False) -> ColumnElement:
    # one `id IN (…)`, which SQLite checks from an index entry's row id alone (see
    # order_queries.order_word_ids); `id + 0` when walking an index rather than looking ids up
    ids = union_all(*word_id_selects(word))
    return (Customer.id + 0 if walk and tx.is_sqlite() else Customer.id).in_(ids)


def word_id_selects(word: str) -> list[Select]:
    """Selects of the ids of the customers a word finds (their union): the identifier exactly,
    and the search index."""
    return [select(_OTHER_CUSTOMER.c.id).where(_OTHER_CUSTOMER.c.identifier == word.upper()),
            *search_index.word_ids(Customer, word)]


#: the customer table under another name, so that a select never correlates with an outer query
_OTHER_CUSTOMER = Customer.__table__.alias("other_customer")


def _same_organizer(organizer: Organizer, searching: bool, walk: bool = False) -> ColumnElement:
    """A text search reads every customer of the organizer anyway. Without table statistics
    SQLite would do that through the organizer index, one row lookup per customer (5x slower
    at 50,000 customers than reading the table straight through); `organizer_id + 0` is not
    indexable, so it scans the table instead."""
    if searching and tx.is_sqlite() and not walk:
        return (Customer.organizer_id + 0) == organizer.id
    return Customer.organizer_id == organizer.id


def conditions_for(organizer: Organizer, f: CustomerFilters, walk: bool = False) -> list[ColumnElement]:
    tz = ZoneInfo(organizer.timezone or "UTC")
    conditions: list[ColumnElement] = [_same_organizer(organizer, searching=bool(f.query), walk=walk)]
    if f.query:
        conditions.append(search_condition(f.query, walk))
    if f.email:
        conditions.append(func.lower(Customer.email) == f.email.lower())
    if f.tags:
        conditions.append(exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.name.in_(f.tags)))
    if f.active is not None:
        conditions.append(Customer.is_active.is_(f.active))
    if f.verified is not None:
        conditions.append(Customer.is_verified.is_(f.verified))
    if f.anonymized is not None:
        conditions.append(Customer.anonymized_at.is_not(None) if f.anonymized else Customer.anonymized_at.is_(None))
    conditions += _day_range(Customer.date_joined, f.joined_from, f.joined_to, tz)
    conditions += _day_range(Customer.last_modified, f.modified_from, f.modified_to, tz)
    if f.booking_date_from or f.booking_date_to:
        in_range = _day_range(Order.datetime, f.booking_date_from, f.booking_date_to, tz)
        conditions.append(exists().where(Order.customer_id == Customer.id, *in_range))
    if f.dob_months:
        conditions.append(extract("month", Customer.date_of_birth).in_(f.dob_months))
    if f.consent == "in":
        conditions.append(Customer.marketing_consent.is_(True))
        conditions += _day_range(Customer.marketing_opted_in_at, f.consent_from, f.consent_to, tz)
    elif f.consent == "out":
        conditions.append(Customer.marketing_consent.is_(False))
        conditions += _day_range(Customer.marketing_opted_out_at, f.consent_from, f.consent_to, tz)
    elif f.consent == "unknown":
        conditions.append(Customer.marketing_consent.is_(None))
    return conditions


def ordering(sort: str) -> list:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, descending = DEFAULT_SORT.lstrip("-"), True
    column = _sort_column(key)
    primary = column.desc() if descending else column.asc()
    tie = Customer.id.desc() if descending else Customer.id.asc()
    if key in NOT_NULL_SORT_KEYS:
        # a plain order, so that PostgreSQL can read it from the (organizer, date_joined) index
        return [primary, tie]
    # empty values last in both directions, on SQLite and PostgreSQL alike
    return [primary.nulls_last(), tie]


def customers_statement(organizer: Organizer, f: CustomerFilters, *, with_tags: bool = True,
                        walk: bool = False) -> Select:
    """The customers matching `f`, sorted; tags loaded in one extra query per page.

    `walk` (SQLite, a search sorted by date joined): the same customers, planned for thousands
    of matches of which one page is read: SQLite walks the (organizer, date joined) index and
    checks each entry against the matches from its row id, stopping after a page, instead of
    collecting and sorting every match."""
    stmt = select(Customer).where(and_(*conditions_for(organizer, f, walk))).order_by(*ordering(f.sort))
    if with_tags:
        stmt = stmt.options(selectinload(Customer.tag_rows))
    return stmt


#: sorts that an index of the organizer's customers serves (see customers_statement's `walk`)
WALKING_SORTS = ("joined", "-joined")


def customers_page(organizer: Organizer, f: CustomerFilters, number: int = 1, per_page: int | None = None) -> Page:
    """One page of customers with the total count, or "more than 1,000" (paging.paginate_capped):
    an exact count of a search's matches or of a big organizer's customers reads them all."""
    stmt = customers_statement(organizer, f)
    if f.query and not tx.is_sqlite():
        page = _matches_page(organizer, f, number, per_page)
        if page is not None:
            return page
        # the page sorts every match anyway: count them in the same query (paging.paginate_counted)
        return paging.paginate_counted(stmt, number, per_page)
    big = customers_statement(organizer, f, walk=True) if f.query and f.sort in WALKING_SORTS else None
    return paginate_capped(stmt, number, per_page, big=big, total=_search_count(organizer, f))


def _matches_page(organizer: Organizer, f: CustomerFilters, number: int, per_page: int | None) -> Page | None:
    """PostgreSQL, a one-word search and no other filter, sorted by a column: the page and the
    count from the matches as the index lookups read them (paging.paginate_counted's count).

    Each lookup of the word (search index, identifier) checks the organizer and takes the sort
    column on the row it reads anyway; the matches are counted and sorted on those two values,
    and only the page's customers are read again. The general query looked every match up
    again by id to check its organizer and sort it (1,637 rows for 'Jäger' at 50,000
    customers: 6,200 buffer reads against 1,400). Same customers, order and count. None when
    this does not apply (or for a page past the end, which the general query clamps)."""
    typed = words(f.query or "")
    key = f.sort.lstrip("-")
    if len(typed) != 1 or set(f.active_filters()) != {"query"} or key not in NOT_NULL_SORT_KEYS:
        return None
    parts = []
    for part in word_id_selects(typed[0]):
        froms = part.get_final_froms()
        if len(froms) != 1 or not isinstance(froms[0], Alias) or froms[0].element is not Customer.__table__:
            return None
        adapt = ClauseAdapter(froms[0]).traverse
        parts.append(part.add_columns(adapt(_sort_column(key).expression).label("sort_key"))
                     .where(adapt((Customer.organizer_id + 0) == organizer.id)))
    matches = union(*parts).subquery("matches")
    descending = f.sort.startswith("-")

    def ordered(*columns):
        return [c.desc() if descending else c.asc() for c in columns]
    per_page = per_page or paging.PER_PAGE
    number = max(1, number)
    page = (select(matches.c.id, matches.c.sort_key, func.count().over().label("matches"))
            .order_by(*ordered(matches.c.sort_key, matches.c.id))
            .limit(per_page + 1).offset((number - 1) * per_page).subquery("page"))
    stmt = (select(Customer, page.c.matches).join(page, page.c.id == Customer.id)
            .order_by(*ordered(page.c.sort_key, page.c.id)).options(selectinload(Customer.tag_rows)))
    rows = db.session.execute(stmt).all()
    if not rows and number > 1:
        return None
    return paging.counted_page(rows, number, per_page)


def _search_count(organizer: Organizer, f: CustomerFilters) -> int | None:
    """SQLite, a one-word search and no other filter: the capped count read from the search
    index in id order (quick_search.ids_in_parts), without collecting every match first."""
    from .quick_search import ids_in_parts
    typed = words(f.query or "")
    if not tx.is_sqlite() or len(typed) != 1 or set(f.active_filters()) != {"query"}:
        return None
    cap = paging.COUNT_CAP
    found = ids_in_parts(Customer, word_id_selects(typed[0]), Customer.organizer_id == organizer.id, cap + 1)
    return min(len(found), cap + 1)
