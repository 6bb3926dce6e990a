"""Orders: lists per event and per organizer, the detail page, and one POST route per action.

Every action answers an htmx request with the partial it changed (the same template the detail
page includes) and, on refusal, the same partial with the message next to the button (422).
A plain form post (no JavaScript) is answered with a redirect back to the order and a message.
Approve and deny also sit in the rows of the order lists: a form there sends `list_url`, and the
same route answers with that row instead (or redirects back to the list).
"""
from __future__ import annotations

from flask import Blueprint, url_for

from ...domain import orders
from ...domain.names import scheme_fields
from ...domain.providers import provider_name
from ...i18n import translated

bp = Blueprint("orders", __name__)


@bp.app_template_global("customer_url")
def customer_url(customer) -> str | None:
    """Link to a customer's page in the back office."""
    if customer is None:
        return None
    return url_for("customers.detail", organizer=customer.organizer.slug, identifier=customer.identifier)


@bp.app_template_global("provider_name")
def _provider_name(identifier: str) -> str:
    """The provider's name in the page's language."""
    return translated(provider_name(identifier))


@bp.app_template_global("name_fields")
def _name_fields(scheme: str) -> list[tuple[str, str]]:
    return scheme_fields(scheme)


@bp.app_template_global("order_detail_url")
def order_detail_url(order) -> str:
    return url_for("orders.detail", organizer=order.event.organizer.slug, event=order.event.slug, code=order.code)


@bp.app_template_global("order_allows")
def order_allows(order, action: str) -> bool:
    """Whether the order's state allows `action`: the rule is the domain's, templates only ask."""
    return action in orders.allowed_actions(order)


from . import actions, change, create, detail, fields, invoices, lists, payments, positions, tickets  # noqa: E402,F401  (routes)
