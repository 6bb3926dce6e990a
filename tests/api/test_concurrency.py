"""Twenty clients marking orders paid at once for the last ticket: one wins, the quota holds."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from backoffice.domain.models import Order, OrderPayment, OrderStatus
from backoffice.extensions import db
from tests import factories


def test_twenty_concurrent_mark_paid_on_the_last_ticket(live_server, world, token):
    world.quota.size = 1
    expired = [factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED) for _ in range(20)]
    db.session.commit()
    codes = [o.code for o in expired]

    def mark_paid(code):
        response = requests.post(f"{live_server}/api/v1/organizers/demo/events/conf/orders/{code}/mark_paid/",
                                 json={"send_email": False}, headers={"Authorization": f"Token {token}"}, timeout=60)
        return response.status_code, response.headers.get("Content-Type")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(mark_paid, codes))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400, 409}, statuses
    assert all(kind == "application/json" for _, kind in results)
    db.session.rollback()
    paid = db.session.scalar(select(func.count()).select_from(Order).where(Order.status == OrderStatus.PAID))
    assert paid == 1
    assert db.session.scalar(select(func.count()).select_from(OrderPayment)) == 1
