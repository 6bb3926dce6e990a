"""Which statements PostgreSQL plans once and reuses, and which it plans anew for their values.

A statement that finds rows by key runs in a tenth of a millisecond, and parsing and planning it
costs as much again or more (0.1 to 0.4 ms with a few joined tables). A statement psycopg has
prepared (at its sixth run on a connection) skips the parsing, and after five more runs
PostgreSQL may keep one plan for any values, which skips the planning too. One plan is wrong
for other statements: a search (a rare and a common word), a page of a list (a tiny and a huge
event), a count. So only statements that find rows by key are prepared:

- the ones SQLAlchemy's relationship loaders send (lazy, select-in, `Session.get`): by primary
  or foreign key;
- statements marked with `by_key()`: the signed-in user, an API token, an event by slug, an
  order by code, a customer by identifier and what its page shows, the rows a quick search
  found, by id.

Every other statement is sent unprepared, and PostgreSQL plans it for the values at hand every
time. Mark a statement only when its best plan cannot depend on the values: it names the rows
by key, and neither searches text nor pages through a list. SQLite keeps no plans: nothing
changes there.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import any_, bindparam, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine

from .domain import tx

#: the execution option of a statement whose best plan is the same for any values
BY_KEY = "plan_by_key"
#: what SQLAlchemy's relationship loaders put among their statements' execution options
LOADER = "_sa_orm_load_options"
#: psycopg's own default: prepare a statement at its sixth run on a connection
PREPARE_AFTER = 5


def by_key(stmt):
    """`stmt` finds rows by key: PostgreSQL may plan it once for all values."""
    return stmt.execution_options(**{BY_KEY: True})


def any_of(column, values: Iterable):
    """`column IN values`, for the ids of one page. On PostgreSQL one array parameter
    (`= ANY(…)`) instead of one parameter per id: 150 parameters cost 0.4 ms to send, parse and
    estimate, and the statement's text no longer changes with the number of ids, so a lookup
    marked by_key is prepared whatever the page holds."""
    values = list(values)
    if tx.is_sqlite():
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


@event.listens_for(Engine, "before_cursor_execute")
def _prepare_lookups_by_key(conn, _cursor, _statement, _parameters, context, _executemany) -> None:
    dbapi_connection = conn.connection.dbapi_connection
    if not hasattr(dbapi_connection, "prepare_threshold"):  # psycopg only
        return
    options = context.execution_options
    keyed = options.get(BY_KEY) or LOADER in options
    dbapi_connection.prepare_threshold = PREPARE_AFTER if keyed else None
