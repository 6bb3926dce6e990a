"""Security headers on every kind of response: pages, htmx fragments, exports, public pages,
errors and static files."""
from __future__ import annotations

from datetime import timedelta

import pytest

from backoffice.domain import customers
from backoffice.domain.models.types import utcnow
from backoffice.extensions import db
from tests import factories

# What every response must carry, whoever asks and whatever the status.
EVERY_RESPONSE = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
CSP_DIRECTIVES = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                  "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"]


def assert_security_headers(response, cache: bool = False, referrer: str = "same-origin") -> None:
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (name, response.headers)
    assert response.headers.get("Referrer-Policy") == referrer
    directives = [d.strip() for d in response.headers.get("Content-Security-Policy", "").split(";")]
    for directive in CSP_DIRECTIVES:
        assert directive in directives, (directive, directives)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    if not cache:
        assert response.headers.get("Cache-Control") == "no-store"


@pytest.fixture
def order(world):
    order = factories.order(world.event, [world.ticket], email="anna@example.org")
    db.session.commit()
    return order


def test_back_office_page(staff, order):
    response = staff.get(f"/demo/events/conf/orders/{order.code}/")
    assert response.status_code == 200
    assert_security_headers(response)


def test_htmx_fragment(staff, order):
    response = staff.get("/search?q=anna", htmx=True)
    assert response.status_code == 200 and f">{order.code}<" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    assert_security_headers(response)


def test_htmx_action_fragment(staff, world):
    anna = factories.customer(world.organizer, email="anna@example.org")
    db.session.commit()
    response = staff.post(f"/demo/customers/{anna.identifier}/tags", {"tag": "vip"}, htmx=True)
    assert response.status_code == 200 and 'id="customer-tags"' in response.get_data(as_text=True)
    assert_security_headers(response)


def test_refused_htmx_action_fragment(staff, world):
    world.quota.size = 0
    order = factories.order(world.event, [world.ticket], status="e")
    db.session.commit()
    response = staff.post(f"/demo/events/conf/orders/{order.code}/mark_paid", {}, htmx=True)
    assert response.status_code in (400, 409, 422)
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/demo/events/conf/orders/export.csv", "/demo/orders/export.csv",
                                  "/demo/customers/export.csv"])
def test_csv_exports(staff, order, path):
    response = staff.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert_security_headers(response)


def test_customers_public_order_page(client, order):
    response = client.get(f"/demo/conf/order/{order.code}/{order.secret}/")
    assert response.status_code == 200 and order.code in response.get_data(as_text=True)
    assert_security_headers(response)


def test_password_set_page_keeps_its_stricter_referrer_policy(client, world):
    token = "t" * 43
    factories.customer(world.organizer, email="anna@example.org", password_token_hash=customers._token_hash(token),
                       password_token_expires=utcnow() + timedelta(days=1))
    db.session.commit()
    response = client.get(f"/demo/account/set-password/{token}")
    assert response.status_code == 200 and "Set your password" in response.get_data(as_text=True)
    assert_security_headers(response, referrer="no-referrer")


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_security_headers(response)


def test_redirect_to_login(client):
    response = client.get("/demo/orders/")
    assert response.status_code == 302
    assert_security_headers(response)


@pytest.mark.parametrize("htmx", [False, True])
def test_not_found_page(staff, htmx, world):
    response = staff.get("/demo/events/conf/orders/NOPE1/", htmx=htmx)
    assert response.status_code == 404
    assert_security_headers(response)


def test_forbidden_page(browser, world):
    customers_only = factories.user(org=world.organizer, can_view_orders=False, can_change_orders=False)
    db.session.commit()
    browser.login(customers_only.email)
    response = browser.get("/demo/events/conf/orders/")
    assert response.status_code == 403
    assert_security_headers(response)


def test_static_files_may_be_cached(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert_security_headers(response, cache=True)
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_no_inline_styles_or_scripts_in_templates():
    """The policy blocks them: a style attribute or inline script in a template would silently
    do nothing in the browser."""
    import re
    from pathlib import Path
    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)  # Jinja comments may name them
        if re.search(r"\sstyle=|<style|<script(?![^>]*\ssrc=)|\son[a-z]+=|javascript:", text):
            offenders.append(str(path.relative_to(templates)))
    assert offenders == []
