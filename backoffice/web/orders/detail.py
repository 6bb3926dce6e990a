"""The order page, and how every action on it answers: the changed region, or the row of the list it came from."""
from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ...domain import audit, order_queries, orders, parsing
from ...domain.errors import DomainError, Invalid, NotFound
from ...domain.models import Event
from ...domain.order_queries import OrderFilters, OrderRow
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ...i18n import N_, translated
from ..access import require
from ..errors import is_htmx
from ..listing import ListArgs

from . import bp


def load_order(event: Event, code: str):
    order = order_queries.load_order_for_detail(event, code)
    if order is None:
        abort(404)
    return order


def page_context(order, **extra) -> dict:
    return dict(order=order, event=order.event, totals=orders.totals(order),
                actions=orders.allowed_actions(order), likely=orders.likely_action(order),
                seen=order.last_modified.isoformat(), entries=audit.history(order),
                order_url=orders.order_url(order), form=request.form if request.method == "POST" else {},
                today=date.today().isoformat(), **extra)


@bp.get("/<organizer>/events/<event>/orders/<code>/")
@require(Permission.VIEW_ORDERS)
def detail(organizer, event, code):
    order = load_order(event, code)
    return render_template("orders/detail.html", **page_context(order))


# --- actions -----------------------------------------------------------------------------------------

# The regions of the detail page; an action swaps the one it changed and refreshes the others out
# of band, so that every form on the page carries the order's new last_modified.
REGIONS = {
    "summary": "orders/_summary.html",
    "details": "orders/_details.html",
    "invoice_address": "orders/_invoice_address.html",
    "positions": "orders/_positions.html",
    "payments": "orders/_payments.html",
    "invoices": "orders/_invoices.html",
    "mails": "orders/_mails.html",
}
FORCE_HINT = {"mark_paid": N_("%(message)s Tick 'Overbook anyway' to mark it as paid regardless."),
              "extend": N_("%(message)s Tick 'Overbook anyway' to extend it regardless.")}


def _error_message(error: DomainError, action: str) -> str:
    if error.code == "quota_exceeded" and action in FORCE_HINT:
        return T_(FORCE_HINT[action], message=error.message)
    return error.message


def respond(event: Event, code: str, region: str, *, action: str, message: str | None = None,
             error: DomainError | None = None):
    list_url = _list_url()
    if list_url is not None:
        return _respond_in_list(event, code, list_url, action=action, message=message, error=error)
    if not is_htmx():
        if error is not None:
            flash(translated(_error_message(error, action)), "danger")
        elif message:
            flash(translated(message), "success")
        return redirect(url_for("orders.detail", organizer=event.organizer.slug, event=event.slug, code=code), 303)
    order = load_order(event, code)
    context = page_context(order, message=message, error=_error_message(error, action) if error else None,
                       error_action=action, error_field=getattr(error, "field", None),
                       error_fields=getattr(error, "errors", None) or {})
    html = render_template(REGIONS[region], **context)
    if error is not None:
        return Markup(html), 422
    others = [render_template(t, oob=True, **context) for name, t in REGIONS.items() if name != region]
    others.append(render_template("orders/_history_oob.html", **context))
    return Markup(html + "".join(others)), 200


# --- actions started from a row of an order list ----------------------------------------------------

def _list_url() -> str | None:
    """The list page a row action was sent from; only a path on this site, never another host."""
    target = request.form.get("list_url") or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or urlsplit(target).netloc:
        return None
    return target


def _respond_in_list(event: Event, code: str, list_url: str, *, action: str, message: str | None,
                     error: DomainError | None):
    text = _row_error_message(error, code, action) if error is not None else None
    if not is_htmx():
        flash(translated(text or message), "danger" if error is not None else "success")
        return redirect(list_url, 303)
    organizer_wide = urlsplit(list_url).path == url_for("orders.organizer_list", organizer=event.organizer.slug)
    html = render_template("orders/_row.html", row=_list_row(event, code, list_url), list_url=list_url,
                           event=None if organizer_wide else event, message=message, error=text)
    return Markup(html), 422 if error is not None else 200


def _row_error_message(error: DomainError, code: str, action: str) -> str:
    # The refused row is re-rendered with the order's current state, so "reload" is already done.
    if error.code == "stale":
        return T_("Order %(code)s was changed by someone else in the meantime. The row now shows its current state.",
                  code=code)
    return _error_message(error, action)


def _list_row(event: Event, code: str, list_url: str) -> OrderRow:
    """The order's row as the list shows it, counting canceled parts as the list's filters say."""
    args = ListArgs(MultiDict(parse_qsl(urlsplit(list_url).query)))
    f = OrderFilters(code=code,
                     include_canceled_positions=bool(args.boolean("include_canceled_positions")),
                     include_canceled_fees=bool(args.boolean("include_canceled_fees")))
    page = order_queries.list_page([event.id], event.organizer_id, f, order_queries.clean_ordering(None))
    if not page.items:
        abort(404)
    return page.items[0]


def run_action(event: Event, code: str, action: str, partial: str, change):
    """Run one domain action for the order `code`; commit on success, roll back on refusal."""
    order = get_or_404(event, code)
    try:
        message = change(order)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        return respond(event, code, partial, action=action, error=e)
    return respond(event, code, partial, action=action, message=message)


def get_or_404(event: Event, code: str):
    try:
        return orders.get_order(event, code)
    except NotFound:
        abort(404)


def seen_state() -> str | None:
    return request.form.get("seen") or None


def checked(name: str) -> bool:
    return request.form.get(name) in ("on", "true", "1", "yes")


def email_note(order, sent: bool) -> str:
    """The end of an action's message when a mail went out (part of a sentence, so it starts with a space)."""
    return T_(" — email sent to %(email)s", email=order.email) if sent and order.email else ""


def action_route(name: str, partial: str = "summary"):
    def decorator(view):
        endpoint = view.__name__
        url = f"/<organizer>/events/<event>/orders/<code>/{name}"
        return bp.post(url, endpoint=endpoint)(require(Permission.CHANGE_ORDERS)(view))
    return decorator


def date_field(name: str, label: str) -> date:
    """The date field `name`; `label` (marked N_ by the caller) names it in messages."""
    day = parsing.parse_date(request.form.get(name), label=T_(label), field=name)
    if day is None:
        raise Invalid(T_("Enter the %(label)s as a date (YYYY-MM-DD).", label=T_(label)), code="date_invalid",
                      field=name)
    return day
