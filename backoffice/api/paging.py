"""Pages as pretix sends them: {count, next, previous, results} with absolute links.

Links start with BASE_URL (mail.absolute_url: the configured address, else the one the request
came to) and keep every query parameter but `page`."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Select

from ..domain import paging
from ..mail import absolute_url
from .errors import detail

PER_PAGE = paging.PER_PAGE


def page_url(number: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    if number > 1:
        args.append(("page", str(number)))
    query = urlencode(args)
    return absolute_url(request.path + (f"?{query}" if query else ""))


def paginated(stmt: Select, number: int, serialize: Callable[[list[Any]], list[dict]],
              count_stmt: Select | None = None) -> dict:
    """One page of `stmt` with the exact count (of `count_stmt` when given: the same rows, in a
    form quicker to count); a page past the end is 404, as in pretix."""
    total = paging.count(stmt if count_stmt is None else count_stmt)
    last = max(1, -(-total // PER_PAGE))
    if number > last:
        raise detail(404, "Invalid page.")
    rows = paging._exact_page(stmt, total, number, PER_PAGE, True).items
    return envelope(serialize(rows), total, number, last)


def envelope(results: list[dict], total: int, number: int, last: int) -> dict:
    return {
        "count": total,
        "next": page_url(number + 1) if number < last else None,
        "previous": page_url(number - 1) if number > 1 else None,
        "results": results,
    }
