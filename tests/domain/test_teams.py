"""The team rules, without HTTP: teams, members, deactivation, invitations, API tokens."""
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from backoffice.domain import api_tokens, invitations, teams
from backoffice.domain.audit import Actor, history
from backoffice.domain.errors import Conflict, Forbidden, Invalid, NotFound
from backoffice.domain.models import ApiToken, OutboxEmail, Team, User
from backoffice.domain.passwords import UNUSABLE, verify_password
from backoffice.domain.permissions import Permission
from backoffice.extensions import db
from backoffice.mail import HIDDEN
from tests import factories

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ALL_PERMS = [p.value for p in teams.PERMISSIONS]


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def admin_team(world) -> Team:
    return world.admin.teams[0]


def actions(world) -> list[str]:
    return [e.action_type for e in history(world.organizer)]


# --- teams -----------------------------------------------------------------------------------------

def test_create_team_with_permissions_and_events(world, actor):
    team = teams.create_team(world.organizer, actor=actor, name=" Box office ",
                             permissions=["can_view_orders", "can_change_orders"], all_events=False,
                             event_ids=[str(world.event.id)], now=NOW)
    assert team.name == "Box office"
    assert team.can_view_orders and team.can_change_orders and not team.can_view_customers
    assert not team.all_events and team.limit_events == [world.event]
    assert team.last_modified == NOW
    entry = history(world.organizer)[0]
    assert entry.action_type == "organizer.team_created"
    assert entry.data["permissions"] == ["view orders", "change orders"]
    assert entry.data["events"] == ["Conference"]


def test_create_team_refuses_missing_and_duplicate_names_and_foreign_events(world, actor):
    other = factories.event(factories.organizer())
    with pytest.raises(Invalid) as e:
        teams.create_team(world.organizer, actor=actor, name=admin_team(world).name, event_ids=[other.id])
    assert set(e.value.errors) == {"name", "events"}
    with pytest.raises(Invalid, match="Enter a name"):
        teams.create_team(world.organizer, actor=actor, name="   ")
    with pytest.raises(Invalid, match="not a permission"):
        teams.create_team(world.organizer, actor=actor, name="X", permissions=["is_superuser"])


def test_nobody_gives_a_permission_they_do_not_hold(world):
    limited = factories.user(org=world.organizer, can_change_orders=False, can_view_customers=False,
                             can_change_customers=False)
    with pytest.raises(Forbidden, match="“change orders”"):
        teams.create_team(world.organizer, actor=Actor(user=limited), name="More", permissions=["can_change_orders"],
                          all_events=True)
    with pytest.raises(Forbidden, match="“view customers”"):
        teams.create_team(world.organizer, actor=Actor(user=limited), name="More", permissions=["can_view_customers"])
    assert db.session.scalar(select(Team).where(Team.name == "More")) is None


def test_a_manager_of_one_event_cannot_give_all_events_or_another_event(world):
    second = factories.event(world.organizer, name="Second")
    limited = factories.user(org=world.organizer, all_events=False, events=[world.event])
    me = Actor(user=limited)
    with pytest.raises(Forbidden, match="for all events"):
        teams.create_team(world.organizer, actor=me, name="A", permissions=["can_view_orders"], all_events=True)
    with pytest.raises(Forbidden, match="“Second”"):
        teams.create_team(world.organizer, actor=me, name="B", permissions=["can_view_orders"],
                          event_ids=[second.id])
    with pytest.raises(Forbidden, match="no access to it"):
        teams.create_team(world.organizer, actor=me, name="C", permissions=["can_view_customers"],
                          event_ids=[second.id])
    team = teams.create_team(world.organizer, actor=me, name="D", permissions=["can_view_orders"],
                             event_ids=[world.event.id])
    assert team.limit_events == [world.event]


def test_update_team_logs_old_and_new_and_moves_last_modified(world, actor):
    team = teams.create_team(world.organizer, actor=actor, name="Helpers", permissions=["can_view_orders"],
                             all_events=True, now=NOW)
    seen = team.last_modified.isoformat()
    changed = teams.update_team(team, actor=actor, seen_last_modified=seen, name="Helpers",
                                permissions=["can_view_orders", "can_view_customers"], all_events=True,
                                now=NOW + timedelta(minutes=1))
    assert changed == ["permissions"]
    assert team.can_view_customers
    assert team.last_modified == NOW + timedelta(minutes=1)
    entry = history(world.organizer)[0]
    assert entry.action_type == "organizer.team_changed"
    assert entry.data["permissions"] == {"old": ["view orders"], "new": ["view orders", "view customers"]}


