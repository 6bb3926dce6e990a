"""Teams of an organizer: what they may do, on which events, and who is in them.

Two rules hold for every change here:
- nobody gives rights they do not hold themselves: a team (or a member or token added to it)
  may only get permissions, and events, that the acting person has;
- an organizer always keeps at least one active person who may manage the team, so nobody
  locks everyone out (also not themselves).
Every change is written to the organizer's history. Changes lock the organizer row first, so
two managers removing each other at once cannot both succeed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from . import audit, parsing, tx
from .audit import Actor
from .errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound
from .models import Event, Organizer, Team, User, utcnow
from .permissions import Permission, has_permission, teams_of, visible_event_ids
from .texts import T_

#: in the order the forms show them
PERMISSIONS = (Permission.VIEW_ORDERS, Permission.CHANGE_ORDERS, Permission.VIEW_CUSTOMERS,
               Permission.CHANGE_CUSTOMERS, Permission.MANAGE_EVENTS, Permission.MANAGE_TEAM)
LABELS = {
    Permission.VIEW_ORDERS: "view orders", Permission.CHANGE_ORDERS: "change orders",
    Permission.VIEW_CUSTOMERS: "view customers", Permission.CHANGE_CUSTOMERS: "change customers",
    Permission.MANAGE_EVENTS: "manage events", Permission.MANAGE_TEAM: "manage the team",
}
#: permissions that apply per event; the others apply to the whole organizer
EVENT_SCOPED = (Permission.VIEW_ORDERS, Permission.CHANGE_ORDERS, Permission.MANAGE_EVENTS)
MAX_NAME = 200
ALL = "all events"
STALE_TEAM_MESSAGE = T_("This team was changed by someone else since you opened the form. Its current "
                        "settings are listed below; your entries are kept: save again to replace them.")


# --- reading ---------------------------------------------------------------------------------------

def organizer_teams(organizer: Organizer) -> list[Team]:
    stmt = (select(Team).where(Team.organizer_id == organizer.id).order_by(Team.name, Team.id)
            .options(selectinload(Team.members), selectinload(Team.limit_events), selectinload(Team.tokens)))
    return list(db.session.scalars(stmt))


def get_team(organizer: Organizer, team_id: Any) -> Team:
    """The team of this organizer; NotFound for other organizers' teams and ids that are none."""
    try:
        number = parsing.parse_id(team_id)
    except Invalid:
        number = None
    team = db.session.get(Team, number) if number is not None else None
    if team is None or team.organizer_id != organizer.id:
        raise NotFound(T_("There is no such team."), code="team_not_found")
    return team


def get_member(organizer: Organizer, user_id: Any) -> User:
    """A user who is in one of the organizer's teams; NotFound for everyone else."""
    try:
        number = parsing.parse_id(user_id)
    except Invalid:
        number = None
    user = db.session.get(User, number) if number is not None else None
    if user is None or not teams_of(user, organizer):
        raise NotFound(T_("There is no such person in this organizer's teams."), code="member_not_found")
    return user


def organizer_members(organizer: Organizer) -> list[User]:
    users = {u.id: u for team in organizer_teams(organizer) for u in team.members}
    return sorted(users.values(), key=lambda u: u.email.lower())


def permissions_of(team: Team) -> list[Permission]:
    return [p for p in PERMISSIONS if getattr(team, p.value)]


def scope_text(team: Team) -> str:
    if team.all_events:
        return ALL
    return ", ".join(e.name for e in team.limit_events) or "no events"


# --- the rules ---------------------------------------------------------------------------------------

def actor_teams(actor: Actor, organizer: Organizer) -> list[Team]:
    if actor.user is not None:
        return teams_of(actor.user, organizer)
    if actor.token is not None and actor.token.team.organizer_id == organizer.id:
        return [actor.token.team]
    return []


