"""Quick search from the top bar: orders and customers of every organizer the user may see."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import Select, or_, select

from ..domain.models import Event
from ..domain.quick_search import QuickResults, quick_search
from ..domain.permissions import Permission, has_permission
from .errors import is_htmx
from .orders import customer_url, order_detail_url

bp = Blueprint("search", __name__)


def _scope() -> tuple[list[int] | Select, dict[int, int] | None, list[int]]:
    """(the events whose orders the user may see: their ids, or a select of them when the user
    sees all events of an organizer, which the searches read as a subquery instead of a query
    of their own; {event id: organizer id} of a list of ids; organizer ids whose customers they
    may see)."""
    teams = current_user.teams  # read with the user (staff.session_user)
    all_events_orgs: set[int] = set()
    events: dict[int, int] = {}
    customer_orgs: set[int] = set()
    for team in teams:
        if has_permission([team], Permission.VIEW_ORDERS):
            if team.all_events:
                all_events_orgs.add(team.organizer_id)
            else:
                events.update((e.id, e.organizer_id) for e in team.limit_events)
        if has_permission([team], Permission.VIEW_CUSTOMERS):
            customer_orgs.add(team.organizer_id)
    if all_events_orgs:
        in_scope = Event.organizer_id.in_(sorted(all_events_orgs))
        every = select(Event.id).where(or_(in_scope, Event.id.in_(sorted(events))) if events else in_scope)
        return every, None, sorted(customer_orgs)
    return sorted(events), events, sorted(customer_orgs)


def _search(text: str) -> QuickResults:
    event_ids, event_organizers, organizer_ids = _scope()
    return quick_search(text, event_ids, organizer_ids, event_organizers=event_organizers)


@bp.get("/search")
@login_required
def quick():
    text = (request.args.get("q") or "").strip()[:200]
    results = _search(text) if text else QuickResults(query="", orders=[], customers=[])
    if is_htmx():
        return render_template("search/_results.html", results=results)
    # Enter in the box: an exact order code or customer identifier opens it directly.
    if request.args.get("go") and results.exact_order is not None:
        return redirect(order_detail_url(results.exact_order), 303)
    if request.args.get("go") and results.exact_customer is not None:
        return redirect(customer_url(results.exact_customer), 303)
    return render_template("search/page.html", results=results)
