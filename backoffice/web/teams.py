"""The team page of an organizer: teams, their members and API tokens, the people, the history.

Every route needs the permission to manage the team. Actions on the page (invite, remove,
deactivate, tokens) answer an htmx request with the page's body (the team cards, the people and
the history change together), a refusal with the same body showing the message next to the form
and what was typed (422). Without JavaScript they redirect back with a message, or show the page
with the refusal. A new token is shown in that answer only: it is never stored, so never again.
Creating, editing and deleting a team are plain form pages.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..domain import api_tokens, audit, invitations, teams
from ..domain.errors import DomainError, NotFound
from ..domain.models import LogEntry, Organizer
from ..domain.permissions import Permission
from ..domain.texts import T_
from ..extensions import db
from ..i18n import N_, translated, words
from .access import current_actor, require
from .errors import is_htmx

bp = Blueprint("teams", __name__)

#: the organizer's history entries this page shows
HISTORY_ACTIONS = {f"organizer.{a}" for a in (
    "team_created", "team_changed", "team_deleted", "member_invited", "invitation_resent", "member_removed",
    "invitation_accepted",
    "user_deactivated", "user_reactivated", "token_created", "token_revoked")}
#: the permissions of domain/teams.py LABELS and its scope words, here so that the catalogue holds them
PERMISSION_WORDS = (N_("view orders"), N_("change orders"), N_("view customers"), N_("change customers"),
                    N_("manage events"), N_("manage the team"), N_("all events"), N_("no events"))


def scope_text(team) -> str:
    """Which events the team may work on, in the page's language (event names as they are)."""
    if team.all_events or not team.limit_events:
        return translated(teams.scope_text(team))
    return teams.scope_text(team)


def _team_or_404(organizer: Organizer, team_id: str):
    try:
        return teams.get_team(organizer, team_id)
    except NotFound:
        abort(404)


def _member_or_404(organizer: Organizer, user_id: str):
    try:
        return teams.get_member(organizer, user_id)
    except NotFound:
        abort(404)


def _history(organizer: Organizer) -> list[LogEntry]:
    return [e for e in audit.history(organizer, limit=400) if e.action_type in HISTORY_ACTIONS][:100]


def _body_context(organizer: Organizer, **extra) -> dict:
    all_teams = teams.organizer_teams(organizer)
    team_names: dict[int, list[str]] = {}
    for team in all_teams:
        for user in team.members:
            team_names.setdefault(user.id, []).append(team.name)
    return dict(teams=all_teams, people=teams.organizer_members(organizer), team_names=team_names,
                entries=_history(organizer), labels=words(teams.LABELS), permissions_of=teams.permissions_of,
                scope_text=scope_text, has_password=invitations.has_password,
                form=request.form if request.method == "POST" else {}, **extra)


@bp.get("/<organizer>/team/")
@require(Permission.MANAGE_TEAM)
def team_page(organizer):
    return render_template("teams/page.html", **_body_context(organizer))


def _respond(organizer: Organizer, *, message: str | None = None, error: DomainError | None = None,
             action: str | None = None, **extra):
    """The answer to an action on the page (see the module's docstring)."""
    context = _body_context(organizer, notice=message, error=error.message if error else None,
                            error_action=action if error else None,
                            error_field=error.field if error else None, **extra)
    status = 422 if error is not None else 200
    if is_htmx():
        return render_template("teams/_body.html", **context), status
    if error is None and not extra:
        flash(translated(message), "success")
        return redirect(url_for(".team_page", organizer=organizer.slug), 303)
    return render_template("teams/page.html", **context), status


def _run(organizer: Organizer, action: str, change):
    """Run `change()` (which returns the message); commit, or roll back and show the refusal."""
    try:
        message, extra = change()
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return _respond(organizer, error=e, action=action)
    response = _respond(organizer, message=message, **extra)
    db.session.commit()
    return response


# --- members -----------------------------------------------------------------------------------------

@bp.post("/<organizer>/team/<team_id>/invite")
@require(Permission.MANAGE_TEAM)
def invite(organizer, team_id):
    team = _team_or_404(organizer, team_id)

    def change():
        done = invitations.invite(team, email=request.form.get("email", ""), actor=current_actor())
        if done.resent:
            return T_("A new invitation link was sent to %(email)s; the earlier one no longer works.",
                      email=done.user.email), {}
        if done.link_sent:
            return T_("%(email)s was added to the team “%(team)s”: an invitation with a link to set a password "
                      "was sent.", email=done.user.email, team=team.name), {}
        return T_("%(email)s was added to the team “%(team)s”: they were told by email and log in with their "
                  "existing account.", email=done.user.email, team=team.name), {}
    return _run(organizer, f"invite-{team.id}", change)


@bp.post("/<organizer>/team/<team_id>/members/<user_id>/remove")
@require(Permission.MANAGE_TEAM)
def remove_member(organizer, team_id, user_id):
    team = _team_or_404(organizer, team_id)
    user = _member_or_404(organizer, user_id)

    def change():
        teams.remove_member(team, user, actor=current_actor())
        return T_("%(email)s was removed from the team “%(team)s”.", email=user.email, team=team.name), {}
    return _run(organizer, f"remove-{team.id}-{user.id}", change)


@bp.post("/<organizer>/team/people/<user_id>/active")
@require(Permission.MANAGE_TEAM)
def set_active(organizer, user_id):
    user = _member_or_404(organizer, user_id)
    active = request.form.get("active") == "1"

    def change():
        changed = teams.set_user_active(organizer, user, active=active, actor=current_actor())
        if not changed and active:
            return T_("The account of %(email)s was active already.", email=user.email), {}
        if not changed:
            return T_("The account of %(email)s was deactivated already.", email=user.email), {}
        if active:
            return T_("The account of %(email)s is active again.", email=user.email), {}
        return T_("The account of %(email)s is deactivated: they were logged out and cannot log in.",
                  email=user.email), {}
    return _run(organizer, f"active-{user.id}", change)


