"""Setting up a team in real Chromium: invite a colleague who then sets a password and logs in;
create an API token that is shown once, then revoke it."""
import hashlib
import re

from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain.models import ApiToken, OutboxEmail
from backoffice.extensions import db
from tests.browser.conftest import login, screenshot


def test_invite_a_colleague_who_sets_a_password_and_logs_in(page, chromium, live_server, world):
    login(page, live_server, world.admin.email)
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()

    page.get_by_label("Invite by email").fill("not an email")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#team-error")).to_contain_text("not valid")
    expect(page.get_by_label("Invite by email")).to_have_value("not an email")

    page.get_by_label("Invite by email").fill("colleague@example.org")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#team-body [role=status]")).to_contain_text("colleague@example.org was added")
    expect(page.locator("#team-people")).to_contain_text("colleague@example.org")
    expect(page.locator("#history")).to_contain_text("Member invited")
    screenshot(page, "team")

    db.session.rollback()
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to == "colleague@example.org"))
    link = re.search(r"(/demo/team/join/\S+)", mail.body_to_send).group(1)

    context = chromium.new_context()
    other = context.new_page()
    other.goto(live_server + link)
    expect(other.get_by_role("heading", name="Set your password")).to_be_visible()
    other.get_by_label("New password").fill("a good long password")
    other.get_by_label("Repeat the password").fill("a good long password")
    other.get_by_role("button", name="Set password").click()
    expect(other.get_by_role("heading", name="Your password is set")).to_be_visible()
    other.get_by_role("link", name="Log in").click()
    login(other, live_server, "colleague@example.org", "a good long password")
    expect(other.locator("#current-user")).to_contain_text("colleague@example.org")
    context.close()
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_create_a_token_shown_once_and_revoke_it(page, live_server, world):
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/team/")
    page.get_by_label("New token, named for what uses it").fill("Shop sync")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token-value")
    expect(shown).to_be_visible()
    expect(page.locator("#new-token")).to_contain_text("shown only this once")
    plain = shown.inner_text().strip()

    db.session.rollback()
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Shop sync"))
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()

    page.reload()
    expect(page.locator("#team-body")).to_contain_text("Shop sync")
    expect(page.locator("#new-token-value")).to_have_count(0)
    assert plain not in page.content()

    page.locator("summary", has_text="Revoke…").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator("#team-body [role=status]")).to_contain_text("no longer works")
    expect(page.locator("#history")).to_contain_text("Token revoked")
    db.session.rollback()
    assert not db.session.get(ApiToken, token.id).active
    assert not page.console_errors
