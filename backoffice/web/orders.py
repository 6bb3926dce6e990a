"""Orders: lists per event and per organizer."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..domain.permissions import Permission
from .access import require

bp = Blueprint("orders", __name__)


@bp.get("/<organizer>/orders/")
@require(Permission.VIEW_ORDERS)
def organizer_list(organizer):
    return render_template("orders/list.html", event=None)


@bp.get("/<organizer>/events/<event>/orders/")
@require(Permission.VIEW_ORDERS)
def event_list(organizer, event):
    return render_template("orders/list.html", event=event)
