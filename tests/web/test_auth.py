"""Staff access: login, logout, CSRF, organizer isolation."""

from flask import g

from backoffice.domain.models import LoginFailure
from backoffice.extensions import db
from tests import factories
from tests.conftest import csrf_from


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Log in to Backoffice" in response.get_data(as_text=True)


def test_login_and_logout(browser, world):
    browser.login(world.admin.email)
    page = browser.get("/", follow_redirects=True)
    assert page.status_code == 200
    assert "Conference" in page.get_data(as_text=True)
    response = browser.post("/logout")
    assert response.status_code == 302
    assert browser.get("/demo/").status_code == 302  # back to login


def test_wrong_password_refused_without_revealing_the_email(browser, world):
    browser.csrf = csrf_from(browser.client.get("/login"))
    wrong = browser.client.post("/login", data={"email": world.admin.email, "password": "nope",
                                                "csrf_token": browser.csrf})
    unknown = browser.client.post("/login", data={"email": "nobody@example.org", "password": "nope",
                                                  "csrf_token": browser.csrf})
    assert wrong.status_code == unknown.status_code == 401
    assert "Email address or password is wrong." in wrong.get_data(as_text=True)
    assert "Email address or password is wrong." in unknown.get_data(as_text=True)
    assert browser.get("/demo/").status_code == 302


def test_repeated_failures_are_slowed_down(browser, world):
    browser.csrf = csrf_from(browser.client.get("/login"))
    for _ in range(5):
        browser.client.post("/login", data={"email": world.admin.email, "password": "nope", "csrf_token": browser.csrf})
    assert db.session.query(LoginFailure).count() == 5
    # even the right password waits now
    response = browser.client.post("/login", data={"email": world.admin.email, "password": factories.PASSWORD,
                                                   "csrf_token": browser.csrf})
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"email": world.admin.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused_when_logged_in(staff):
    response = staff.post("/logout", csrf=False)
    assert response.status_code == 400
    assert staff.get("/demo/").status_code == 200  # still logged in


def test_login_redirect_only_to_local_paths(browser, world):
    browser.csrf = csrf_from(browser.client.get("/login"))
    response = browser.client.post("/login?next=https://evil.example/", data={
        "email": world.admin.email, "password": factories.PASSWORD, "csrf_token": browser.csrf})
    assert response.headers["Location"] == "/"


def _all_blueprint_urls(app, world):
    """Every GET route of the HTML blueprints, filled with the world's slugs."""
    values = {"organizer": world.organizer.slug, "event": world.event.slug}
    urls = []
    for rule in app.url_map.iter_rules():
        # /healthz is public on purpose (monitors have no login) and shows no data: tests/ops
        if rule.endpoint in ("static", "auth.login", "main.favicon", "health.healthz") or rule.endpoint.startswith(("public.", "public_account.", "api.")):
            continue
        if "GET" not in rule.methods:
            continue
        if not set(rule.arguments) <= set(values):
            continue
        urls.append(rule.build({k: values[k] for k in rule.arguments})[1])
    return urls


def test_every_page_needs_a_login(app, client, world):
    urls = _all_blueprint_urls(app, world)
    assert len(urls) >= 4
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


def test_every_post_route_needs_a_login(app, client, world):
    # a valid CSRF token of an anonymous session, so that only the missing login can refuse
    token = csrf_from(client.get("/login"))
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("auth.login",) or rule.endpoint.startswith(("public", "api.")):
            continue
        values = {arg: "x" for arg in rule.arguments}
        values.update({"organizer": world.organizer.slug, "event": world.event.slug})
        url = rule.build(values)[1]
        response = client.post(url, headers={"X-CSRFToken": token})
        assert response.status_code == 302, (url, response.status_code)
        assert "/login" in response.headers["Location"], url
        checked += 1
    assert checked >= 20


def test_other_organizers_pages_are_404(app, browser, world):
    other = factories.organizer(slug="other")
    other_event = factories.event(other, slug="otherconf")
    db.session.commit()
    browser.login(world.admin.email)
    assert browser.get("/other/").status_code == 404
    assert browser.get(f"/other/events/{other_event.slug}/").status_code == 404
    assert browser.get("/other/orders/").status_code == 404
    assert browser.get("/other/customers/").status_code == 404
    assert browser.get("/other/team/").status_code == 404
    assert browser.get(f"/demo/events/{other_event.slug}/").status_code == 404
    assert browser.get(f"/other/events/{other_event.slug}/settings").status_code == 404
    assert browser.get(f"/other/events/{other_event.slug}/dates/").status_code == 404
    assert browser.get("/other/events/new").status_code == 404


def test_team_limited_to_one_event_does_not_see_another(browser, world):
    factories.event(world.organizer, slug="second", name="Second event")
    limited = factories.user("limited@example.org", org=world.organizer, all_events=False, events=[world.event])
    db.session.commit()
    browser.login(limited.email)
    page = browser.get("/demo/").get_data(as_text=True)
    assert "Conference" in page and "Second event" not in page
    assert browser.get("/demo/events/second/").status_code == 404
    assert browser.get("/demo/events/conf/").status_code == 200
    assert browser.get("/demo/events/second/settings").status_code == 404
    assert browser.get("/demo/events/second/dates/").status_code == 404
    assert browser.get("/demo/events/conf/settings").status_code == 200
    assert browser.get("/demo/events/new").status_code == 403  # creating needs all events


