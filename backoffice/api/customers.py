"""Customers (seed 000): list, detail, create, PATCH, PUT, anonymize; DELETE is refused."""
from __future__ import annotations

from flask import jsonify

from ..domain import customer_queries, customers
from ..domain.models import Customer as CustomerRow, Organizer
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .errors import detail
from .paging import paginated
from .params import body, present, query
from .registry import route
from .schemas.customers import Customer, CustomerCreate, CustomerFields, CustomerListQuery

TAG = "Customers"
LIST = "/organizers/<organizer>/customers/"
ONE = "/organizers/<organizer>/customers/<identifier>/"


def serialize(customer: CustomerRow) -> dict:
    return Customer.model_validate(customer).model_dump(mode="json")


def _load(organizer: Organizer, identifier: str, *, for_update: bool = False) -> CustomerRow:
    # identifiers are 7 characters: a longer value names nobody (and is not worth a query)
    if len(identifier) > 32:
        raise detail(404, "There is no customer with this identifier.")
    return customers.get_customer(organizer, identifier, for_update=for_update)


@route(LIST, "GET", "List customers", tag=TAG, query=CustomerListQuery, response=Customer, many=True,
       errors=(400, 401, 403, 404))
def list_customers(organizer: str):
    """All customers of the organizer, oldest first; `email` matches regardless of case."""
    org = auth.organizer_for(organizer, Permission.VIEW_CUSTOMERS)
    args = query(CustomerListQuery)
    filters = customer_queries.CustomerFilters(email=args.email, sort="joined")
    stmt = customer_queries.customers_statement(org, filters, with_tags=False)
    return jsonify(paginated(stmt, args.page, lambda rows: [serialize(c) for c in rows]))


@route(ONE, "GET", "Show a customer", tag=TAG, response=Customer, errors=(401, 403, 404))
def show_customer(organizer: str, identifier: str):
    org = auth.organizer_for(organizer, Permission.VIEW_CUSTOMERS)
    return jsonify(serialize(_load(org, identifier)))


@route(LIST, "POST", "Create a customer", tag=TAG, body=CustomerCreate, response=Customer, status=201,
       errors=(400, 401, 403))
def create_customer(organizer: str):
    """`send_email` (default false) mails a link to set a password; `password` sets one directly."""
    org = auth.organizer_for(organizer, Permission.CHANGE_CUSTOMERS)
    data = body(CustomerCreate)
    actor = auth.actor()
    fields = data.model_dump(include={"external_identifier", "phone", "name_parts", "locale", "notes"}
                             & present(data))
    customer = customers.create_customer(organizer=org, actor=actor, email=data.email, password=data.password,
                                         send_email=data.send_email, **fields)
    _apply_flags(customer, data, present(data))
    db.session.commit()
    return jsonify(serialize(customer)), 201


def _apply_flags(customer: CustomerRow, data: CustomerFields, sent: set[str]) -> None:
    """Blocking goes through set_active, as in the back office: it also ends a live password link."""
    actor = auth.actor()
    if "is_verified" in sent and data.is_verified != customer.is_verified:
        customers.update_customer(customer, actor=actor, is_verified=data.is_verified)
    if "is_active" in sent and data.is_active != customer.is_active:
        customers.set_active(customer, active=data.is_active, actor=actor)


def _update(organizer: str, identifier: str, sent_only: bool):
    org = auth.organizer_for(organizer, Permission.CHANGE_CUSTOMERS)
    customer = _load(org, identifier, for_update=True)
    data = body(CustomerFields)
    sent = present(data) if sent_only else set(CustomerFields.model_fields)
    editable = {"external_identifier", "email", "phone", "name_parts", "locale", "notes"} & sent
    fields = data.model_dump(include=editable)
    if fields:
        customers.update_customer(customer, actor=auth.actor(), **fields)
    _apply_flags(customer, data, sent)
    db.session.commit()
    return jsonify(serialize(customer))


@route(ONE, "PATCH", "Change some fields of a customer", tag=TAG, body=CustomerFields, response=Customer,
       errors=(400, 401, 403, 404, 409))
def patch_customer(organizer: str, identifier: str):
    """Only the fields sent change; identifier, name, dates and password cannot be changed."""
    return _update(organizer, identifier, sent_only=True)


@route(ONE, "PUT", "Replace a customer's fields", tag=TAG, body=CustomerFields, response=Customer,
       errors=(400, 401, 403, 404, 409))
def put_customer(organizer: str, identifier: str):
    """Every field: those not sent go back to their defaults (empty, active, not verified)."""
    return _update(organizer, identifier, sent_only=False)


@route(ONE + "anonymize/", "POST", "Anonymize a customer", tag=TAG, response=Customer, errors=(401, 403, 404))
def anonymize_customer(organizer: str, identifier: str):
    """Erases the personal data and detaches the orders; a second call changes nothing and answers 200."""
    org = auth.organizer_for(organizer, Permission.CHANGE_CUSTOMERS)
    customer = _load(org, identifier, for_update=True)
    customers.anonymize_customer(customer, actor=auth.actor())
    db.session.commit()
    return jsonify(serialize(customer))


@route(ONE, "DELETE", "Customers cannot be deleted", tag=TAG, errors=(401, 403, 404, 405), status=405)
def delete_customer(organizer: str, identifier: str):
    """Customers are never deleted: anonymize them instead."""
    org = auth.organizer_for(organizer, Permission.CHANGE_CUSTOMERS)
    _load(org, identifier)
    raise detail(405, "Customers cannot be deleted; anonymize them instead.",
                 {"Allow": "GET, PUT, PATCH, HEAD, OPTIONS"})
