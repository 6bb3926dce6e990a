"""Test fixtures: one database per test process (SQLite file or a throw-away PostgreSQL
database), built once with the real migrations, emptied between tests."""
from __future__ import annotations

import os
import re
import tempfile
import threading
import uuid

import psycopg
import pytest
from flask import g
from werkzeug.serving import make_server

from backoffice import create_app
from backoffice.extensions import db

from . import factories

DB_KIND = os.environ.get("TEST_DATABASE", "sqlite")
PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin(url: str):
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@pytest.fixture(scope="session")
def database_url(worker_id):
    if DB_KIND == "postgresql":
        name = f"bo_test_{worker_id}_{uuid.uuid4().hex[:8]}"
        with _pg_admin(PG_SERVER) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
        with _pg_admin(PG_SERVER) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/test.sqlite3"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "BASE_URL": "http://backoffice.test",
        "MAIL_SERVER": "",
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": None,
    })
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.session.remove()
    return app


def _empty_all_tables() -> None:
    # DELETE beats TRUNCATE on tables this small (TRUNCATE of ~40 tables costs ~0.3 s per test).
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def ctx(app):
    """Every test runs inside an app context on an empty database."""
    with app.app_context():
        yield
        from backoffice.mail import wait_for_delivery
        wait_for_delivery(app)
        db.session.remove()
        _empty_all_tables()
        db.session.remove()


@pytest.fixture(scope="session")
def live_server(app):
    """The app on 127.0.0.1 on a free port, in a daemon thread that ends with the tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _forget_user() -> None:
    """Each request loads its user from the session cookie, as on a server; the test's app context
    (kept across requests so tests can read the database) would otherwise keep the first one."""
    g.pop("_login_user", None)


class Browser:
    """The Flask test client with a logged-in staff user and the CSRF token at hand."""

    def __init__(self, client):
        self.client = client
        self.csrf = None

    def login(self, email: str, password: str = factories.PASSWORD):
        self.csrf = csrf_from(self.client.get("/login"))
        response = self.client.post("/login", data={"email": email, "password": password, "csrf_token": self.csrf})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self

    def get(self, url: str, htmx: bool = False, **kwargs):
        _forget_user()
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.get(url, headers=headers, **kwargs)

    def post(self, url: str, data: dict | None = None, htmx: bool = False, csrf: bool = True, **kwargs):
        _forget_user()
        data = dict(data or {})
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        if csrf:
            headers["X-CSRFToken"] = self.csrf
        return self.client.post(url, data=data, headers=headers, **kwargs)


def csrf_from(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def world():
    """An organizer with one event, products, quotas and an admin user (see factories.World)."""
    return factories.build_world()


@pytest.fixture
def staff(browser, world):
    """A browser logged in as the world's admin."""
    return browser.login(world.admin.email)


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Context manager counting the SQL statements issued inside it (all threads of this app)."""
    from contextlib import contextmanager
    from sqlalchemy import event as sa_event

    @contextmanager
    def counting():
        counter = QueryCounter()

        def before(conn, cursor, statement, *args):
            if not statement.startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
                counter.statements.append(statement)
        sa_event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", before)
    return counting
