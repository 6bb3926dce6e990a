"""The team page: who may open it, teams, invitations and their link, removing and deactivating
people, API tokens shown once; refusals keep what was typed and change nothing."""
import hashlib
import re

import pytest
from flask import g
from sqlalchemy import func, select

from backoffice.domain import api_tokens
from backoffice.domain.audit import Actor
from backoffice.domain.models import ApiToken, LogEntry, OutboxEmail, Team, User
from backoffice.extensions import db
from backoffice.mail import HIDDEN
from tests import factories
from tests.conftest import Browser, csrf_from


def text(response) -> str:
    return response.get_data(as_text=True)


def admin_team(world) -> Team:
    """The team world.admin was put in: the organizer's first team (a test may add others, and
    without an order the database may return any of them)."""
    db.session.expire_all()  # the request may have changed members this session had loaded
    return db.session.scalar(select(Team).where(Team.organizer_id == world.organizer.id).order_by(Team.id))


def log_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(LogEntry.id)))


def state() -> tuple:
    """Everything a team action could change."""
    db.session.rollback()
    teams = db.session.execute(select(Team.id, Team.name, Team.last_modified, Team.can_manage_team,
                                      Team.all_events)).all()
    users = db.session.execute(select(User.id, User.is_active_user, User.session_version)).all()
    members = [(t.id, sorted(u.id for u in t.members)) for t in db.session.scalars(select(Team))]
    tokens = db.session.execute(select(ApiToken.id, ApiToken.active)).all()
    return (sorted(teams), sorted(users), sorted(members), sorted(tokens), log_count(),
            db.session.scalar(select(func.count(OutboxEmail.id))))