def test_update_team_refuses_a_stale_form(world, actor):
    team = teams.create_team(world.organizer, actor=actor, name="Helpers", all_events=True, now=NOW)
    with pytest.raises(Conflict, match="changed by someone else") as e:
        teams.update_team(team, actor=actor, seen_last_modified="2020-01-01T00:00:00+00:00", name="Other")
    assert e.value.code == "stale"


def test_editing_keeps_rights_the_editor_lacks_but_does_not_add_them(world):
    team = teams.create_team(world.organizer, actor=Actor(user=world.admin), name="Finance",
                             permissions=["can_change_orders"], all_events=True)
    me = Actor(user=factories.user(org=world.organizer, can_change_orders=False, can_view_orders=False))
    # renaming is fine: "change orders" was there already
    teams.update_team(team, actor=me, seen_last_modified=team.last_modified.isoformat(), name="Money",
                      permissions=["can_change_orders"], all_events=True)
    assert team.name == "Money"
    with pytest.raises(Forbidden, match="“view orders”"):
        teams.update_team(team, actor=me, seen_last_modified=team.last_modified.isoformat(), name="Money",
                          permissions=["can_change_orders", "can_view_orders"], all_events=True)


def test_the_last_managing_team_cannot_lose_the_permission_or_be_deleted(world, actor):
    team = admin_team(world)
    with pytest.raises(Conflict, match="nobody active would be left"):
        teams.update_team(team, actor=actor, seen_last_modified=None, name=team.name,
                          permissions=["can_view_orders"], all_events=True)
    with pytest.raises(Conflict, match="cannot be deleted"):
        teams.delete_team(team, actor=actor)


def test_delete_team_logs_members_and_refuses_while_tokens_are_active(world, actor):
    team = teams.create_team(world.organizer, actor=actor, name="Temp", permissions=["can_view_orders"],
                             all_events=True)
    invitations.invite(team, email="temp@example.org", actor=actor)
    token, _ = api_tokens.create_token(team, name="Sync", actor=actor)
    with pytest.raises(Conflict, match="active API token"):
        teams.delete_team(team, actor=actor)
    api_tokens.revoke_token(token, actor=actor)
    teams.delete_team(team, actor=actor)
    db.session.flush()
    assert db.session.scalar(select(Team).where(Team.name == "Temp")) is None
    assert db.session.scalar(select(ApiToken)) is None
    entry = history(world.organizer)[0]
    assert entry.action_type == "organizer.team_deleted" and entry.data["members"] == ["temp@example.org"]
    # the account stays
    assert db.session.scalar(select(User).where(User.email == "temp@example.org")) is not None


def test_get_team_of_another_organizer_is_not_found(world):
    other = factories.user(org=factories.organizer())
    with pytest.raises(NotFound):
        teams.get_team(world.organizer, other.teams[0].id)
    for bad in ("x", "9" * 30, "-1", "", None):
        with pytest.raises(NotFound):
            teams.get_team(world.organizer, bad)


# --- members ---------------------------------------------------------------------------------------

def test_invite_creates_an_account_without_password_and_queues_a_hidden_link(world, actor):
    team = admin_team(world)
    done = invitations.invite(team, email="New.Person@Example.org", actor=actor, now=NOW)
    user = done.user
    assert done.link_sent and not done.resent and user in team.members
    assert user.password_hash == UNUSABLE and user.password_token_expires == NOW + invitations.INVITATION_VALID
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.to == "New.Person@example.org" and mail.template == "staff_invitation"
    assert HIDDEN in mail.body and "/team/join/" not in mail.body.replace(f"/team/join/{HIDDEN}", "")
    assert "/demo/team/join/" in mail.body_to_send
    entry = history(world.organizer)[0]
    assert entry.action_type == "organizer.member_invited"
    assert entry.data == {"team": team.name, "email": user.email, "new_account": True, "password_link_sent": True}


