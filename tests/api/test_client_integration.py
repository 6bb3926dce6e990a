"""A pretix API client of the kind integrations write (a small class on `requests` that follows
`next` links, syncs with modified_since and X-Page-Generated, marks orders paid, reads tickets and
blocks one), run unchanged against a live server: only the base URL and the token differ."""
from __future__ import annotations

import requests
from sqlalchemy import select

from backoffice.domain.models import OrderPosition
from backoffice.extensions import db
from tests import factories


class PretixClient:
    def __init__(self, base_url: str, token: str, organizer: str, event: str):
        self.api = f"{base_url}/api/v1/organizers/{organizer}/events/{event}"
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json, text/javascript",
                                     "Authorization": f"Token {token}"})

    def _all(self, url: str, params: dict | None = None) -> tuple[list[dict], str | None]:
        response = self.session.get(url, params=params, timeout=30)
        response.raise_for_status()
        generated = response.headers.get("X-Page-Generated")
        page = response.json()
        results = list(page["results"])
        while page["next"]:
            page = self.session.get(page["next"], timeout=30).json()
            results += page["results"]
        return results, generated

    def orders_since(self, since: str | None) -> tuple[list[dict], str | None]:
        params = {"testmode": "false", "ordering": "-last_modified"}
        if since:
            params["modified_since"] = since
        return self._all(f"{self.api}/orders/", params)

    def mark_paid(self, code: str) -> dict:
        response = self.session.post(f"{self.api}/orders/{code}/mark_paid/", json={"send_email": True}, timeout=30)
        response.raise_for_status()
        return response.json()

    def positions(self, **filters) -> list[dict]:
        return self._all(f"{self.api}/orderpositions/", filters)[0]

    def block(self, position_id: int, name: str = "api:sync") -> dict:
        response = self.session.post(f"{self.api}/orderpositions/{position_id}/add_block/", data='{"name": "%s"}' % name,
                                     headers={"Content-Type": "text/json"}, timeout=30)
        response.raise_for_status()
        return response.json()


def test_a_typical_integration_runs_unchanged(app, live_server, monkeypatch, world, token):
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    for _ in range(55):
        factories.order(world.event, [world.ticket])
    db.session.commit()
    client = PretixClient(live_server, token, "demo", "conf")

    everything, since = client.orders_since(None)
    assert len(everything) == 55 and since
    assert client.orders_since(since)[0] == []

    paid = client.mark_paid(everything[0]["code"])
    assert paid["status"] == "p"
    changed, _ = client.orders_since(since)
    assert [o["code"] for o in changed] == [everything[0]["code"]]

    tickets = client.positions(order=paid["code"])
    assert len(tickets) == 1 and tickets[0]["order"] == paid["code"]
    assert len(client.positions()) == 55
    blocked = client.block(tickets[0]["id"])
    assert blocked["blocked"] == ["api:sync"]
    db.session.rollback()
    assert db.session.scalar(select(OrderPosition.blocked).where(OrderPosition.id == tickets[0]["id"])) == ["api:sync"]
