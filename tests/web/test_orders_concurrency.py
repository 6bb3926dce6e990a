"""Two staff members acting at the same moment, over real HTTP against a threaded server:
exactly one wins, the other gets a clear conflict, the quota is never oversold."""
from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from backoffice.domain import availability
from backoffice.domain.models import Order, OrderStatus
from backoffice.extensions import db
from tests import factories


class Session:
    """One logged-in staff browser: its own cookies and CSRF token."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{base}/login").read().decode()
        self.csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        self.post("/login", {"email": email, "password": factories.PASSWORD, "csrf_token": self.csrf}, htmx=False)
        page = self.opener.open(f"{base}/").read().decode()
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def post(self, path: str, data: dict, htmx: bool = True) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode(), method="POST")
        if htmx:
            request.add_header("HX-Request", "true")
            request.add_header("X-CSRFToken", self.csrf)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def at_once(*calls):
    """Run the calls in threads released together; their results in call order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()
    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def two_staff(live_server, world):
    colleague = factories.user(org=world.organizer)
    emails = world.admin.email, colleague.email
    db.session.commit()
    sessions = Session(live_server, emails[0]), Session(live_server, emails[1])
    # End this session's read transaction: on SQLite a snapshot older than the logins could not write.
    db.session.rollback()
    return sessions


def test_two_staff_on_the_last_ticket_of_a_quota(two_staff, world):
    world.quota.size = 2
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    first = factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED)
    second = factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED)
    db.session.commit()
    anna, ben = two_staff
    paths = [f"/demo/events/conf/orders/{o.code}/mark_paid" for o in (first, second)]
    seen = [o.last_modified.isoformat() for o in (first, second)]
    db.session.rollback()
    results = at_once(lambda: anna.post(paths[0], {"seen": seen[0]}), lambda: ben.post(paths[1], {"seen": seen[1]}))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 422], results
    loser = next(body for status, body in results if status == 422)
    assert "Only 0 tickets left in quota &#39;Regular&#39;, 1 needed." in loser
    db.session.expire_all()
    assert sorted(db.session.get(Order, o.id).status for o in (first, second)) == ["e", "p"]
    assert availability.quota_used(world.quota) == 2 == world.quota.size


def test_two_staff_on_the_same_order(two_staff, world):
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PENDING)
    db.session.commit()
    seen = order.last_modified.isoformat()
    base = f"/demo/events/conf/orders/{order.code}/"
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post(base + "cancel", {"seen": seen}), lambda: ben.post(base + "mark_paid", {"seen": seen}))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 422], results
    loser = next(body for status, body in results if status == 422)
    assert "changed by someone else" in loser
    db.session.expire_all()
    final = db.session.get(Order, order.id)
    winner = 0 if results[0][0] == 200 else 1
    assert final.status == ("c" if winner == 0 else "p")
    assert len(final.payments) == (0 if winner == 0 else 1)
