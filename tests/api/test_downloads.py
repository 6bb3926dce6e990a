"""Ticket downloads through the API and the download links in orders and positions (seed 003)."""
from __future__ import annotations

from backoffice.domain import secrets
from backoffice.domain.audit import SYSTEM
from backoffice.domain.models import OrderStatus
from backoffice.extensions import db
from tests import factories

EVENT = "/api/v1/organizers/demo/events/conf/"


def test_a_paid_order_links_and_serves_its_tickets(api, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    data = api.get(f"{EVENT}orders/{order.code}/").json
    assert data["downloads"] == [{"output": "pdf", "url": f"http://backoffice.test{EVENT[:-1]}/orders/{order.code}"
                                                           "/download/pdf/"}]
    position = data["positions"][0]
    assert position["downloads"][0]["url"].endswith(f"/orderpositions/{position['id']}/download/pdf/")
    whole = api.get(f"{EVENT}orders/{order.code}/download/pdf/")
    assert whole.status_code == 200 and whole.mimetype == "application/pdf" and whole.data.startswith(b"%PDF")
    one = api.get(f"{EVENT}orderpositions/{position['id']}/download/pdf/")
    assert one.status_code == 200 and one.data.startswith(b"%PDF")


def test_unpaid_orders_and_blocked_tickets_are_403_with_the_reason(api, world):
    pending = factories.order(world.event, [world.ticket])
    paid = factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    refused = api.get(f"{EVENT}orders/{pending.code}/download/pdf/")
    assert refused.status_code == 403 and "not paid" in refused.json["detail"]
    assert api.get(f"{EVENT}orders/{pending.code}/").json["downloads"] == []
    secrets.add_block(paid.all_positions[0], actor=SYSTEM)
    db.session.commit()
    blocked = api.get(f"{EVENT}orderpositions/{paid.all_positions[0].id}/download/pdf/")
    assert blocked.status_code == 403 and "blocked" in blocked.json["detail"]
    assert api.get(f"{EVENT}orderpositions/{paid.all_positions[0].id}/").json["downloads"] == []


def test_pending_orders_download_where_the_event_allows_it(api, world):
    world.event.ticket_download_pending = True
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert api.get(f"{EVENT}orders/{order.code}/download/pdf/").status_code == 200


def test_unknown_outputs_and_objects_are_404(api, world):
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    assert api.get(f"{EVENT}orders/{order.code}/download/passbook/").status_code == 404
    assert api.get(f"{EVENT}orders/NOPE1/download/pdf/").status_code == 404
    assert api.get(f"{EVENT}orderpositions/999999/download/pdf/").status_code == 404
