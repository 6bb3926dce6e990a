"""Staff access: login, logout, CSRF, organizer isolation."""

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
        if rule.endpoint in ("static", "auth.login", "main.favicon") or rule.endpoint.startswith(("public.", "public_account.")):
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
        if "POST" not in rule.methods or rule.endpoint in ("auth.login",) or rule.endpoint.startswith("public"):
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
    assert browser.get(f"/demo/events/{other_event.slug}/").status_code == 404


def test_team_limited_to_one_event_does_not_see_another(browser, world):
    factories.event(world.organizer, slug="second", name="Second event")
    limited = factories.user("limited@example.org", org=world.organizer, all_events=False, events=[world.event])
    db.session.commit()
    browser.login(limited.email)
    page = browser.get("/demo/").get_data(as_text=True)
    assert "Conference" in page and "Second event" not in page
    assert browser.get("/demo/events/second/").status_code == 404
    assert browser.get("/demo/events/conf/").status_code == 200


def test_user_without_customer_permission_gets_403(browser, world):
    viewer = factories.user("orders-only@example.org", org=world.organizer, can_view_customers=False,
                            can_change_customers=False)
    db.session.commit()
    browser.login(viewer.email)
    assert browser.get("/demo/customers/").status_code == 403
    page = browser.get("/demo/").get_data(as_text=True)
    assert "Customers" not in page


def test_unknown_page_is_a_friendly_404(staff):
    response = staff.get("/demo/events/nope/")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)
