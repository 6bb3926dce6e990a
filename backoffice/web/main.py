"""Start page, organizer overview and events."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..domain.permissions import Permission, organizers_of, visible_events
from .access import require

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    organizers = organizers_of(current_user)
    if len(organizers) == 1:
        return redirect(url_for("main.organizer", organizer=organizers[0].slug))
    return render_template("main/index.html", organizers=organizers)


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/<organizer>/")
@require(None)
def organizer(organizer):
    events = visible_events(g.teams, organizer, Permission.VIEW_ORDERS)
    return render_template("main/organizer.html", events=events)


@bp.get("/<organizer>/events/<event>/")
@require(Permission.VIEW_ORDERS)
def event(organizer, event):
    return render_template("main/event.html", event=event)