def forget_loaded_user():
    """Test requests share the test's app context, where Flask-Login keeps the user it loaded and
    Flask-WTF the CSRF token; a real request of another client starts without them."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


# --- access ------------------------------------------------------------------------------------------

def test_team_page_lists_teams_members_tokens_and_history(staff, world):
    api_tokens.create_token(admin_team(world), name="Shop sync", actor=Actor(user=world.admin))
    db.session.commit()
    response = staff.get("/demo/team/")
    assert response.status_code == 200
    html = text(response)
    assert admin_team(world).name in html and world.admin.email in html
    assert "Shop sync" in html and "never" in html and "manage the team" in html
    assert "Token created" in html  # the history
    assert 'href="/demo/team/"' in text(staff.get("/demo/"))  # the link in the top bar


def test_without_manage_team_every_route_is_403_and_the_link_is_hidden(app, browser, world):
    user = factories.user("helper@example.org", org=world.organizer, can_manage_team=False)
    db.session.commit()
    browser.login(user.email)
    assert 'href="/demo/team/"' not in text(browser.get("/demo/"))
    team = admin_team(world)
    before = state()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("teams."):
            continue
        url = rule.build({"organizer": "demo", "team_id": str(team.id), "user_id": str(world.admin.id),
                          "token_id": "1"})[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = browser.get(url) if method == "GET" else browser.post(url, {"email": "x@example.org"})
            assert response.status_code == 403, (method, url)
    assert state() == before


def test_other_organizers_teams_people_and_tokens_are_404(staff, world):
    other_org = factories.organizer(slug="other")
    other = factories.user(org=other_org)
    token, _ = api_tokens.create_token(other.teams[0], name="Theirs", actor=Actor(user=other))
    db.session.commit()
    before = state()
    team_id = other.teams[0].id
    assert staff.get("/other/team/").status_code == 404
    assert staff.get(f"/demo/team/{team_id}/edit").status_code == 404
    assert staff.post(f"/demo/team/{team_id}/invite", {"email": "x@example.org"}).status_code == 404
    assert staff.post(f"/demo/team/{admin_team(world).id}/members/{other.id}/remove").status_code == 404
    assert staff.post(f"/demo/team/people/{other.id}/active", {"active": "0"}).status_code == 404
    assert staff.post(f"/demo/team/tokens/{token.id}/revoke").status_code == 404
    assert staff.post(f"/demo/team/{team_id}/delete").status_code == 404
    assert state() == before


# --- teams -------------------------------------------------------------------------------------------

def test_create_team_and_edit_it(staff, world):
    response = staff.post("/demo/team/new", {"name": "Box office", "permissions": ["can_view_orders"],
                                             "scope": "some", "events": [str(world.event.id)]})
    assert response.status_code == 303
    team = db.session.scalar(select(Team).where(Team.name == "Box office"))
    assert team.limit_events == [world.event] and team.can_view_orders and not team.can_change_orders
    page = text(staff.get("/demo/team/", follow_redirects=True))
    assert "Box office" in page and "Team created" in page
    form = text(staff.get(f"/demo/team/{team.id}/edit"))
    seen = re.search(r'name="seen" value="([^"]+)"', form).group(1)
    response = staff.post(f"/demo/team/{team.id}/edit", {"name": "Front desk", "seen": seen, "scope": "all",
                                                         "permissions": ["can_view_orders", "can_change_orders"]})
    assert response.status_code == 303
    db.session.refresh(team)
    assert team.name == "Front desk" and team.all_events and team.can_change_orders
    assert db.session.scalar(select(LogEntry).order_by(LogEntry.id.desc())).action_type == "organizer.team_changed"


def test_refused_team_form_keeps_what_was_typed(staff, world):
    before = state()
    response = staff.post("/demo/team/new", {"name": "<script>x</script>" + "y" * 300,
                                             "permissions": ["can_view_orders", "can_change_customers"],
                                             "scope": "some", "events": ["9" * 30]})
    assert response.status_code == 422
    html = text(response)
    assert "at most 200 characters" in html and "does not exist" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert re.search(r'value="can_change_customers" id="perm-can_change_customers" checked', html)
    assert 'id="scope-some" checked' in html
    assert state() == before


def test_a_stale_team_edit_is_refused_and_shows_the_newer_settings(staff, world):
    team = admin_team(world)
    form = text(staff.get(f"/demo/team/{team.id}/edit"))
    seen = re.search(r'name="seen" value="([^"]+)"', form).group(1)
    first = staff.post(f"/demo/team/{team.id}/edit", {"name": "Renamed", "seen": seen, "scope": "all",
                                                      "permissions": [p for p in re.findall(r'value="(can_[a-z_]+)"[^>]*checked', form)]})
    assert first.status_code == 303
    before = state()
    second = staff.post(f"/demo/team/{team.id}/edit", {"name": "Mine", "seen": seen, "scope": "all",
                                                       "permissions": ["can_view_orders", "can_manage_team"]})
    assert second.status_code == 422
    html = text(second)
    assert "changed by someone else" in html and "Now saved: name “Renamed”" in html
    assert 'value="Mine"' in html
    assert state() == before
    newer = re.search(r'name="seen" value="([^"]+)"', html).group(1)
    assert newer != seen
    third = staff.post(f"/demo/team/{team.id}/edit", {"name": "Mine", "seen": newer, "scope": "all",
                                                      "permissions": ["can_view_orders", "can_manage_team"]})
    assert third.status_code == 303


def test_a_user_cannot_give_rights_they_lack(browser, world):
    user = factories.user("limited@example.org", org=world.organizer, can_change_orders=False,
                          can_change_customers=False)
    db.session.commit()
    browser.login(user.email)
    before = state()
    response = browser.post("/demo/team/new", {"name": "Power", "permissions": ["can_change_orders"],
                                               "scope": "all"})
    assert response.status_code == 422
    assert "You cannot give the permission “change orders” for all events" in text(response)
    invite = browser.post(f"/demo/team/{admin_team(world).id}/invite", {"email": "x@example.org"}, htmx=True)
    assert invite.status_code == 422 and "“change orders”" in text(invite)
    assert 'value="x@example.org"' in text(invite)
    assert state() == before


def test_delete_team_asks_first_and_refuses_the_last_managing_team(staff, world):
    team = admin_team(world)
    page = text(staff.get(f"/demo/team/{team.id}/delete"))
    assert "Delete the team" in page and "cannot be undone" in page
    before = state()
    response = staff.post(f"/demo/team/{team.id}/delete")
    assert response.status_code == 422 and "nobody active would be left" in text(response)
    assert state() == before
    staff.post("/demo/team/new", {"name": "Temp", "permissions": ["can_view_orders"], "scope": "all"})
    temp = db.session.scalar(select(Team).where(Team.name == "Temp"))
    assert staff.post(f"/demo/team/{temp.id}/delete").status_code == 303
    assert db.session.get(Team, temp.id) is None


# --- invitations ---------------------------------------------------------------------------------------

def test_invite_queues_a_mail_whose_link_sets_a_password_to_log_in_with(app, staff, world):
    team = admin_team(world)
    response = staff.post(f"/demo/team/{team.id}/invite", {"email": "colleague@example.org"}, htmx=True)
    assert response.status_code == 200
    html = text(response)
    assert "colleague@example.org was added" in html and "invited" in html and "Member invited" in html
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.to == "colleague@example.org" and "invited you to the team" in mail.body
    # other staff reading the outbox never see the link
    assert HIDDEN in mail.body and mail.body.count("/team/join/") == 1
    shown = staff.get(f"/demo/outbox/{mail.id}/")
    assert shown.status_code == 200 and "invited you to the team" in text(shown)
    outbox = text(shown)
    link = re.search(r"http://backoffice.test(/demo/team/join/\S+)", mail.body_to_send).group(1)
    assert link not in outbox and link.rsplit("/", 1)[1] not in outbox

    # the page offers a new link to who has not set a password yet
    assert "Send colleague@example.org a new invitation link" in html
    visitor = Browser(app.test_client())
    forget_loaded_user()
    page = visitor.client.get(link)
    assert page.status_code == 200 and "colleague@example.org" in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    token = csrf_from(page)
    forget_loaded_user()
    mismatch = visitor.client.post(link, data={"password": "long enough 1", "repeat": "other", "csrf_token": token})
    assert mismatch.status_code == 422 and "not the same" in text(mismatch)
    forget_loaded_user()
    done = visitor.client.post(link, data={"password": "long enough 1", "repeat": "long enough 1",
                                           "csrf_token": token})
    assert done.status_code == 200 and "Your password is set" in text(done)
    forget_loaded_user()
    assert visitor.client.get(link).status_code == 404  # used up
    forget_loaded_user()
    visitor.login("colleague@example.org", "long enough 1")
    assert visitor.get("/demo/").status_code == 200


def test_invite_refusals_keep_the_email_and_change_nothing(staff, world):
    team = admin_team(world)
    before = state()
    for email, message in [("not an email", "not valid"), (world.admin.email, "already"),
                           ("<script>@x", "not valid"), ("a" * 5000, "too long")]:
        response = staff.post(f"/demo/team/{team.id}/invite", {"email": email}, htmx=True)
        assert response.status_code == 422, email
        assert message in text(response)
        assert "<script>@x" not in text(response)
    plain = staff.post(f"/demo/team/{team.id}/invite", {"email": "not an email"})
    assert plain.status_code == 422 and 'value="not an email"' in text(plain)
    assert state() == before


# --- removing and deactivating --------------------------------------------------------------------------

def test_remove_member_and_the_last_manager_cannot_leave(staff, world):
    team = admin_team(world)
    before = state()
    refused = staff.post(f"/demo/team/{team.id}/members/{world.admin.id}/remove", htmx=True)
    assert refused.status_code == 422 and "You cannot leave" in text(refused)
    assert state() == before
    colleague = factories.user("colleague@example.org", org=world.organizer, can_manage_team=False)
    team.members.append(colleague)
    db.session.commit()
    response = staff.post(f"/demo/team/{team.id}/members/{colleague.id}/remove")
    assert response.status_code == 303
    assert colleague not in admin_team(world).members
    assert "removed from the team" in text(staff.get("/demo/team/"))


def test_deactivate_logs_the_person_out_and_refuses_oneself(app, staff, world):
    colleague = factories.user("colleague@example.org", org=world.organizer)
    db.session.commit()
    other = Browser(app.test_client())
    forget_loaded_user()
    other.login(colleague.email)
    forget_loaded_user()
    before = state()
    refused = staff.post(f"/demo/team/people/{world.admin.id}/active", {"active": "0"}, htmx=True)
    assert refused.status_code == 422 and "your own account" in text(refused)
    assert state() == before
    forget_loaded_user()
    response = staff.post(f"/demo/team/people/{colleague.id}/active", {"active": "0"}, htmx=True)
    assert response.status_code == 200 and "is deactivated" in text(response)
    forget_loaded_user()
    assert other.get("/demo/").status_code == 302  # logged out
    forget_loaded_user()
    again = staff.post(f"/demo/team/people/{colleague.id}/active", {"active": "1"}, htmx=True)
    assert again.status_code == 200 and "active again" in text(again)


# --- API tokens ---------------------------------------------------------------------------------------

def test_token_is_shown_once_and_only_its_hash_is_stored(staff, world):
    team = admin_team(world)
    response = staff.post(f"/demo/team/{team.id}/tokens", {"name": "Shop sync"}, htmx=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    plain = re.search(r'id="new-token-value">([^<]+)<', html).group(1)
    assert "shown only this once" in html
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in text(staff.get("/demo/team/"))
    entries = db.session.scalars(select(LogEntry)).all()
    assert plain not in str([e.data for e in entries])
    # without JavaScript the same: shown on the answer page
    page = staff.post(f"/demo/team/{team.id}/tokens", {"name": "Other"})
    assert page.status_code == 200 and "shown only this once" in text(page)


def test_token_refusal_keeps_the_name_and_revoke_works(staff, world):
    team = admin_team(world)
    before = state()
    refused = staff.post(f"/demo/team/{team.id}/tokens", {"name": "x" * 300}, htmx=True)
    assert refused.status_code == 422 and "at most 200" in text(refused) and "x" * 300 in text(refused)
    assert state() == before
    token, plain = api_tokens.create_token(team, name="Old", actor=Actor(user=world.admin))
    db.session.commit()
    response = staff.post(f"/demo/team/tokens/{token.id}/revoke", htmx=True)
    assert response.status_code == 200 and "revoked" in text(response)
    assert api_tokens.token_for(plain) is None
    again = staff.post(f"/demo/team/tokens/{token.id}/revoke", htmx=True)
    assert again.status_code == 200 and "revoked already" in text(again)


@pytest.mark.parametrize("value", ["9" * 30, "-1", "x", "²", "0"])
def test_hostile_ids_in_paths_are_404(staff, world, value):
    before = state()
    assert staff.get(f"/demo/team/{value}/edit").status_code == 404
    assert staff.post(f"/demo/team/{value}/invite", {"email": "a@example.org"}).status_code == 404
    assert staff.post(f"/demo/team/tokens/{value}/revoke").status_code == 404
    assert staff.post(f"/demo/team/people/{value}/active", {"active": "0"}).status_code == 404
    assert staff.get(f"/demo/team/join/{value}").status_code == 404
    assert state() == before


# --- two managers at once -------------------------------------------------------------------------

def test_two_managers_removing_each_other_at_once_leave_one(live_server, world):
    """Each alone would be allowed; together they would leave nobody. The organizer lock makes
    the second wait and then see the first one's change."""
    from tests.web.test_orders_concurrency import Session, at_once
    team = admin_team(world)
    colleague = factories.user("colleague@example.org")
    team.members.append(colleague)
    db.session.commit()
    ids = team.id, world.admin.id, colleague.id
    anna, ben = Session(live_server, world.admin.email), Session(live_server, colleague.email)
    db.session.rollback()
    results = at_once(lambda: anna.post(f"/demo/team/{ids[0]}/members/{ids[2]}/remove", {}),
                      lambda: ben.post(f"/demo/team/{ids[0]}/members/{ids[1]}/remove", {}))
    statuses = sorted(status for status, _ in results)
    db.session.rollback()
    assert len(admin_team(world).members) == 1
    # the loser was refused (nobody would be left), or had lost their place in the organizer already
    assert statuses[0] == 200 and statuses[1] in (404, 422), results
