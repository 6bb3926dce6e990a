"""The JSON API at /api/v1, compatible with the pretix shapes of seeds 000 and 003.

Views parse the request, call the same domain functions as the HTML views and serialize the
result through the pydantic models in `schemas/`; the OpenAPI document is generated from those
models and the route registry (`registry.py`), so shape and documentation cannot drift apart.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PREFIX = "/api/v1"


def register_api(app: Flask) -> None:
    from ..extensions import csrf
    from . import (customers, docs, downloads, errors, invoices, order_actions, order_change, order_changes,  # noqa: F401
                   order_create, orders, payment_actions, payments, position_actions, position_changes, positions,
                   secrets)
    errors.init_app(app)
    csrf.exempt(bp)
    app.register_blueprint(bp)