# --- API tokens --------------------------------------------------------------------------------------

@bp.post("/<organizer>/team/<team_id>/tokens")
@require(Permission.MANAGE_TEAM)
def create_token(organizer, team_id):
    team = _team_or_404(organizer, team_id)

    def change():
        token, plain = api_tokens.create_token(team, name=request.form.get("name", ""), actor=current_actor())
        return (T_("API token “%(name)s” created for the team “%(team)s”.", name=token.name, team=team.name),
                {"new_token": plain, "new_token_team": team.id})
    response = _run(organizer, f"token-{team.id}", change)
    # the page holds the only copy of the token: never cached, never sent on as a referrer
    response = response if isinstance(response, tuple) else (response, 200)
    return (*response, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@bp.post("/<organizer>/team/tokens/<token_id>/revoke")
@require(Permission.MANAGE_TEAM)
def revoke_token(organizer, token_id):
    try:
        token = api_tokens.get_token(organizer, token_id)
    except NotFound:
        abort(404)

    def change():
        changed = api_tokens.revoke_token(token, actor=current_actor())
        if not changed:
            return T_("The API token “%(name)s” was revoked already.", name=token.name), {}
        return T_("The API token “%(name)s” was revoked: it no longer works.", name=token.name), {}
    return _run(organizer, f"revoke-{token.id}", change)


# --- creating, editing and deleting teams -------------------------------------------------------------

def _form_context(organizer: Organizer, team=None, **extra) -> dict:
    if request.method == "POST":
        typed = dict(name=request.form.get("name", ""), permissions=request.form.getlist("permissions"),
                     all_events=request.form.get("scope") == "all", events=request.form.getlist("events"))
    elif team is not None:
        typed = dict(name=team.name, permissions=[p.value for p in teams.permissions_of(team)],
                     all_events=team.all_events, events=[str(e.id) for e in team.limit_events])
    else:
        typed = dict(name="", permissions=[Permission.VIEW_ORDERS.value, Permission.VIEW_CUSTOMERS.value],
                     all_events=True, events=[])
    now_saved = {}
    if team is not None:
        now_saved = dict(team_permissions=[translated(teams.LABELS[p]) for p in teams.permissions_of(team)],
                         team_scope=scope_text(team))
    return dict(team=team, typed=typed, events=organizer.events, permissions=teams.PERMISSIONS,
                labels=words(teams.LABELS), errors={}, **now_saved, **extra)


def _values() -> dict:
    return dict(name=request.form.get("name", ""), permissions=request.form.getlist("permissions"),
                all_events=request.form.get("scope") == "all", event_ids=request.form.getlist("events"))


def _refused_form(organizer: Organizer, e: DomainError, team=None, **extra):
    db.session.rollback()
    if team is not None:
        db.session.refresh(team)
    context = _form_context(organizer, team, error=e.message, **extra)
    context["errors"] = e.errors
    return render_template("teams/form.html", **context), 422


@bp.route("/<organizer>/team/new", methods=["GET", "POST"])
@require(Permission.MANAGE_TEAM)
def create_team(organizer):
    if request.method == "GET":
        return render_template("teams/form.html", **_form_context(organizer))
    try:
        team = teams.create_team(organizer, actor=current_actor(), **_values())
    except DomainError as e:
        return _refused_form(organizer, e)
    flash(gettext("Team “%(name)s” created. Invite people to it below.", name=team.name), "success")
    response = redirect(url_for(".team_page", organizer=organizer.slug, _anchor=f"team-{team.id}"), 303)
    db.session.commit()
    return response


@bp.route("/<organizer>/team/<team_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_TEAM)
def edit_team(organizer, team_id):
    team = _team_or_404(organizer, team_id)
    seen = team.last_modified.isoformat() if team.last_modified else ""
    if request.method == "GET":
        return render_template("teams/form.html", seen=seen, **_form_context(organizer, team))
    try:
        changed = teams.update_team(team, actor=current_actor(), seen_last_modified=request.form.get("seen", ""),
                                    **_values())
    except DomainError as e:
        stale = e.code == "stale"
        # after a stale refusal, saving again applies what was typed over the newer settings
        current = (team.last_modified.isoformat() if team.last_modified else "") if stale else request.form.get("seen", "")
        return _refused_form(organizer, e, team, stale=stale, seen=current)
    flash(gettext("Team “%(name)s” saved.", name=team.name) if changed else gettext("Nothing was changed."),
          "success")
    response = redirect(url_for(".team_page", organizer=organizer.slug, _anchor=f"team-{team.id}"), 303)
    db.session.commit()
    return response


@bp.route("/<organizer>/team/<team_id>/delete", methods=["GET", "POST"])
@require(Permission.MANAGE_TEAM)
def delete_team(organizer, team_id):
    team = _team_or_404(organizer, team_id)
    context = dict(team=team, tokens=[t for t in team.tokens if t.active])
    if request.method == "GET":
        return render_template("teams/delete.html", **context)
    name = team.name
    try:
        teams.delete_team(team, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        team = _team_or_404(organizer, team_id)
        return render_template("teams/delete.html", team=team, tokens=[t for t in team.tokens if t.active],
                               error=e.message), 422
    flash(gettext("Team “%(name)s” deleted.", name=name), "success")
    response = redirect(url_for(".team_page", organizer=organizer.slug), 303)
    db.session.commit()
    return response
