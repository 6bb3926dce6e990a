"""Page-numbered slices of a query, with the total count (or, for big results, a lower bound)."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import Select, func, select

from ..extensions import db

PER_PAGE = 50
#: above this many rows a capped count says "more than …" instead of reading every row
COUNT_CAP = 1000


@dataclass
class Page:
    items: list[Any]
    total: int
    number: int
    per_page: int
    #: `total` is a lower bound (cap + 1): the result holds more than `cap` rows
    capped: bool = False
    #: capped pages only: whether a page follows this one
    more: bool = False

    @property
    def cap(self) -> int:
        return self.total - 1

    @property
    def pages(self) -> int:
        """The number of pages, or for a capped result the pages known to exist."""
        known = max(1, ceil(self.total / self.per_page))
        if self.capped:
            return max(known, self.number + (1 if self.more else 0))
        return known

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        if self.capped:
            return (self.number - 1) * self.per_page + len(self.items)
        return min(self.number * self.per_page, self.total)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show: first, last and a few around the current one; None is a gap.
        A capped result has no known last page: the window ends after the current one."""
        last = self.pages
        shown = {1, *range(max(1, self.number - around), min(last, self.number + around) + 1)}
        if not self.capped:
            shown.add(last)
        result: list[int | None] = []
        for n in sorted(shown):
            if result and n - (result[-1] or 0) > 1:
                result.append(None)
            result.append(n)
        return result


def count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def capped_count(stmt: Select, cap: int = COUNT_CAP) -> int:
    """The number of rows of `stmt`, but never more than cap + 1: the count reads at most
    cap + 1 rows, so a search matching half the table costs no full count."""
    limited = stmt.order_by(None).limit(cap + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(limited)) or 0


def paginate(stmt: Select, number: int = 1, per_page: int = PER_PAGE, scalars: bool = True) -> Page:
    """Run `stmt` for one page. A page past the end shows the last page."""
    total = count(stmt)
    return _exact_page(stmt, total, number, per_page, scalars)


def _exact_page(stmt: Select, total: int, number: int, per_page: int, scalars: bool) -> Page:
    pages = max(1, ceil(total / per_page))
    number = min(max(1, number), pages)
    limited = stmt.limit(per_page).offset((number - 1) * per_page)
    result = db.session.execute(limited)
    items = list(result.scalars()) if scalars else list(result)
    return Page(items=items, total=total, number=number, per_page=per_page)


def paginate_capped(stmt: Select, number: int = 1, per_page: int | None = None, cap: int | None = None,
                    count_stmt: Select | None = None, big: Select | None = None, total: int | None = None) -> Page:
    """Like paginate, but counts at most cap + 1 rows (of `count_stmt`, default `stmt`): more
    than `cap` rows give a capped page ("more than 1,000"), which still pages: one row past the
    page tells whether another follows. `big` is the statement to read a page with when the
    result is that big (the same rows, in the same order, perhaps planned differently). `total`:
    the capped count when the caller has it already (min(rows, cap + 1)).
    A page past the end shows the last page (the exact count is taken only then)."""
    per_page = per_page or PER_PAGE
    cap = COUNT_CAP if cap is None else cap
    if number <= 1 and big is None and total is None:
        # a first page that is not full is the whole result: no count at all
        items = list(db.session.scalars(stmt.limit(per_page + 1)))
        if len(items) <= per_page:
            return Page(items=items, total=len(items), number=1, per_page=per_page)
        total = capped_count(count_stmt if count_stmt is not None else stmt, cap)
        return Page(items=items[:per_page], total=total, number=1, per_page=per_page, capped=total > cap,
                    more=True)
    if total is None:
        total = capped_count(count_stmt if count_stmt is not None else stmt, cap)
    if total <= cap:
        return _exact_page(stmt, total, number, per_page, scalars=True)
    number = max(1, number)
    read = big if big is not None else stmt
    items = list(db.session.scalars(read.limit(per_page + 1).offset((number - 1) * per_page)))
    if not items and number > 1:
        return _exact_page(stmt, count(stmt), number, per_page, scalars=True)
    return Page(items=items[:per_page], total=total, number=number, per_page=per_page, capped=True,
                more=len(items) > per_page)


def paginate_counted(stmt: Select, number: int = 1, per_page: int | None = None, cap: int | None = None,
                     shown: Select | None = None) -> Page:
    """Like paginate_capped, in one query: the page's rows carry `count(*) OVER ()`, the number of
    rows before the LIMIT. For a PostgreSQL text search, whose page collects and sorts every
    match anyway (the trigram index hands them out as one bitmap): the count and the page of
    paginate_capped would read and recheck the same matches twice, each a round trip.
    Not for plain lists, where the page stops after one page of an index but a count would not.

    `shown`: how a page's rows are read (their entity with its loader options and order, no
    filters). The matches are numbered and cut to a page by id first, and only that page is
    joined to what `shown` loads: joined in `stmt`, PostgreSQL would join every match before
    the LIMIT (for 1,400 matches, 15 ms of the order list's 27)."""
    per_page = per_page or PER_PAGE
    cap = COUNT_CAP if cap is None else cap
    number = max(1, number)
    entity = shown.column_descriptions[0]["entity"] if shown is not None else None
    if entity is None:
        counted = stmt.add_columns(func.count().over().label("matches"))
        rows = db.session.execute(counted.limit(per_page + 1).offset((number - 1) * per_page)).all()
    else:
        page = (stmt.with_only_columns(entity.id, func.count().over().label("matches"))
                .limit(per_page + 1).offset((number - 1) * per_page).subquery())
        rows = db.session.execute(shown.join(page, page.c.id == entity.id).add_columns(page.c.matches)).all()
    if not rows and number > 1:
        # past the end: the last page, as paginate shows it (with what `shown` loads)
        read = stmt if entity is None else shown.where(entity.id.in_(stmt.with_only_columns(entity.id)))
        return _exact_page(read, count(stmt), number, per_page, scalars=True)
    return counted_page(rows, number, per_page, cap)


def counted_page(rows: list, number: int, per_page: int, cap: int | None = None) -> Page:
    """A page from rows of (item, …, number of matches), read with one row past the page;
    above `cap` (COUNT_CAP) matches it says "more than cap"."""
    cap = COUNT_CAP if cap is None else cap
    total = rows[0][-1] if rows else 0
    items = [row[0] for row in rows[:per_page]]
    if total > cap:
        return Page(items=items, total=cap + 1, number=number, per_page=per_page, capped=True,
                    more=len(rows) > per_page)
    return Page(items=items, total=total, number=number, per_page=per_page)