def test_the_invitation_link_sets_the_password_once(world, actor):
    user = invitations.invite(admin_team(world), email="new@example.org", actor=actor).user
    token = db.session.scalar(select(OutboxEmail)).body_to_send.split(
        "/team/join/")[1].split()[0]
    assert user.password_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitations.user_for_token(world.organizer, token) is user
    version = user.session_version
    invitations.set_password_with_token(organizer=world.organizer, token=token, password="a fine password")
    assert verify_password(user.password_hash, "a fine password")
    assert user.password_token_hash is None and user.session_version == version + 1
    with pytest.raises(NotFound, match="no longer valid"):
        invitations.user_for_token(world.organizer, token)
    other = factories.organizer()
    with pytest.raises(NotFound):
        invitations.user_for_token(other, "x" * 43)


def test_invitation_link_refuses_a_short_password_and_works_only_for_its_organizer(world, actor):
    user = invitations.invite(admin_team(world), email="new@example.org", actor=actor).user
    token = db.session.scalar(select(OutboxEmail)).body_to_send.split("/team/join/")[1].split()[0]
    with pytest.raises(Invalid, match="at least 8"):
        invitations.set_password_with_token(organizer=world.organizer, token=token, password="short")
    with pytest.raises(NotFound):
        invitations.user_for_token(factories.organizer(), token)


def test_inviting_an_existing_user_adds_and_notifies_without_a_link(world, actor):
    team = teams.create_team(world.organizer, actor=actor, name="Second", permissions=["can_view_orders"],
                             all_events=True)
    colleague = factories.user("colleague@example.org")
    done = invitations.invite(team, email="COLLEAGUE@example.org", actor=actor)
    assert done.user is colleague and not done.link_sent
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.template == "staff_added" and mail.body_to_send is None
    with pytest.raises(Invalid, match="already"):
        invitations.invite(team, email="colleague@example.org", actor=actor)


def test_invite_refuses_bad_emails_and_teams_with_rights_the_inviter_lacks(world, actor):
    for bad in ("", "not-an-email", "x" * 300 + "@example.org"):
        with pytest.raises(Invalid):
            invitations.invite(admin_team(world), email=bad, actor=actor)
    limited = factories.user(org=world.organizer, can_change_customers=False)
    with pytest.raises(Forbidden, match="change customers"):
        invitations.invite(admin_team(world), email="x@example.org", actor=Actor(user=limited))


def test_inviting_a_member_who_never_set_a_password_sends_a_new_link(world, actor):
    team = admin_team(world)
    first = invitations.invite(team, email="new@example.org", actor=actor, now=NOW)
    old_hash = first.user.password_token_hash
    again = invitations.invite(team, email="new@example.org", actor=actor, now=NOW + timedelta(days=8))
    assert again.resent and again.link_sent and again.user is first.user
    assert first.user.password_token_hash != old_hash
    assert first.user.password_token_expires == NOW + timedelta(days=8) + invitations.INVITATION_VALID
    assert team.members.count(first.user) == 1
    assert actions(world)[0] == "organizer.invitation_resent"
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 2


def test_the_last_manager_cannot_remove_themselves(world, actor):
    team = admin_team(world)
    with pytest.raises(Conflict, match="You cannot leave"):
        teams.remove_member(team, world.admin, actor=actor)
    assert world.admin in team.members
    other = factories.user(org=world.organizer)
    teams.remove_member(team, world.admin, actor=actor)  # someone else still manages
    assert world.admin not in team.members
    assert "organizer.member_removed" in actions(world)
    assert other.is_active_user


def test_deactivate_ends_sessions_refuses_oneself_and_members_elsewhere(world, actor):
    colleague = factories.user(org=world.organizer)
    version = colleague.session_version
    assert teams.set_user_active(world.organizer, colleague, active=False, actor=actor)
    assert not colleague.is_active_user and colleague.session_version == version + 1
    assert not teams.set_user_active(world.organizer, colleague, active=False, actor=actor)
    assert teams.set_user_active(world.organizer, colleague, active=True, actor=actor)
    assert actions(world)[:2] == ["organizer.user_reactivated", "organizer.user_deactivated"]
    with pytest.raises(Invalid, match="your own account"):
        teams.set_user_active(world.organizer, world.admin, active=False, actor=actor)
    elsewhere = factories.user(org=world.organizer)
    factories.user(org=factories.organizer()).teams[0].members.append(elsewhere)
    with pytest.raises(Forbidden, match="other organizers"):
        teams.set_user_active(world.organizer, elsewhere, active=False, actor=actor)


