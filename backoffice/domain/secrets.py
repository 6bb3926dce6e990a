"""Ticket secrets: regenerating them and blocking tickets.

Scanners read the event's revoked and blocked secrets; these functions keep both lists in step
with the tickets, so a blocked ticket can never slip through with a new secret.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from . import audit, codes
from .audit import Actor
from .errors import Invalid
from .models import BlockedSecret, Order, OrderPosition, RevokedSecret, utcnow
from .orders import begin_change
from .texts import T_


def regenerate_secrets(order: Order, *, actor: Actor, seen_last_modified: str | None = None,
                       now: datetime | None = None) -> Order:
    """New order secret (the old order link stops working) and new ticket secrets; the old ticket
    secrets go to the event's revoked secrets so that scanners refuse them. A blocked ticket
    stays blocked: its new secret joins the event's blocked secrets, and so does the old one."""
    now = now or utcnow()
    order = begin_change(order, seen_last_modified)
    order.secret = codes.order_secret()
    blocked = []
    for position in order.all_positions:
        old = position.secret
        db.session.add(RevokedSecret(event_id=order.event_id, position_id=position.id, secret=old))
        position.secret = codes.position_secret()
        if position.blocked:
            _set_secret_blocked(order.event_id, old, True, now)
            _set_secret_blocked(order.event_id, position.secret, True, now)
            blocked.append(position.positionid)
    audit.log(actor, order, "order.secrets_regenerated", data={
        "tickets": len(order.all_positions), "blocked_tickets": blocked})
    return order


# --- blocks -----------------------------------------------------------------------------------------

ADMIN_BLOCK = "admin"
_BLOCK_NAME = re.compile(r"admin|api:[A-Za-z0-9._]+")


def _set_secret_blocked(event_id: int, secret: str, blocked: bool, now: datetime) -> None:
    """Keep the event's blocked-secrets list (what scanners read) in step with a ticket's blocks."""
    row = db.session.scalar(select(BlockedSecret).where(BlockedSecret.event_id == event_id,
                                                        BlockedSecret.secret == secret))
    if row is None:
        if not blocked:
            return
        row = BlockedSecret(event_id=event_id, secret=secret)
        db.session.add(row)
    row.blocked = blocked
    row.updated = now


def _clean_block(block: str) -> str:
    if not isinstance(block, str) or not _BLOCK_NAME.fullmatch(block) or len(block) > 64:
        raise Invalid(T_("A block is 'admin' or 'api:' followed by letters, digits, dots or underscores."),
                      code="block_invalid", field="block")
    return block


def _locked_position(position: OrderPosition, seen_last_modified: str | None) -> OrderPosition:
    begin_change(position.order, seen_last_modified)
    db.session.refresh(position)
    return position


def add_block(position: OrderPosition, *, actor: Actor, block: str = ADMIN_BLOCK,
              seen_last_modified: str | None = None, now: datetime | None = None) -> OrderPosition:
    """Block a ticket (scanners refuse it) for `block`; adding a block it already has changes nothing."""
    now = now or utcnow()
    block = _clean_block(block)
    position = _locked_position(position, seen_last_modified)
    blocks = list(position.blocked or [])
    if block in blocks:
        return position
    position.blocked = blocks + [block]
    _set_secret_blocked(position.order.event_id, position.secret, True, now)
    audit.log(actor, position.order, "position.blocked", data={"position": position.positionid, "block": block})
    return position


def remove_block(position: OrderPosition, *, actor: Actor, block: str = ADMIN_BLOCK,
                 seen_last_modified: str | None = None, now: datetime | None = None) -> OrderPosition:
    """Remove one block; when it was the last, `blocked` is null again (not an empty list), so
    that `blocked IS NULL` finds every valid ticket, and scanners accept the secret again."""
    now = now or utcnow()
    block = _clean_block(block)
    position = _locked_position(position, seen_last_modified)
    blocks = list(position.blocked or [])
    if block not in blocks:
        raise Invalid(T_("Ticket %(positionid)s of order %(code)s has no block '%(block)s'.",
                         positionid=position.positionid, code=position.order.code, block=block),
                      code="not_blocked", field="block")
    remaining = [b for b in blocks if b != block]
    position.blocked = remaining or None
    _set_secret_blocked(position.order.event_id, position.secret, bool(remaining), now)
    audit.log(actor, position.order, "position.unblocked", data={
        "position": position.positionid, "block": block, "remaining": remaining})
    return position


def regenerate_position_secret(position: OrderPosition, *, actor: Actor, seen_last_modified: str | None = None,
                               now: datetime | None = None) -> OrderPosition:
    """A new secret for one ticket (003's regenerate_secrets of an orderposition): the old one
    goes to the event's revoked secrets. A blocked ticket stays blocked: old and new secret are
    both in the event's blocked secrets, as for the whole order."""
    now = now or utcnow()
    position = _locked_position(position, seen_last_modified)
    if position.canceled:
        raise Invalid(T_("Ticket %(positionid)s of order %(code)s is canceled: "
                         "it has no secret to replace.",
                         positionid=position.positionid, code=position.order.code), code="position_canceled")
    event_id = position.order.event_id
    old = position.secret
    db.session.add(RevokedSecret(event_id=event_id, position_id=position.id, secret=old))
    position.secret = codes.position_secret()
    if position.blocked:
        _set_secret_blocked(event_id, old, True, now)
        _set_secret_blocked(event_id, position.secret, True, now)
    audit.log(actor, position.order, "position.secret_regenerated", data={
        "position": position.positionid, "blocked": bool(position.blocked)})
    return position
