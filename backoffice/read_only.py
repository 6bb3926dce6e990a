"""Reading requests on PostgreSQL run without a transaction.

A GET or HEAD changes nothing (the one exception, an API token's "last used" time, commits on
its own), and at READ COMMITTED every statement reads its own snapshot anyway, so a
transaction around a page's reads adds nothing but two round trips: BEGIN and the ROLLBACK
that ends it. Without that ROLLBACK psycopg also keeps its prepared statements from one request
to the next (a rollback makes it forget them all), so lookups by key skip parsing and planning
(plans.py).

Should a reading request write after all, its first flush (or a statement taking a lock) opens
a real transaction, so its writes still commit or roll back together, under its locks. SQLite
keeps its transactions: there they cost no round trip.
"""
from __future__ import annotations

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db

READING_METHODS = ("GET", "HEAD")
#: on the request's environ: this request's session reads without a transaction
MARK = "backoffice.read_without_transaction"
#: what PostgreSQL locks until the end of a transaction look like in a statement
LOCKS = (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE", "pg_advisory_xact_lock")


def init_app(app: Flask) -> None:
    """Call after every other part has registered its before-request functions: this one goes
    first of all. The API's token check reads the database, and a read before this function
    would begin a transaction, whose ROLLBACK makes psycopg forget what it prepared."""
    def _read_without_transaction() -> None:
        # a session already in a transaction (a test's, between its requests) keeps it
        if (request.method in READING_METHODS and db.engine.dialect.name == "postgresql"
                and not db.session().in_transaction()):
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            request.environ[MARK] = True

    app.before_request_funcs.setdefault(None, []).insert(0, _read_without_transaction)

    @app.teardown_request
    def _end_reading(_exc) -> None:
        """Hand the connection back at the end of the request (undoing a write that was not
        committed), not only when the app context ends: tests keep that open across requests."""
        if request.environ.get(MARK):
            db.session.rollback()


@event.listens_for(Session, "before_flush")
def _begin_before_writing(session: Session, _flush_context, _instances) -> None:
    """A flush on a connection without a transaction begins one (psycopg sends BEGIN before the
    next statement), so the writes of this flush and of any later ones commit together."""
    dbapi_connection = session.connection().connection.dbapi_connection
    if getattr(dbapi_connection, "autocommit", False) is True:  # psycopg only
        dbapi_connection.autocommit = False


@event.listens_for(Engine, "before_cursor_execute")
def _begin_before_locking(conn, cursor, statement, _parameters, _context, _executemany) -> None:
    """A lock taken without a transaction would be released at once."""
    dbapi_connection = conn.connection.dbapi_connection
    if getattr(dbapi_connection, "autocommit", False) is True and any(lock in statement for lock in LOCKS):
        dbapi_connection.autocommit = False
