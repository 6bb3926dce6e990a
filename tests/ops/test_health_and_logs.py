"""/healthz, the request log and what a crash shows: enough to run the back office unattended."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import text

from backoffice.domain.models import OutboxEmail, OutboxStatus, utcnow
from backoffice.extensions import db
from backoffice.web.health import expected_revision
from tests import factories


def test_healthz_answers_without_login_and_reports_the_outbox(client, world):
    db.session.add(OutboxEmail(organizer_id=world.organizer.id, to="a@example.org", subject="s", body="b",
                               template="order_paid", status=OutboxStatus.QUEUED,
                               created=utcnow() - timedelta(minutes=30)))
    db.session.add(OutboxEmail(organizer_id=world.organizer.id, to="b@example.org", subject="s", body="b",
                               template="order_paid", status=OutboxStatus.SENT, created=utcnow() - timedelta(days=3)))
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["schema"] == body["schema_expected"] == expected_revision()
    assert body["outbox_backlog"] == 1 and 1790 <= body["oldest_undelivered_seconds"] <= 1900
    # nothing about customers, orders or addresses
    assert "example.org" not in response.get_data(as_text=True)


def test_healthz_is_503_when_the_schema_is_behind(client):
    head = expected_revision()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "error" and body["schema"] == "0001" and "flask db upgrade" in body["detail"]
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()


def test_every_request_is_logged_with_its_id_status_and_duration(client, caplog):
    caplog.set_level(logging.INFO, logger="backoffice.request")
    response = client.get("/login", headers={"X-Request-ID": "proxy-1234abcd"})
    assert response.headers["X-Request-ID"] == "proxy-1234abcd"
    line = [r for r in caplog.records if r.name == "backoffice.request"][-1]
    assert line.levelno == logging.INFO
    assert line.getMessage().startswith("GET /login 200 ") and "id=proxy-1234abcd" in line.getMessage()


@pytest.mark.parametrize("given", ["<script>alert(1)</script>", "short", "x" * 200, "a b c d e f g h"])
def test_a_request_id_that_does_not_look_like_one_is_replaced(client, given):
    response = client.get("/login", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] != given and len(response.headers["X-Request-ID"]) == 32


def test_slow_requests_are_warnings_and_json_lines_are_json(app, client, caplog, world):
    caplog.set_level(logging.INFO, logger="backoffice.request")
    app.config.update(SLOW_REQUEST_MS=0, LOG_FORMAT="json")
    try:
        client.get("/login")
    finally:
        app.config.update(SLOW_REQUEST_MS=1000, LOG_FORMAT="text")
    record = [r for r in caplog.records if r.name == "backoffice.request"][-1]
    assert record.levelno == logging.WARNING
    fields = json.loads(record.getMessage())
    assert fields["path"] == "/login" and fields["status"] == 200 and fields["slow"] is True
    assert fields["duration_ms"] >= 0 and len(fields["request_id"]) == 32


def test_a_crash_shows_a_reference_but_no_traceback_and_logs_the_traceback(app, client, caplog, monkeypatch):
    def crash():
        raise RuntimeError("secret internals")

    monkeypatch.setitem(app.view_functions, "auth.login", crash)
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caplog.set_level(logging.INFO)
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html and response.headers["X-Request-ID"] in html
    assert "secret internals" not in html and "Traceback" not in html
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records)
    assert "secret internals" in logged
    assert "GET /login 500" in logged


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(app):
    from backoffice import create_app
    from flask import request

    seen = {}
    for trust in (0, 1):
        proxied = create_app({"TESTING": True, "TRUST_PROXY": trust,
                              "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                              "INSTANCE_PATH": app.config["INSTANCE_PATH"], "SECRET_KEY": "test-secret"})

        @proxied.before_request
        def remember():
            seen[trust] = (request.remote_addr, request.scheme)

        with proxied.app_context():
            proxied.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.7",
                                                           "X-Forwarded-Proto": "https"})
            db.session.remove()
    # without trust a client could pretend to be anyone and escape the login throttle
    assert seen[0] == ("127.0.0.1", "http")
    assert seen[1] == ("203.0.113.7", "https")