def test_user_without_customer_permission_gets_403(browser, world):
    viewer = factories.user("orders-only@example.org", org=world.organizer, can_view_customers=False,
                            can_change_customers=False)
    db.session.commit()
    browser.login(viewer.email)
    assert browser.get("/demo/customers/").status_code == 403
    page = browser.get("/demo/").get_data(as_text=True)
    assert "Customers" not in page


def test_only_who_may_manage_the_team_sees_the_team_pages(browser, world):
    helper = factories.user("helper@example.org", org=world.organizer, can_manage_team=False)
    db.session.commit()
    browser.login(helper.email)
    assert browser.get("/demo/team/").status_code == 403
    assert browser.get("/demo/team/new").status_code == 403
    assert browser.post("/demo/team/new", {"name": "Mine", "permissions": ["can_manage_team"]}).status_code == 403
    assert "/demo/team/" not in browser.get("/demo/").get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(staff):
    response = staff.get("/demo/events/nope/")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


# --- throttling per account and per address ------------------------------------------------------

def attempt(browser, email, password="nope", address="10.0.0.1"):
    if browser.csrf is None:
        browser.csrf = csrf_from(browser.client.get("/login"))
    return browser.client.post("/login", data={"email": email, "password": password, "csrf_token": browser.csrf},
                               environ_base={"REMOTE_ADDR": address})


def test_own_successful_login_does_not_reset_the_count_of_another_account(browser, world):
    me = factories.user("me@example.org", org=world.organizer)
    db.session.commit()
    for _ in range(4):
        assert attempt(browser, world.admin.email).status_code == 401
    # a login to one's own account in between used to clear every failure of the address
    assert attempt(browser, me.email, factories.PASSWORD).status_code == 302
    browser.post("/logout")
    browser.csrf = None
    assert attempt(browser, world.admin.email).status_code == 401
    refused = attempt(browser, world.admin.email, factories.PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.get_data(as_text=True)
    assert db.session.query(LoginFailure).filter_by(account=world.admin.email).count() == 5


def test_failures_count_per_account_across_addresses(browser, world):
    for i in range(5):
        assert attempt(browser, world.admin.email.upper(), address=f"10.0.1.{i}").status_code == 401
    refused = attempt(browser, world.admin.email, factories.PASSWORD, address="10.0.2.1")
    assert refused.status_code == 429
    assert "for this account" in refused.get_data(as_text=True)


def test_failures_count_per_address_across_accounts(browser, world):
    for i in range(5):
        assert attempt(browser, f"guess{i}@example.org").status_code == 401
    refused = attempt(browser, world.admin.email, factories.PASSWORD)
    assert refused.status_code == 429 and "from your address" in refused.get_data(as_text=True)
    # another address is not slowed down by them
    assert attempt(browser, world.admin.email, factories.PASSWORD, address="10.9.9.9").status_code == 302


def test_successful_login_clears_only_its_own_accounts_failures(browser, world):
    assert attempt(browser, world.admin.email).status_code == 401
    assert attempt(browser, "someone@example.org").status_code == 401
    assert attempt(browser, world.admin.email, factories.PASSWORD).status_code == 302
    assert {f.account for f in db.session.query(LoginFailure)} == {"someone@example.org"}


# --- logging out ends the session on the server ----------------------------------------------------

def copy_of_session_cookie(browser):
    return browser.client.get_cookie("session").value


def forget_loaded_user():
    """Test requests share the test's app context, where Flask-Login keeps the user it loaded;
    a real request starts without it and loads the user from the cookie."""
    g.pop("_login_user", None)


def client_with_cookie(app, value):
    forget_loaded_user()
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_cookie_copied_before_logout_no_longer_works(app, staff):
    copied = copy_of_session_cookie(staff)
    assert client_with_cookie(app, copied).get("/demo/").status_code == 200
    assert staff.post("/logout").status_code == 302
    response = client_with_cookie(app, copied).get("/demo/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_new_password_ends_open_sessions(app, staff, world):
    from backoffice.domain import staff as staff_accounts
    copied = copy_of_session_cookie(staff)
    staff_accounts.set_password(world.admin, "a-brand-new-password")
    db.session.commit()
    forget_loaded_user()
    assert staff.get("/demo/").status_code == 302
    assert client_with_cookie(app, copied).get("/demo/").status_code == 302
    staff.csrf = None
    assert attempt(staff, world.admin.email, "a-brand-new-password").status_code == 302
    assert staff.get("/demo/").status_code == 200


def test_login_after_logout_works_again(staff, world):
    staff.post("/logout")
    staff.login(world.admin.email)
    assert staff.get("/demo/").status_code == 200
