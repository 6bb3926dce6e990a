"""Who may see and change what: teams per organizer grant permissions on all or some events."""
from __future__ import annotations

from enum import Enum

from sqlalchemy import select

from ..extensions import db
from .models import Event, Organizer, Team, User, team_member


class Permission(str, Enum):
    VIEW_ORDERS = "can_view_orders"
    CHANGE_ORDERS = "can_change_orders"
    VIEW_CUSTOMERS = "can_view_customers"
    CHANGE_CUSTOMERS = "can_change_customers"
    MANAGE_EVENTS = "can_manage_events"
    MANAGE_TEAM = "can_manage_team"


# Changing something implies seeing it.
_IMPLIED_BY = {
    Permission.VIEW_ORDERS: (Permission.VIEW_ORDERS, Permission.CHANGE_ORDERS),
    Permission.VIEW_CUSTOMERS: (Permission.VIEW_CUSTOMERS, Permission.CHANGE_CUSTOMERS),
}


def teams_of(user: User, organizer: Organizer | None = None) -> list[Team]:
    stmt = select(Team).join(team_member, team_member.c.team_id == Team.id).where(team_member.c.user_id == user.id)
    if organizer is not None:
        stmt = stmt.where(Team.organizer_id == organizer.id)
    return list(db.session.scalars(stmt))


def organizers_of(user: User) -> list[Organizer]:
    ids = {t.organizer_id for t in teams_of(user)}
    if not ids:
        return []
    return list(db.session.scalars(select(Organizer).where(Organizer.id.in_(ids)).order_by(Organizer.name)))


def _grants(team: Team, permission: Permission) -> bool:
    return any(getattr(team, p.value) for p in _IMPLIED_BY.get(permission, (permission,)))


def has_permission(teams: list[Team], permission: Permission, event: Event | None = None) -> bool:
    """True when one of `teams` grants `permission` (for `event`, when given)."""
    for team in teams:
        if not _grants(team, permission):
            continue
        if event is None or team.all_events or event in team.limit_events:
            return True
    return False


def visible_event_ids(teams: list[Team], organizer: Organizer, permission: Permission) -> list[int] | None:
    """Event ids of `organizer` the teams may use for `permission`; None means all of them."""
    ids: set[int] = set()
    for team in teams:
        if not _grants(team, permission):
            continue
        if team.all_events:
            return None
        ids.update(e.id for e in team.limit_events)
    return sorted(ids)


def visible_events(teams: list[Team], organizer: Organizer, permission: Permission) -> list[Event]:
    ids = visible_event_ids(teams, organizer, permission)
    stmt = select(Event).where(Event.organizer_id == organizer.id).order_by(Event.date_from)
    if ids is not None:
        stmt = stmt.where(Event.id.in_(ids))
    return list(db.session.scalars(stmt))
