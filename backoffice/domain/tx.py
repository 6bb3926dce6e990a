"""Transactions that lock what they change, on SQLite and PostgreSQL alike.

PostgreSQL: the rows a state change touches are read with SELECT … FOR UPDATE, so a second
writer waits and then sees the first one's result.
SQLite: there are no row locks; instead every transaction of a request that may write
(POST, PUT, PATCH, DELETE), of `immediate()` blocks and of CLI commands starts with
BEGIN IMMEDIATE, which takes the database's write lock up front. Writers queue behind each
other (busy timeout), readers are never blocked (WAL).
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import TypeVar

from flask import has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from ..extensions import db

T = TypeVar("T")

_immediate = contextvars.ContextVar("immediate_transactions", default=False)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _wants_immediate() -> bool:
    if _immediate.get():
        return True
    return has_request_context() and request.method in WRITE_METHODS


@contextmanager
def immediate():
    """Make transactions begun inside this block take the write lock first (SQLite)."""
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and explicit BEGIN so that BEGIN IMMEDIATE is possible."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN")


def is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def lock(model: type[T], obj_id: int) -> T | None:
    """Load one row for a state change: locked on PostgreSQL, fresh in every case."""
    stmt = select(model).where(model.id == obj_id).execution_options(populate_existing=True)
    if not is_sqlite():
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt).first()


def lock_many(model: type[T], ids: list[int]) -> list[T]:
    """Lock several rows in id order, so two writers never wait on each other in a circle."""
    if not ids:
        return []
    stmt = (select(model).where(model.id.in_(sorted(set(ids))))
            .order_by(model.id).execution_options(populate_existing=True))
    if not is_sqlite():
        stmt = stmt.with_for_update()
    return list(db.session.scalars(stmt))
