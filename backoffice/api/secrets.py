"""Revoked and blocked ticket secrets of an event (seed 003), for scanners that validate offline."""
from __future__ import annotations

from flask import jsonify

from ..domain import secrets_queries
from ..domain.models import utcnow
from ..domain.permissions import Permission
from .orders import PAGE_GENERATED, event_of, page_generated
from .paging import paginated
from .params import query
from .registry import route
from .schemas.positions import BlockedListQuery, BlockedSecret, RevokedListQuery, RevokedSecret

TAG = "Ticket secrets"
EVENT = "/organizers/<organizer>/events/<event>/"


@route(EVENT + "revokedsecrets/", "GET", "List revoked ticket secrets", tag=TAG, query=RevokedListQuery,
       response=RevokedSecret, many=True, errors=(400, 401, 403, 404), headers=PAGE_GENERATED)
def list_revoked(organizer: str, event: str):
    """Default ordering -created; X-Page-Generated is the next call's created_since."""
    ev = event_of(organizer, event, Permission.VIEW_ORDERS)
    args = query(RevokedListQuery)
    generated = utcnow()
    stmt = secrets_queries.revoked_stmt(ev.id, args.created_since, args.ordering)
    response = jsonify(paginated(stmt, args.page, lambda rows: [
        RevokedSecret.model_validate(r).model_dump(mode="json") for r in rows]))
    response.headers["X-Page-Generated"] = page_generated(generated)
    return response


@route(EVENT + "blockedsecrets/", "GET", "List blocked ticket secrets", tag=TAG, query=BlockedListQuery,
       response=BlockedSecret, many=True, errors=(400, 401, 403, 404), headers=PAGE_GENERATED)
def list_blocked(organizer: str, event: str):
    """Blocked and formerly blocked secrets, most recently updated first; check `blocked`."""
    ev = event_of(organizer, event, Permission.VIEW_ORDERS)
    args = query(BlockedListQuery)
    generated = utcnow()
    stmt = secrets_queries.blocked_stmt(ev.id, args.blocked, args.updated_since)
    response = jsonify(paginated(stmt, args.page, lambda rows: [
        BlockedSecret.model_validate(r).model_dump(mode="json") for r in rows]))
    response.headers["X-Page-Generated"] = page_generated(generated)
    return response