def test_deactivated_managers_do_not_count(world, actor):
    other = factories.user(org=world.organizer)
    teams.set_user_active(world.organizer, other, active=False, actor=actor)
    with pytest.raises(Conflict):
        teams.remove_member(admin_team(world), world.admin, actor=actor)


# --- API tokens --------------------------------------------------------------------------------------

def test_token_is_returned_once_and_stored_hashed(world, actor):
    token, plain = api_tokens.create_token(admin_team(world), name="Shop sync", actor=actor, now=NOW)
    assert len(plain) >= 43 and token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in str(token.__dict__.values())
    assert api_tokens.token_for(plain) is token
    assert history(world.organizer)[0].data == {"team": admin_team(world).name, "token": "Shop sync"}
    api_tokens.touch_token(token, NOW + timedelta(hours=1))
    assert token.last_used == NOW + timedelta(hours=1)
    assert api_tokens.revoke_token(token, actor=actor)
    assert not api_tokens.revoke_token(token, actor=actor)
    assert api_tokens.token_for(plain) is None
    assert actions(world)[0] == "organizer.token_revoked"


def test_token_needs_a_name_and_the_teams_rights(world, actor):
    with pytest.raises(Invalid, match="Enter a name"):
        api_tokens.create_token(admin_team(world), name=" ", actor=actor)
    limited = factories.user(org=world.organizer, can_manage_events=False)
    with pytest.raises(Forbidden, match="manage events"):
        api_tokens.create_token(admin_team(world), name="Mine", actor=Actor(user=limited))


def test_token_of_another_organizer_is_not_found(world, actor):
    other = factories.user(org=factories.organizer())
    token, _ = api_tokens.create_token(other.teams[0], name="Theirs", actor=Actor(user=other))
    with pytest.raises(NotFound):
        api_tokens.get_token(world.organizer, token.id)
    assert api_tokens.token_for("x" * 500) is None and api_tokens.token_for(None) is None


def test_manage_team_is_a_permission(world):
    assert Permission.MANAGE_TEAM.value == "can_manage_team"
    assert teams.may_manage(world.admin, world.organizer)


# --- the migration ---------------------------------------------------------------------------------

def test_migration_lets_existing_administrators_manage_the_team(tmp_path):
    """Teams that could manage events may manage the team after the upgrade; the others may not."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from backoffice import create_app
    from tests.test_migrations import _drop, _old_organizer_and_event, _row, _scratch_url
    url, name = _scratch_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            upgrade(revision="0003")
            with db.engine.begin() as conn:
                org, _ = _old_organizer_and_event(conn, NOW)
                flags = dict(organizer_id=org, all_events=True, can_view_orders=True, can_change_orders=True,
                             can_view_customers=True, can_change_customers=True)
                admins = _row(conn, "team", name="Admins", can_manage_events=True, **flags)
                helpers = _row(conn, "team", name="Helpers", can_manage_events=False, **flags)
                # rows that refer to the teams: a rebuild of `team` on SQLite would fail on them
                user = _row(conn, "user", email="old@example.org", fullname="Old", password_hash="x",
                            is_active_user=True, created=NOW)
                conn.execute(text("INSERT INTO team_member (team_id, user_id) VALUES (:t, :u)"),
                             {"t": admins, "u": user})
                _row(conn, "api_token", team_id=admins, name="Scanner", token_hash="h" * 64, active=True,
                     created=NOW)
            upgrade()
            with db.engine.connect() as conn:
                rows = dict(conn.execute(text("SELECT id, can_manage_team FROM team")).all())
                assert bool(rows[admins]) is True and bool(rows[helpers]) is False
                assert conn.execute(text("SELECT count(*) FROM team WHERE last_modified IS NULL")).scalar() == 0
                assert conn.execute(text("SELECT team_id, user_id FROM team_member")).all() == [(admins, user)]
                assert conn.execute(text("SELECT name, last_used FROM api_token")).all() == [("Scanner", None)]
            db.session.remove()
            db.engine.dispose()
    finally:
        _drop(name)