@dataclass(frozen=True)
class Grant:
    """What a team gives: its permissions, and for the per-event ones on which events."""
    permissions: frozenset
    all_events: bool
    events: tuple

    @classmethod
    def of(cls, team: Team | None) -> "Grant":
        if team is None:
            return cls(frozenset(), False, ())
        return cls(frozenset(permissions_of(team)), team.all_events, tuple(team.limit_events))


def ensure_may_give(actor: Actor, organizer: Organizer, after: Grant, before: Grant | None = None) -> None:
    """Refuse when `after` gives more than `before` did in a way the actor does not hold."""
    if actor.user is None and actor.token is None:
        return  # the system (command line, migrations) may set up anything
    before = before or Grant.of(None)
    teams = actor_teams(actor, organizer)
    for permission in PERMISSIONS:
        if permission not in after.permissions:
            continue
        had = permission in before.permissions
        if permission not in EVENT_SCOPED:
            if not had and not has_permission(teams, permission):
                raise _refusal(permission)
            continue
        if after.all_events:
            if not (had and before.all_events) and visible_event_ids(teams, organizer, permission) is not None:
                raise _refusal(permission, T_(ALL))
            continue
        for event in after.events:
            given_before = had and (before.all_events or event in before.events)
            if not given_before and not has_permission(teams, permission, event):
                raise _refusal(permission, T_("the event “%(name)s”", name=event.name))
    for event in after.events:
        if event not in before.events and not any(t.all_events or event in t.limit_events for t in teams):
            raise Forbidden(T_("You cannot give access to the event “%(name)s”: you have no access to it yourself.",
                               name=event.name),
                            code="event_not_held", field="events")


def _refusal(permission: Permission, where: str | None = None) -> Forbidden:
    label = T_(LABELS[permission])
    message = (T_("You cannot give the permission “%(permission)s” for %(where)s: you do not hold it yourself.",
                  permission=label, where=where) if where else
               T_("You cannot give the permission “%(permission)s”: you do not hold it yourself.", permission=label))
    return Forbidden(message, code="permission_not_held", field="permissions")


def active_managers(organizer: Organizer, *, without_team: Team | None = None,
                    without_member: tuple[Team, User] | None = None, without_user: User | None = None,
                    manage_team: dict[int, bool] | None = None) -> set[int]:
    """Ids of the active users who may manage the team, leaving out what a change would remove.

    `manage_team` overrides the permission of some teams (team id -> new value)."""
    ids: set[int] = set()
    for team in organizer_teams(organizer):
        may = (manage_team or {}).get(team.id, team.can_manage_team)
        if not may or team is without_team:
            continue
        for user in team.members:
            if user.is_active_user and user is not without_user and without_member != (team, user):
                ids.add(user.id)
    return ids


def ensure_someone_manages(what: str, organizer: Organizer, **without) -> None:
    if not active_managers(organizer, **without):
        raise Conflict(T_("%(what)s: nobody active would be left who may manage the team. Give another "
                          "person the permission “manage the team” first.", what=what), code="last_manager")


def begin(organizer: Organizer) -> None:
    """Lock the organizer for a change of its teams, and read the teams afresh after the lock."""
    db.session.flush()
    tx.lock(Organizer, organizer.id)
    db.session.expire_all()


# --- creating and changing teams --------------------------------------------------------------------

@dataclass
class TeamValues:
    name: str
    permissions: frozenset
    all_events: bool
    events: tuple


def clean_values(organizer: Organizer, *, name: Any, permissions: Iterable[Any], all_events: Any,
                 event_ids: Iterable[Any], team: Team | None = None) -> TeamValues:
    errors = FieldErrors()
    clean_name = ""
    with errors.check("name"):
        clean_name = _clean_name(organizer, name, team)
    chosen: set[Permission] = set()
    with errors.check("permissions"):
        for value in permissions:
            try:
                chosen.add(Permission(value))
            except ValueError:
                raise Invalid(T_("“%(value)s” is not a permission.",
                                 value=str(value)[:50]), code="permission_unknown",
                              field="permissions")
    events: list[Event] = []
    with errors.check("events"):
        events = _clean_events(organizer, event_ids) if not all_events else []
    errors.raise_if_any()
    return TeamValues(clean_name, frozenset(chosen), bool(all_events), tuple(events))


