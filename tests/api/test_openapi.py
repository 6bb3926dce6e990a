"""The OpenAPI document, its page, and schemathesis against it on the app (WSGI, in-process)."""
from __future__ import annotations

import time

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

from backoffice.api.registry import ROUTES, openapi_path
from backoffice.domain.models import OrderStatus
from backoffice.extensions import db
from tests import factories

POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance, response_headers_conformance]
NEGATIVE_CHECKS = [not_a_server_error, content_type_conformance, status_code_conformance]
EXAMPLES = 12
TIME_LIMIT = 60


def test_document_describes_every_route(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    for route in ROUTES:
        operation = doc["paths"][openapi_path(route.rule)][route.method.lower()]
        assert operation["responses"], route.endpoint
    order = doc["components"]["schemas"]["Order"]["properties"]
    assert order["total"]["type"] == "string" and "pattern" in order["total"]
    list_params = {p["name"] for p in doc["paths"]["/api/v1/organizers/{organizer}/events/{event}/orders/"]["get"]
                   ["parameters"]}
    assert {"ordering", "modified_since", "include", "exclude", "include_canceled_positions", "page"} <= list_params
    assert doc["servers"] == [{"url": "http://backoffice.test"}]


def test_docs_page_is_readable_without_scripts(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page
    assert "/api/v1/organizers/{organizer}/customers/" in page
    assert "Mark an order as paid" in page
    assert "money (string)" in page


@pytest.fixture
def fuzz_targets(world, token):
    customer = factories.customer(world.organizer)
    orders = [factories.order(world.event, [world.ticket], status=status)
              for status in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELED, OrderStatus.EXPIRED)]
    approval = factories.order(world.event, [world.ticket], require_approval=True)
    db.session.commit()
    return {"identifier": [customer.identifier], "code": [o.code for o in orders + [approval]],
            "id": [p.id for o in orders for p in o.all_positions], "local_id": ["1"], "output": ["pdf"],
            "token": token}


def _run(app, targets, mode: GenerationMode, checks, examples: int = EXAMPLES) -> int:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Token {targets['token']}"}
    started = time.monotonic()
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans(), pick=st.integers(0, 10))
        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
        def call(case, real, pick):
            nonlocal calls
            if case.path_parameters is not None and real:
                # half the cases name the demo organizer, event and existing objects
                values = {"organizer": "demo", "event": "conf"}
                for name, options in targets.items():
                    if name != "token":
                        values[name] = options[pick % len(options)]
                case.path_parameters = {k: values.get(k, v) for k, v in case.path_parameters.items()}
            response = case.call(headers=headers)
            case.validate_response(response, checks=checks)
            calls += 1

        call()
        db.session.rollback()
    assert time.monotonic() - started < TIME_LIMIT
    return calls


def test_schemathesis_positive_cases_follow_the_document(app, fuzz_targets):
    assert _run(app, fuzz_targets, GenerationMode.POSITIVE, POSITIVE_CHECKS) > 100


def test_schemathesis_negative_cases_are_refused_without_server_errors(app, fuzz_targets):
    assert _run(app, fuzz_targets, GenerationMode.NEGATIVE, NEGATIVE_CHECKS, examples=8) > 50
