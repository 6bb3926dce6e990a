"""Writing an email to an order's buyer or to a customer: the form, its preview, sending it.

The form sits on the order and customer pages (a "Send email…" box above their mail history)
and on a page of its own, which is also where a plain form post without JavaScript lands. With
htmx, "Preview" swaps only the preview under the form; "Send" swaps the box (emptied, with the
confirmation) and refreshes the page's mail list and history out of band.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup

from ..domain import audit, compose, customers
from ..domain.errors import DomainError, NotFound
from ..domain.models import Customer, Order
from ..domain.permissions import Permission
from ..domain.texts import T_
from ..extensions import db
from ..i18n import translated
from .access import can, current_actor, require
from .errors import is_htmx
from .orders.detail import get_or_404

bp = Blueprint("compose", __name__)

ACTIONS = ("preview", "send")


@dataclass(frozen=True)
class Target:
    """What the form writes about: its kind, the object, where the form posts and where it belongs."""
    kind: str
    obj: Order | Customer
    url: str
    back_url: str
    label: str

    @property
    def placeholders(self) -> list[tuple[str, str, str]]:
        """(name, what it stands for, its value now) for the help under the form."""
        values = compose.values_of(self.obj)
        return [(name, meaning, values[name]) for name, meaning in compose.PLACEHOLDERS[self.kind].items()]

    @property
    def default_to(self) -> str | None:
        return self.obj.email


def _order_target(order: Order) -> Target:
    args = dict(organizer=order.event.organizer.slug, event=order.event.slug, code=order.code)
    return Target(compose.ORDER, order, url_for("compose.order_email", **args),
                  url_for("orders.detail", **args), gettext("Order %(code)s", code=order.code))


def _customer_target(customer: Customer) -> Target:
    args = dict(organizer=customer.organizer.slug, identifier=customer.identifier)
    return Target(compose.CUSTOMER, customer, url_for("compose.customer_email", **args),
                  url_for("customers.detail", **args),
                  gettext("Customer %(name)s", name=customer.name or customer.identifier))


@bp.app_template_global()
def compose_target(obj) -> Target | None:
    """The "Send email…" box of an order or customer page, when the viewer may write about it."""
    if isinstance(obj, Order):
        return _order_target(obj) if can(Permission.CHANGE_ORDERS, obj.event) else None
    if isinstance(obj, Customer):
        if obj.is_anonymized or not obj.email or not can(Permission.CHANGE_CUSTOMERS):
            return None
        return _customer_target(obj)
    return None


# --- routes --------------------------------------------------------------------------------------

@bp.route("/<organizer>/events/<event>/orders/<code>/email", methods=["GET", "POST"])
@require(Permission.CHANGE_ORDERS)
def order_email(organizer, event, code):
    return _compose(_order_target(get_or_404(event, code)))


@bp.route("/<organizer>/customers/<identifier>/email", methods=["GET", "POST"])
@require(Permission.CHANGE_CUSTOMERS)
def customer_email(organizer, identifier):
    try:
        customer = customers.get_customer(organizer, identifier)
    except NotFound:
        abort(404)
    return _compose(_customer_target(customer))


def _compose(target: Target):
    if request.method == "GET":
        return _page(target, refusal=_refusal(target))
    action = request.form.get("action") or "send"
    if action not in ACTIONS:
        abort(400, description="Choose Preview or Send.")
    form = {name: request.form.get(name, "") for name in ("to", "subject", "text")}
    if action == "preview":
        return _preview(target, form)
    return _send(target, form)


def _refusal(target: Target) -> str | None:
    """Why nobody can be written to (an anonymized customer, one without email), if so."""
    if target.kind != compose.CUSTOMER:
        return None
    try:
        compose.customer_recipient(target.obj)
    except DomainError as e:
        return e.message
    return None


def _preview(target: Target, form: dict):
    error = None
    preview = None
    try:
        preview = _render(target, form)
    except DomainError as e:
        error = e.message
    status = 422 if error else 200
    if is_htmx():
        html = render_template("compose/_preview.html", compose_preview=preview, compose_preview_error=error)
        return html, status
    return _page(target, compose_form=form, compose_preview=preview, compose_preview_error=error, status=status)


def _render(target: Target, form: dict) -> compose.Rendered:
    if target.kind == compose.ORDER:
        return compose.preview_order(target.obj, subject=form["subject"], text=form["text"], to=form["to"])
    return compose.preview_customer(target.obj, subject=form["subject"], text=form["text"])


def _send(target: Target, form: dict):
    try:
        if target.kind == compose.ORDER:
            mail = compose.send_to_order(target.obj, actor=current_actor(), subject=form["subject"],
                                         text=form["text"], to=form["to"])
        else:
            mail = compose.send_to_customer(target.obj, actor=current_actor(), subject=form["subject"],
                                            text=form["text"])
    except DomainError as e:
        db.session.rollback()
        # messages of fields next to them; one about the recipient (anonymized, no email) above
        refused = dict(compose_form=form, compose_errors=dict(e.errors), compose_error=None if e.errors else e.message)
        if is_htmx():
            return _box(target, compose_open=True, **refused), 422
        return _page(target, status=422, **refused)
    notice = T_("Email “%(subject)s” queued for %(to)s.", subject=mail.subject, to=mail.to)
    if is_htmx():
        response = Markup(_box(target, compose_notice=notice, compose_mail=mail) + _refreshed_regions(target))
    else:
        flash(translated(notice), "success")
        response = redirect(target.back_url, 303)
    # the last database work of the request: delivery starts in another thread after the commit
    db.session.commit()
    return response


# --- rendering -----------------------------------------------------------------------------------

def _box(target: Target, **context) -> str:
    return render_template("compose/_box.html", target=target, **context)


def _entries(target: Target):
    if target.kind == compose.ORDER:
        return audit.history(target.obj)
    return customers.customer_history(target.obj)


def _refreshed_regions(target: Target) -> str:
    """The page's mail list and history, out of band: the new mail and its history entry."""
    html = render_template("outbox/_object_mails.html", oob=True, mail_object=target.obj)
    if target.kind == compose.ORDER:
        return html + render_template("orders/_history_oob.html", entries=_entries(target))
    return html + render_template("customers/_history_panel.html", oob=True, entries=_entries(target))


def _page(target: Target, *, status: int = 200, **context):
    html = render_template("compose/page.html", target=target, entries=_entries(target), compose_open=True,
                           **context)
    return html, status
