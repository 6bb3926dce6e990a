"""Reading requests run without a transaction on PostgreSQL (read_only.py), and still write
atomically, under their locks, should one write after all."""
from __future__ import annotations

import pytest
from flask import jsonify
from sqlalchemy import func, select, text

from backoffice import create_app
from backoffice.domain.models import LoginFailure
from backoffice.extensions import db
from backoffice.plans import by_key
from tests.api.conftest import make_token, team_of
from tests.conftest import DB_KIND


@pytest.fixture(scope="module")
def probe_app(app):
    """An app on the tests' database with routes that report the connection's state and write."""
    probe = create_app({**{key: app.config[key] for key in
                           ("TESTING", "SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH", "SECRET_KEY", "MAIL_SERVER")},
                        "WTF_CSRF_ENABLED": False})

    def state() -> dict:
        dbapi = db.session.connection().connection.dbapi_connection
        in_transaction = (dbapi.info.transaction_status.name != "IDLE" if DB_KIND == "postgresql"
                          else dbapi.in_transaction)
        return {"in_transaction": in_transaction}

    @probe.route("/probe/read", methods=["GET", "POST"])
    def read():
        db.session.scalar(select(func.count(LoginFailure.id)))
        return jsonify(state())

    # under the API's prefix: the token is checked (reading the database) before the view runs
    probe.add_url_rule("/api/v1/probe/read", "api_probe_read", read)

    @probe.get("/probe/write-twice-then-fail")
    def write_twice_then_fail():
        db.session.add(LoginFailure(address="probe-1", account="probe"))
        db.session.flush()
        db.session.add(LoginFailure(address="probe-2", account="probe"))
        db.session.flush()
        raise RuntimeError("after two writes")

    @probe.get("/probe/write-and-commit")
    def write_and_commit():
        db.session.add(LoginFailure(address="probe-3", account="probe"))
        db.session.commit()
        return jsonify({})

    @probe.get("/probe/lock")
    def lock():
        db.session.execute(select(LoginFailure.id).limit(1).with_for_update())
        return jsonify(state())

    @probe.get("/probe/read-often")
    def read_often():
        # past psycopg's five runs before preparing and PostgreSQL's five custom plans after
        for _ in range(12):
            db.session.scalar(by_key(select(LoginFailure.address).where(LoginFailure.id == 0)))
            db.session.get(LoginFailure, -1)  # what relationship loaders send: by primary key
            db.session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.address.like("probe%")))
        return jsonify({})

    @probe.get("/probe/prepared")
    def prepared():
        rows = db.session.execute(text("SELECT statement, generic_plans FROM pg_prepared_statements"))
        return jsonify({" ".join(row.statement.split()): row.generic_plans for row in rows})

    return probe


def _stored(*addresses: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.address.in_(addresses)))


def test_a_page_read_runs_outside_a_transaction_on_postgresql_only(probe_app):
    client = probe_app.test_client()
    # SQLite: a read transaction costs no round trip, and is kept
    assert client.get("/probe/read").get_json() == {"in_transaction": DB_KIND != "postgresql"}
    assert client.post("/probe/read").get_json() == {"in_transaction": True}
    if DB_KIND == "postgresql":
        # Without a closing ROLLBACK psycopg keeps what it prepared (after a statement's fifth
        # run on a connection), so later requests skip parsing it.
        assert client.get("/probe/read-often").status_code == 200
        # the next request, on the same (the only) connection of this app's pool
        prepared = client.get("/probe/prepared").get_json()
        # lookups by key are prepared and then run on one plan for any values...
        by_key_plans = [plans for statement, plans in prepared.items()
                        if "SELECT login_failure.address FROM login_failure WHERE login_failure.id =" in statement]
        assert by_key_plans and by_key_plans[0] >= 1
        loader_plans = [plans for statement, plans in prepared.items()
                        if statement.startswith("SELECT login_failure.id, login_failure.address")]
        assert loader_plans and loader_plans[0] >= 1
        # ...a search is never prepared: PostgreSQL plans it for the word at hand every time
        assert not [statement for statement in prepared if "LIKE" in statement]


def test_an_api_read_runs_outside_a_transaction_on_postgresql_too(probe_app, world):
    token = make_token(team_of(world.admin))
    client = probe_app.test_client()
    headers = {"Authorization": f"Token {token}"}
    # the first use of a token stores its "last used" time: a write, in a transaction of its own
    assert client.get("/api/v1/probe/read", headers=headers).status_code == 200
    # later reads: the token check must not begin a transaction either (its ROLLBACK would make
    # psycopg forget every statement it prepared, on each API request)
    assert client.get("/api/v1/probe/read", headers=headers).get_json() == {
        "in_transaction": DB_KIND != "postgresql"}
    assert client.get("/api/v1/probe/read").status_code == 401


def test_a_reading_request_that_writes_twice_and_fails_stores_neither(probe_app):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert probe_app.test_client().get("/probe/write-twice-then-fail").status_code == 500
    finally:
        probe_app.config["PROPAGATE_EXCEPTIONS"] = None
    assert _stored("probe-1", "probe-2") == 0


def test_a_reading_request_that_commits_stores_its_write(probe_app):
    assert probe_app.test_client().get("/probe/write-and-commit").status_code == 200
    assert _stored("probe-3") == 1


def test_a_lock_taken_in_a_reading_request_is_held_in_a_transaction(probe_app):
    # without one, PostgreSQL would release the lock when the statement ends
    assert probe_app.test_client().get("/probe/lock").get_json() == {"in_transaction": True}
