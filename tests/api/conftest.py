"""API fixtures: team tokens and a client that sends them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice.domain import api_tokens
from backoffice.domain.audit import Actor
from backoffice.domain.models import Team
from backoffice.extensions import db
from tests import factories

EXAMPLES = Path(__file__).parent / "seed_examples"


def seed_example(name: str):
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def make_token(team: Team, name: str = "Sync") -> str:
    _token, plain = api_tokens.create_token(team, name=name, actor=Actor(label="test"))
    db.session.commit()
    return plain


def team_of(user) -> Team:
    return db.session.scalars(select(Team).where(Team.members.contains(user)).order_by(Team.id)).first()


class Api:
    """The test client with `Authorization: Token …` on every request."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Token {self.token}"
        headers.update(extra or {})
        return headers

    def get(self, url: str, **kw):
        return self.client.get(url, headers=self.headers(kw.pop("headers", None)), **kw)

    def send(self, method: str, url: str, body=None, content_type: str = "application/json", raw: bytes | None = None,
             headers: dict | None = None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        return self.client.open(url, method=method, data=data, content_type=content_type,
                                headers=self.headers(headers))

    def post(self, url: str, body=None, **kw):
        return self.send("POST", url, body, **kw)

    def patch(self, url: str, body=None, **kw):
        return self.send("PATCH", url, body, **kw)

    def put(self, url: str, body=None, **kw):
        return self.send("PUT", url, body, **kw)

    def delete(self, url: str, **kw):
        return self.send("DELETE", url, None, **kw)


@pytest.fixture
def token(world) -> str:
    """A token of the world admin's team (every permission, all events)."""
    return make_token(team_of(world.admin))


@pytest.fixture
def api(client, token) -> Api:
    return Api(client, token)


@pytest.fixture
def api_as(client):
    """api_as(token) → a client sending that token (None: no Authorization header)."""
    return lambda plain: Api(client, plain)


def limited_team(world, events, **permissions) -> Team:
    user = factories.user(org=world.organizer, all_events=False, events=events, **permissions)
    db.session.commit()
    return team_of(user)
