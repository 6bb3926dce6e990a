"""Pooled connections: one the server closed while it lay idle is replaced before a request uses it."""
from __future__ import annotations

import psycopg

from backoffice import extensions
from backoffice.extensions import db
from tests.conftest import DB_KIND


def _close_the_pools_connections_on_the_server() -> int:
    """What a PostgreSQL restart or an idle timeout does: end every other session of this database."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        return len(admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall())


def test_a_connection_closed_while_idle_is_replaced_before_a_request_uses_it(staff, world, monkeypatch):
    assert staff.get("/demo/customers/").status_code == 200
    db.session.remove()  # the connection goes back to the pool, idle
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    try:
        if DB_KIND == "postgresql":
            assert _close_the_pools_connections_on_the_server() >= 1
        # checked before use (PostgreSQL: found dead and replaced; SQLite: nothing to check)
        response = staff.get("/demo/customers/")
        assert response.status_code == 200 and world.organizer.name in response.get_data(as_text=True)
    finally:
        # other pooled connections died too; the checks are back to 10 s for the tests that follow
        db.session.remove()
        db.engine.dispose()


def test_a_connection_in_steady_use_is_not_checked(staff, world, monkeypatch):
    """A connection used moments ago is handed out as it is: no extra round trip per request."""
    sent = []
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 3600.0)
    assert staff.get("/demo/customers/").status_code == 200
    db.session.remove()
    raw = db.engine.raw_connection()
    try:
        if DB_KIND == "postgresql":
            original = type(raw.dbapi_connection).execute
            monkeypatch.setattr(type(raw.dbapi_connection), "execute",
                                lambda self, query, *a, **k: (sent.append(query), original(self, query, *a, **k))[1])
    finally:
        raw.close()
    assert staff.get("/demo/customers/").status_code == 200
    assert "SELECT 1" not in sent
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    db.session.remove()
    assert staff.get("/demo/customers/").status_code == 200
    if DB_KIND == "postgresql":
        assert "SELECT 1" in sent