def _clean_name(organizer: Organizer, name: Any, team: Team | None) -> str:
    name = (name if isinstance(name, str) else "").strip()
    if not name:
        raise Invalid(T_("Enter a name for the team."), code="name_missing", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(T_("The name is too long: at most %(max_name)s characters.",
                         max_name=MAX_NAME), code="name_too_long", field="name")
    same = db.session.scalar(select(Team).where(Team.organizer_id == organizer.id, Team.name == name))
    if same is not None and same is not team:
        raise Invalid(T_("There is a team named “%(name)s” already.", name=name), code="name_taken", field="name")
    return name


def _clean_events(organizer: Organizer, event_ids: Iterable[Any]) -> list[Event]:
    events = []
    for raw in event_ids:
        try:
            number = parsing.parse_id(raw, label=T_("event"), field="events")
        except Invalid:
            number = None  # not an id at all: the same answer as an id of nothing
        event = db.session.get(Event, number) if number is not None else None
        if event is None or event.organizer_id != organizer.id:
            raise Invalid(T_("One of the chosen events does not exist (any more) at this organizer."),
                          code="event_unknown", field="events")
        if event not in events:
            events.append(event)
    return events


def _grant(values: TeamValues) -> Grant:
    return Grant(values.permissions, values.all_events, values.events)


def _describe(values: TeamValues | Team) -> dict:
    if isinstance(values, Team):
        perms, all_events, events = permissions_of(values), values.all_events, values.limit_events
    else:
        perms, all_events, events = [p for p in PERMISSIONS if p in values.permissions], values.all_events, values.events
    return {"permissions": [LABELS[p] for p in perms] or ["none"],
            "events": ALL if all_events else ([e.name for e in events] or ["none"])}


def create_team(organizer: Organizer, *, actor: Actor, name: Any, permissions: Iterable[Any] = (),
                all_events: Any = False, event_ids: Iterable[Any] = (), now: datetime | None = None) -> Team:
    now = now or utcnow()
    begin(organizer)
    values = clean_values(organizer, name=name, permissions=permissions, all_events=all_events, event_ids=event_ids)
    ensure_may_give(actor, organizer, _grant(values))
    team = Team(organizer=organizer, name=values.name, all_events=values.all_events, last_modified=now,
                **{p.value: p in values.permissions for p in PERMISSIONS})
    team.limit_events = list(values.events)
    db.session.add(team)
    db.session.flush()
    audit.log(actor, organizer, "organizer.team_created", data={"team": team.name, **_describe(values)}, now=now)
    return team


def ensure_unchanged(team: Team, seen: str | None) -> None:
    current = team.last_modified.isoformat() if team.last_modified else ""
    if seen is not None and seen != current:
        raise Conflict(STALE_TEAM_MESSAGE, code="stale")


def update_team(team: Team, *, actor: Actor, seen_last_modified: str | None, name: Any,
                permissions: Iterable[Any] = (), all_events: Any = False, event_ids: Iterable[Any] = (),
                now: datetime | None = None) -> list[str]:
    """Save the team's settings; returns the names of what changed (empty: nothing did)."""
    now = now or utcnow()
    organizer = team.organizer
    begin(organizer)
    ensure_unchanged(team, seen_last_modified)
    values = clean_values(organizer, name=name, permissions=permissions, all_events=all_events,
                          event_ids=event_ids, team=team)
    before = Grant.of(team)
    ensure_may_give(actor, organizer, _grant(values), before)
    if team.can_manage_team and Permission.MANAGE_TEAM not in values.permissions:
        ensure_someone_manages(T_("The team “%(name)s” cannot lose “manage the team”", name=team.name), organizer,
                               manage_team={team.id: False})
    old = {"team": team.name, **_describe(team)}
    team.name = values.name
    team.all_events = values.all_events
    team.limit_events = list(values.events)
    for p in PERMISSIONS:
        setattr(team, p.value, p in values.permissions)
    new = {"team": team.name, **_describe(values)}
    changed = [key for key in old if old[key] != new[key]]
    if changed:
        team.last_modified = max(now, (team.last_modified or now) + timedelta(microseconds=1))
        audit.log(actor, organizer, "organizer.team_changed", now=now,
                  data={"team": team.name, **{k: {"old": old[k], "new": new[k]} for k in changed}})
    return changed


def delete_team(team: Team, *, actor: Actor, now: datetime | None = None) -> None:
    organizer = team.organizer
    begin(organizer)
    ensure_someone_manages(T_("The team “%(name)s” cannot be deleted", name=team.name), organizer, without_team=team)
    live = [t for t in team.tokens if t.active]
    if live:
        raise Conflict(T_("The team “%(name)s” still has %(count)s active API token(s). Revoke them first, "
                          "so that no integration stops working unnoticed.",
                          name=team.name, count=len(live)), code="team_has_tokens")
    from .api_tokens import drop_revoked_tokens
    drop_revoked_tokens(team)
    data = {"team": team.name, **_describe(team), "members": [u.email for u in team.members] or ["none"]}
    team.members = []
    team.limit_events = []
    db.session.delete(team)
    audit.log(actor, organizer, "organizer.team_deleted", data=data, now=now)


# --- members ---------------------------------------------------------------------------------------

def remove_member(team: Team, user: User, *, actor: Actor, now: datetime | None = None) -> None:
    organizer = team.organizer
    begin(organizer)
    if user not in team.members:
        raise NotFound(T_("%(email)s is not a member of the team “%(name)s”.",
                          email=user.email, name=team.name), code="not_a_member")
    who = (T_("You cannot leave the team “%(name)s”", name=team.name) if actor.user is user else
           T_("%(email)s cannot be removed from the team “%(name)s”", email=user.email, name=team.name))
    ensure_someone_manages(who, organizer, without_member=(team, user))
    team.members.remove(user)
    audit.log(actor, organizer, "organizer.member_removed", data={"team": team.name, "email": user.email}, now=now)


def set_user_active(organizer: Organizer, user: User, *, active: bool, actor: Actor,
                    now: datetime | None = None) -> bool:
    """Deactivate (ends every session at once) or reactivate a person; False when nothing changed."""
    from .staff import end_sessions
    begin(organizer)
    if user.is_active_user == active:
        return False
    if actor.user is user:
        raise Invalid(T_("You cannot deactivate your own account."), code="deactivate_self")
    others = [t for t in user.teams if t.organizer_id != organizer.id]
    if others:
        message = (T_("%(email)s also works for other organizers, so their account cannot be deactivated here. "
                      "Remove them from this organizer's teams instead.", email=user.email) if not active else
                   T_("%(email)s also works for other organizers, so their account cannot be reactivated here. "
                      "Remove them from this organizer's teams instead.", email=user.email))
        raise Forbidden(message, code="member_elsewhere")
    if active:
        for team in teams_of(user, organizer):
            ensure_may_give(actor, organizer, Grant.of(team))
    else:
        ensure_someone_manages(T_("%(email)s cannot be deactivated", email=user.email), organizer, without_user=user)
        user.password_token_hash = None
        user.password_token_expires = None
        end_sessions(user)
    user.is_active_user = active
    audit.log(actor, organizer, "organizer.user_reactivated" if active else "organizer.user_deactivated",
              data={"email": user.email}, now=now)
    return True


def may_manage(user: User, organizer: Organizer) -> bool:
    return has_permission(teams_of(user, organizer), Permission.MANAGE_TEAM)

