"""Errors of the API: always JSON, never HTML, never a 500 page.

Shapes as pretix answers them: `{"detail": "…"}` for the request as a whole, `{"field": ["…"]}`
for refused fields (several at once when several were refused). Domain errors keep their kind:
invalid 400, forbidden 403, not found 404, conflict 409.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from ..domain.errors import DomainError
from ..domain.parsing import contains_nul
from ..extensions import db
from . import PREFIX, bp

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be read.",
    401: "Authentication credentials were not provided or are not valid.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    415: "Send the request body as JSON (Content-Type: application/json).",
    500: "The request failed; nothing was changed. The error was logged.",
}
NUL_MESSAGE = "The request contains a NUL character (\\0), which no field accepts."
LOCKED_MESSAGE = "Someone else is changing this right now; nothing was changed. Try again in a moment."
#: PostgreSQL: lock not available, deadlock, serialization failure
LOCK_SQLSTATES = {"55P03", "40P01", "40001"}


class ApiError(Exception):
    """An answer the API gives as it is: status and body."""

    def __init__(self, status: int, body: dict | None = None, headers: dict | None = None):
        super().__init__(status)
        self.status = status
        self.body = body if body is not None else {"detail": MESSAGES.get(status, "Error.")}
        self.headers = headers or {}


def detail(status: int, message: str | None = None, headers: dict | None = None) -> ApiError:
    return ApiError(status, {"detail": message or MESSAGES.get(status, "Error.")}, headers)


def field_errors(errors: dict[str, str]) -> ApiError:
    return ApiError(400, {name: [message] for name, message in errors.items()})


def json_error(status: int, body: dict, headers: dict | None = None):
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def domain_body(e: DomainError) -> dict:
    if e.errors:
        return {name: [message] for name, message in e.errors.items()}
    return {"detail": e.message}


def _is_lock_failure(e: OperationalError) -> bool:
    """A lock that could not be had in time (003's 409): SQLite's busy timeout ran out, or
    PostgreSQL gave up on a lock or a deadlock."""
    code = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None)
    return code in LOCK_SQLSTATES or "database is locked" in str(e.orig)


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def before_api_request():
    """Runs before the HTML app's own checks, which would answer an API client with a page.

    URLs under /api/v1 that match no route (or not with this method) are answered here too:
    Flask handles routing errors outside any blueprint, with the HTML handlers."""
    if not is_api_request():
        return None
    if "\x00" in request.path or any(contains_nul(k) or contains_nul(v)
                                     for k, v in request.args.items(multi=True)):
        return json_error(400, {"detail": NUL_MESSAGE})
    routing = request.routing_exception
    if isinstance(routing, HTTPException) and routing.code in (404, 405):
        headers = {"Allow": ", ".join(routing.valid_methods)} if getattr(routing, "valid_methods", None) else None
        return json_error(routing.code, {"detail": MESSAGES[routing.code]}, headers)
    # The token first, then the body: read here, before the HTML app's NUL check parses it with
    # Flask's reader (which fails with a 500 page on a body nested 100,000 levels deep).
    from .auth import authenticate
    from .params import body_data
    try:
        authenticate()
        if request.method in ("POST", "PUT", "PATCH"):
            body_data()
    except ApiError as e:
        db.session.rollback()
        return json_error(e.status, e.body, e.headers)
    except HTTPException as e:  # 413: larger than MAX_CONTENT_LENGTH
        db.session.rollback()
        return json_error(e.code or 400, {"detail": MESSAGES.get(e.code or 400, "Error.")})
    return None


def init_app(app: Flask) -> None:
    # first of all before-request functions: the HTML app's NUL check would answer with a page
    app.before_request_funcs.setdefault(None, []).insert(0, before_api_request)


# On the blueprint when this module is imported, not per app: a blueprint takes no new handlers
# once registered, and the same blueprint serves every app (tests build several).
@bp.errorhandler(ApiError)
def api_error(e: ApiError):
    db.session.rollback()
    return json_error(e.status, e.body, e.headers)


@bp.errorhandler(DomainError)
def domain_error(e: DomainError):
    db.session.rollback()
    return json_error(e.status, domain_body(e))


@bp.errorhandler(HTTPException)
def http_error(e: HTTPException):
    db.session.rollback()
    status = e.code or 500
    return json_error(status, {"detail": MESSAGES.get(status, e.description or "Error.")})


@bp.errorhandler(DataError)
def value_out_of_range(e: DataError):
    # e.g. an id beyond what PostgreSQL's integer columns hold, inside a free-form part of a body
    db.session.rollback()
    log.warning("API request refused by the database: %s %s: %s", request.method, request.path, e.orig)
    return json_error(400, {"detail": "A value in the request is out of range (for example an id that is "
                                      "far too large)."})


@bp.errorhandler(OperationalError)
def database_busy(e: OperationalError):
    db.session.rollback()
    if _is_lock_failure(e):
        return json_error(409, {"detail": LOCKED_MESSAGE})
    log.exception("API request failed: %s %s", request.method, request.path)
    return json_error(500, {"detail": MESSAGES[500]})


@bp.errorhandler(Exception)
def unexpected(e: Exception):
    log.exception("API request failed: %s %s", request.method, request.path)
    db.session.rollback()
    return json_error(500, {"detail": MESSAGES[500]})


@contextmanager
def api_field_names(names: dict[str, str]):
    """Where the API calls a field otherwise than the domain (`until` → `expires`)."""
    try:
        yield
    except DomainError as e:
        if not e.errors or not set(e.errors) & set(names):
            raise
        errors = {names.get(k, k): v for k, v in e.errors.items()}
        raise type(e)(e.message, code=e.code, kind=e.kind, field=names.get(e.field, e.field), errors=errors) from None
