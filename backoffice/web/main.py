"""Start page, the organizer's event list, the event overview, and the organizer switcher."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain import events as events_domain, organizers_setup as setup
from ..domain.events_overview import overview
from ..domain.models import Organizer, OrderStatus, SubEvent, Team, team_member
from ..domain.permissions import Permission, organizers_of, visible_events
from ..extensions import db
from .access import current_actor, require

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    organizers = organizers_of(current_user)
    if len(organizers) == 1:
        return redirect(url_for("main.organizer", organizer=organizers[0].slug))
    if not organizers and not setup.any_organizer():
        # the first start: nothing exists yet, so the first thing to do is the organizer
        return redirect(url_for("first_start.create_organizer"))
    return render_template("main/index.html", organizers=organizers,
                           may_create=setup.may_create_organizer(current_actor()))


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/<organizer>/")
@require(None)
def organizer(organizer):
    """The events the user may see orders of or manage, with their dates of a series counted."""
    events = visible_events(g.teams, organizer, Permission.VIEW_ORDERS)
    seen = {e.id for e in events}
    events += [e for e in visible_events(g.teams, organizer, Permission.MANAGE_EVENTS) if e.id not in seen]
    events.sort(key=lambda e: (e.date_from, e.id))
    dates = _date_counts([e.id for e in events if e.has_subevents])
    may_create = events_domain.may_create_event(current_actor(), organizer, g.teams)
    return render_template("main/organizer.html", events=events, dates=dates, may_create=may_create)


def _date_counts(event_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(active, all) dates per event of a series, in one query."""
    if not event_ids:
        return {}
    from sqlalchemy import case, func
    rows = db.session.execute(
        select(SubEvent.event_id, func.count(case((SubEvent.active.is_(True), 1))), func.count(SubEvent.id))
        .where(SubEvent.event_id.in_(event_ids)).group_by(SubEvent.event_id))
    return {event_id: (active, total) for event_id, active, total in rows}


@bp.get("/<organizer>/events/<event>/")
@require(Permission.VIEW_ORDERS)
def event(organizer, event):
    return render_template("main/event.html", event=event, numbers=overview(event), statuses=OrderStatus.LABELS,
                           may_manage=events_domain.may_manage(current_actor(), event, g.teams),
                           may_create=events_domain.may_create_event(current_actor(), organizer, g.teams))


# --- the organizer switcher of the top bar ---------------------------------------------------------

def organizer_menu() -> dict:
    """The organizers of the signed-in user and whether they may create one, once per request.

    Inside an organizer the user's teams are loaded already (access.load_organizer), and their
    organizer is that one, read without a query; only people in several organizers cost a query
    per other organizer. Elsewhere one query reads them."""
    # kept on the request, not on `g`: tests run many requests inside one app context
    cached = getattr(request, "organizer_menu", None)
    if cached is not None:
        return cached
    teams = getattr(request, "user_teams", None)
    if teams is not None:
        rows = [(t.organizer.slug, t.organizer.name, t.can_manage_team) for t in teams]
    else:
        rows = db.session.execute(
            select(Organizer.slug, Organizer.name, Team.can_manage_team)
            .join(Team, Team.organizer_id == Organizer.id)
            .join(team_member, team_member.c.team_id == Team.id)
            .where(team_member.c.user_id == current_user.id)).all()
    organizers = sorted({(slug, name) for slug, name, _ in rows}, key=lambda o: (o[1].lower(), o[0]))
    may_create = setup.may_create_organizer(current_actor(), team_rights=[manage for _, _, manage in rows])
    request.organizer_menu = {"organizers": [{"slug": s, "name": n} for s, n in organizers],
                              "may_create": may_create}
    return request.organizer_menu


@bp.app_context_processor
def _switcher():
    return {"organizer_menu": organizer_menu}
