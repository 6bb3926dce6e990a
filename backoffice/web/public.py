"""The customer-facing, read-only order page: its URL holds the order's secret, no login.
It speaks the order's language (or the event's, when we have no translation for it).

Anything that does not match exactly (organizer, event, code, secret) is the same plain 404,
so the page reveals nothing about which part was wrong.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import i18n
from ..domain import orders
from ..domain.models import Event, Order, OrderPosition, Organizer
from ..extensions import db

bp = Blueprint("public", __name__)


@bp.get("/<organizer>/<event>/order/<code>/<secret>/")
def order(organizer, event, code, secret):
    found = db.session.scalars(
        select(Order)
        .join(Event, Event.id == Order.event_id).join(Organizer, Organizer.id == Event.organizer_id)
        .where(Organizer.slug == organizer, Event.slug == event, Order.code == code)
        .options(joinedload(Order.event).joinedload(Event.organizer),
                 selectinload(Order.all_positions).options(joinedload(OrderPosition.item),
                                                           joinedload(OrderPosition.variation),
                                                           joinedload(OrderPosition.subevent),
                                                           joinedload(OrderPosition.seat)),
                 selectinload(Order.payments), selectinload(Order.refunds))
    ).unique().first()
    if found is None or not hmac.compare_digest(found.secret.encode(), secret.encode()):
        abort(404)
    i18n.speak_language_of(found)
    return render_template("public/order.html", order=found, event=found.event, totals=orders.totals(found))
