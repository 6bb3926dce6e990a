"""The event's revoked and blocked ticket secrets (seed 003), as scanners read them, with the
ticket each one belongs to.

Revoked: secrets replaced by new ones (regenerated), ordered by secret or creation, newest first
by default. Blocked: every secret that is or was blocked, most recently updated first (003 fixes
that order); `blocked` says whether it still is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from .models import BlockedSecret, Order, OrderPosition, RevokedSecret
from .paging import Page, paginate

REVOKED_ORDERINGS = {"created": RevokedSecret.created, "secret": RevokedSecret.secret}
DEFAULT_REVOKED_ORDERING = "-created"


def clean_revoked_ordering(value: str | None) -> str:
    if value and value.removeprefix("-") in REVOKED_ORDERINGS:
        return value
    return DEFAULT_REVOKED_ORDERING


@dataclass
class SecretRow:
    """A revoked or blocked secret and the ticket it belongs (or belonged) to, if known."""
    record: RevokedSecret | BlockedSecret
    ticket: OrderPosition | None


def revoked_stmt(event_id: int, created_since: datetime | None, ordering: str) -> Select:
    stmt = select(RevokedSecret).where(RevokedSecret.event_id == event_id)
    if created_since is not None:
        stmt = stmt.where(RevokedSecret.created >= created_since)
    column = REVOKED_ORDERINGS[ordering.removeprefix("-")]
    # id breaks ties so that paging is stable
    if ordering.startswith("-"):
        return stmt.order_by(column.desc(), RevokedSecret.id.desc())
    return stmt.order_by(column.asc(), RevokedSecret.id.asc())


def revoked_page(event_id: int, created_since: datetime | None, ordering: str, page: int = 1) -> Page:
    result = paginate(revoked_stmt(event_id, created_since, ordering), page)
    tickets = _tickets_by_id(event_id, {r.position_id for r in result.items if r.position_id is not None})
    result.items = [SecretRow(r, tickets.get(r.position_id)) for r in result.items]
    return result


def blocked_stmt(event_id: int, blocked: bool | None, updated_since: datetime | None) -> Select:
    stmt = select(BlockedSecret).where(BlockedSecret.event_id == event_id)
    if blocked is not None:
        stmt = stmt.where(BlockedSecret.blocked.is_(blocked))
    if updated_since is not None:
        stmt = stmt.where(BlockedSecret.updated >= updated_since)
    return stmt.order_by(BlockedSecret.updated.desc(), BlockedSecret.id.desc())


def blocked_page(event_id: int, blocked: bool | None, updated_since: datetime | None, page: int = 1) -> Page:
    result = paginate(blocked_stmt(event_id, blocked, updated_since), page)
    tickets = _tickets_by_secret(event_id, [r.secret for r in result.items])
    result.items = [SecretRow(r, tickets.get(r.secret)) for r in result.items]
    return result


def _positions_of_event(event_id: int) -> Select:
    return (select(OrderPosition).join(Order, Order.id == OrderPosition.order_id)
            .where(Order.event_id == event_id).options(contains_eager(OrderPosition.order)))


def _tickets_by_id(event_id: int, ids: set[int]) -> dict[int, OrderPosition]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(_positions_of_event(event_id).where(OrderPosition.id.in_(ids)))}


def _tickets_by_secret(event_id: int, secrets: list[str]) -> dict[str, OrderPosition]:
    """The ticket holding each secret now, or else the one it was revoked from (a blocked ticket
    whose secret was regenerated keeps its old secret blocked too)."""
    if not secrets:
        return {}
    found = {p.secret: p for p in db.session.scalars(
        _positions_of_event(event_id).where(OrderPosition.secret.in_(secrets)))}
    missing = [s for s in secrets if s not in found]
    if missing:
        revoked = dict(db.session.execute(
            select(RevokedSecret.secret, RevokedSecret.position_id)
            .where(RevokedSecret.event_id == event_id, RevokedSecret.secret.in_(missing),
                   RevokedSecret.position_id.is_not(None))).all())
        by_id = _tickets_by_id(event_id, set(revoked.values()))
        found.update({s: by_id[i] for s, i in revoked.items() if i in by_id})
    return found
