"""Absolute links in mails and on pages: BASE_URL when it is configured, otherwise the address
the request came to (a server started on another port links to that port)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backoffice.domain.models import OutboxEmail
from backoffice.extensions import db
from tests import factories

ORIGIN = "http://localhost:5055"


@pytest.fixture
def order(world):
    order = factories.order(world.event, [world.ticket], email="c@example.org")
    db.session.commit()
    return order


def _resend_link(staff, order) -> OutboxEmail:
    page = staff.get(f"/demo/events/conf/orders/{order.code}/", base_url=ORIGIN).get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    response = staff.post(f"/demo/events/conf/orders/{order.code}/resend_link", {"seen": seen}, htmx=True,
                          base_url=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.scalars(select(OutboxEmail)).one()


def _order_links(text: str) -> list[str]:
    return re.findall(r"https?://\S+/order/\S+", text)


def test_without_base_url_mail_links_use_the_request_origin(app, staff, order, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", None)
    mail = _resend_link(staff, order)
    links = _order_links(mail.body)
    assert links and all(link.startswith(ORIGIN + "/") for link in links), mail.body


def test_without_base_url_the_order_page_links_to_the_request_origin(app, staff, order, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", None)
    html = staff.get(f"/demo/events/conf/orders/{order.code}/", base_url=ORIGIN).get_data(as_text=True)
    href = re.search(r'href="([^"]+)" id="order-link"', html).group(1)
    assert href.startswith(ORIGIN + "/")


def test_configured_base_url_wins(app, staff, order, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://tickets.example.org")
    mail = _resend_link(staff, order)
    links = _order_links(mail.body)
    assert links and all(link.startswith("https://tickets.example.org/") for link in links), mail.body


def test_base_url_is_unset_without_the_environment_variable(monkeypatch):
    from backoffice.config import Config
    monkeypatch.delenv("BASE_URL", raising=False)
    assert Config().BASE_URL is None
    monkeypatch.setenv("BASE_URL", "https://tickets.example.org/")
    assert Config().BASE_URL == "https://tickets.example.org"
