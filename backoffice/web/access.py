"""Resolving the organizer/event of a URL and checking the current user's permission on it.

Objects of organizers the user has no team in answer 404 (their existence is not revealed);
within an organizer, a missing permission answers 403.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, g, request
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain.audit import Actor
from ..domain.models import Event, Organizer
from ..domain.permissions import Permission, has_permission
from ..extensions import db
from ..plans import by_key


def current_actor() -> Actor:
    return Actor(user=current_user._get_current_object())


def load_organizer(slug: str) -> Organizer:
    """The organizer of the URL among those of the user's teams (read with the user, see
    staff.session_user); 404 both for an unknown organizer and for one the user has no team in."""
    all_teams = list(current_user.teams)
    teams = [team for team in all_teams if team.organizer.slug == slug]
    if not teams:
        abort(404)
    organizer = teams[0].organizer
    g.organizer = organizer
    g.teams = teams
    request.user_teams = all_teams  # on the request: `g` outlives a request in tests
    return organizer


def load_event(organizer: Organizer, slug: str) -> Event:
    event = db.session.scalar(by_key(select(Event).where(Event.organizer_id == organizer.id, Event.slug == slug)))
    if event is None:
        abort(404)
    g.event = event
    return event


def can(permission: Permission, event: Event | None = None) -> bool:
    """For templates and views: may the current user do this here?"""
    teams = g.get("teams") or []
    return has_permission(teams, permission, event)


def require(permission: Permission | None):
    """Decorator: login, organizer (and event) from the URL, permission; passes the objects on.

    `None` asks only for membership in one of the organizer's teams.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, organizer: str, event: str | None = None, **kwargs):
            org = load_organizer(organizer)
            ev = load_event(org, event) if event is not None else None
            if permission is not None and not has_permission(g.teams, permission, ev):
                if ev is not None and not has_permission(g.teams, permission):
                    abort(403)
                # a team limited to other events: this event is not theirs to see
                abort(404 if ev is not None else 403)
            if ev is not None:
                kwargs["event"] = ev
            return view(*args, organizer=org, **kwargs)
        return wrapped
    return decorator
