"""/healthz for load balancers and monitoring: no login, no customer or order data.

503 when the database cannot be reached or its schema is not the one this code expects (run
`flask db upgrade`); the outbox backlog and the age of the oldest undelivered mail are reported
so a monitor can alert on a stuck mail server.
"""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..config import ROOT
from ..domain.models import OutboxEmail, OutboxStatus, utcnow
from ..extensions import csrf, db

bp = Blueprint("health", __name__)
_HEAD: str | None = None


def expected_revision() -> str:
    global _HEAD
    if _HEAD is None:
        _HEAD = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    return _HEAD


def _outbox() -> dict:
    backlog, oldest = db.session.execute(
        select(func.count(OutboxEmail.id), func.min(OutboxEmail.created))
        .where(OutboxEmail.status == OutboxStatus.QUEUED)).one()
    age = round((utcnow() - oldest).total_seconds()) if oldest is not None else None
    return {"outbox_backlog": backlog, "oldest_undelivered_seconds": age}


@bp.route("/healthz")
@csrf.exempt
def healthz():
    report: dict = {"database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        current = MigrationContext.configure(db.session.connection()).get_current_revision()
        report.update(_outbox())
    except SQLAlchemyError as e:
        db.session.rollback()
        current_app.logger.error("health check: database unreachable: %s", e)
        return jsonify(status="error", database="unreachable"), 503
    finally:
        db.session.rollback()
    head = expected_revision()
    report.update(schema=current, schema_expected=head)
    if current != head:
        return jsonify(status="error", **report, detail="Run `flask db upgrade`."), 503
    return jsonify(status="ok", **report)
