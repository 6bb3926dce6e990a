"""The "Change order" screen: every change a customer asks for on the phone in one form, a
preview of the new total and what is left to pay or refund, and one save that applies it all
(domain/order_change.py) or nothing.

The form shows each ticket with its current values; only what staff changed is sent to the
domain, so that a product changed without touching the price takes the new product's price.
Field names: p<ticket number>-<field>, fee<id>-<field>, new<row>-<field>.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from ...domain import order_change, order_queries, orders
from ...domain.errors import DomainError
from ...domain.models import Event, OrderStatus, TaxRule
from ...domain.names import scheme_fields
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ...i18n import N_, translated
from ..access import current_actor, require
from ..errors import is_htmx
from . import bp
from .detail import checked, seen_state

URL = "/<organizer>/events/<event>/orders/<code>/change"
MAX_NEW_ROWS = 20
NEW_FIELDS = ("item", "variation", "subevent", "seat", "price", "addon_to", "attendee_email")
TAX_CHOICES = (("", N_("Do not recalculate")), ("keep_gross", N_("Recalculate, keep gross prices")),
               ("keep_net", N_("Recalculate, keep net prices")))


def _order(event: Event, code: str):
    order = order_queries.load_order_for_detail(event, code)
    if order is None:
        abort(404)
    return order


def _new_rows() -> int:
    """How many "add ticket" rows the form shows (1 to MAX_NEW_ROWS): the hidden field's count,
    or the one more that the "Add another ticket row" button sends next to it."""
    counts = [int(v) for v in request.values.getlist("new_rows") if v.isascii() and v.isdigit() and len(v) < 4]
    return min(max(counts, default=1), MAX_NEW_ROWS) or 1


def _more_rows_asked() -> bool:
    return len(request.form.getlist("new_rows")) > 1


# --- reading the form ----------------------------------------------------------------------------------

def _text(value) -> str:
    return "" if value is None else str(value)


def _moment_text(value, tz: str) -> str:
    """A validity as the datetime-local input shows it, in the event's zone."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def current_values(position, tz: str) -> dict:
    """The ticket's values as the form shows them; a field sent back unchanged is not a change."""
    return {"item": _text(position.item_id), "variation": _text(position.variation_id),
            "subevent": _text(position.subevent_id), "seat": position.seat.seat_guid if position.seat else "",
            "price": f"{position.price:.2f}", "tax_rule": _text(position.tax_rule_id),
            "valid_from": _moment_text(position.valid_from, tz), "valid_until": _moment_text(position.valid_until, tz)}


def _patch(position, tz: str) -> dict:
    form, prefix = request.form, f"p{position.positionid}-"
    body = {}
    for name, current in current_values(position, tz).items():
        key = prefix + name
        if key in form and form[key].strip() != current:
            # the price field starts empty: empty keeps the price, or takes the new product's
            if name == "price" and not form[key].strip():
                continue
            body[name] = form[key].strip()
    return body


def _new_ticket(event: Event, row: int) -> dict | None:
    form, prefix = request.form, f"new{row}-"
    if not form.get(prefix + "item", "").strip():
        return None
    body = {name: form[prefix + name] for name in NEW_FIELDS if form.get(prefix + name, "").strip()}
    parts = {key: form.get(f"{prefix}name_{key}", "") for key, _ in scheme_fields(event.organizer.name_scheme)}
    if any(v.strip() for v in parts.values()):
        body["attendee_name_parts"] = parts
    return body


def change_kwargs(order, event: Event) -> dict:
    """The domain's change parts from the form."""
    form, tz = request.form, event.timezone
    patches, cancels, splits = [], [], []
    for position in order.positions:
        n = position.positionid
        if checked(f"p{n}-cancel"):
            cancels.append({"position": n})
        else:
            body = _patch(position, tz)
            if body:
                patches.append({"position": n, "body": body})
        if checked(f"p{n}-split"):
            splits.append({"position": n})
    fee_values, fee_cancels = [], []
    for fee in order.fees:
        if checked(f"fee{fee.id}-cancel"):
            fee_cancels.append({"fee": fee.id})
        elif form.get(f"fee{fee.id}-value", "").strip() not in ("", f"{fee.value:.2f}"):
            fee_values.append({"fee": fee.id, "body": {"value": form[f"fee{fee.id}-value"].strip()}})
    creates = [t for t in (_new_ticket(event, row) for row in range(1, _new_rows() + 1)) if t]
    return dict(patch_positions=patches, cancel_positions=cancels, split_positions=splits, create_positions=creates,
                patch_fees=fee_values, cancel_fees=fee_cancels,
                recalculate_taxes=form.get("recalculate_taxes") or None,
                send_email=checked("send_email"), reissue_invoice=checked("reissue_invoice"))


def field_errors(error: DomainError | None) -> dict[str, str]:
    """The domain's `position.2.seat` / `create.1.item` / `fee.5.value` as the form's field names."""
    result = {}
    for key, message in (error.errors if error is not None else {}).items():
        part, _, rest = key.partition(".")
        number, _, name = rest.partition(".")
        prefix = {"position": "p", "create": "new", "fee": "fee"}.get(part)
        if prefix is None or not name:
            continue
        if name.startswith("attendee_name"):
            name = "name"
        result[f"{prefix}{number}-{name}"] = message
    return result


# --- rendering -----------------------------------------------------------------------------------------

def page_context(order, event: Event, *, result=None, error: DomainError | None = None, posted: bool = False) -> dict:
    tax_rules = list(db.session.scalars(select(TaxRule).where(TaxRule.event_id == event.id).order_by(TaxRule.id)))
    return dict(order=order, event=event, totals=orders.totals(order), seen=order.last_modified.isoformat(),
                form=request.form if posted else {}, posted=posted, result=result, error=error,
                errors=field_errors(error), new_rows=_new_rows(), tax_rules=tax_rules, tax_choices=TAX_CHOICES,
                current_values=current_values, seated=any(i.requires_seat for i in event.items),
                stale=error is not None and error.code == "stale", status_labels=OrderStatus.LABELS)


def _page(order, event: Event, status: int = 200, **kw):
    return render_template("orders/change.html", **page_context(order, event, **kw)), status


@bp.get(URL, endpoint="change")
@require(Permission.CHANGE_ORDERS)
def change_form(organizer, event, code):
    order = _order(event, code)
    return _page(order, event)[0]


def _run(event: Event, code: str, *, preview: bool):
    order = _order(event, code)
    kwargs = change_kwargs(order, event)
    try:
        result = order_change.change_order(order, actor=current_actor(), seen_last_modified=seen_state(),
                                           preview=preview, **kwargs)
    except DomainError as e:
        db.session.rollback()
        return None, e
    if preview:
        db.session.rollback()  # nothing to keep: the preview wrote nothing, this ends the read
    else:
        db.session.commit()
    return result, None


@bp.post(URL + "/preview", endpoint="change_preview")
@require(Permission.CHANGE_ORDERS)
def change_preview(organizer, event, code):
    result, error = _run(event, code, preview=True)
    order = _order(event, code)
    if is_htmx():
        html = render_template("orders/_change_preview.html", **page_context(order, event, result=result, error=error,
                                                                          posted=True))
        return Markup(html), 422 if error is not None else 200
    return _page(order, event, 422 if error is not None else 200, result=result, error=error, posted=True)


@bp.post(URL, endpoint="change_save")
@require(Permission.CHANGE_ORDERS)
def change_save(organizer, event, code):
    if _more_rows_asked():
        return _page(_order(event, code), event, posted=True)
    result, error = _run(event, code, preview=False)
    if error is not None:
        return _page(_order(event, code), event, 422, error=error, posted=True)
    flash(_saved_message(result), "success")
    target = url_for("orders.detail", organizer=organizer.slug, event=event.slug, code=code)
    if is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target, 303)


def _saved_message(result) -> str:
    """The message after saving a change, in the page's language (it is flashed)."""
    from ..templating import money
    total = money(result.new_total, result.currency)
    if result.to_pay:
        parts = [T_("Order %(code)s changed: total %(total)s, %(amount)s to pay.", code=result.code, total=total,
                    amount=money(result.to_pay, result.currency))]
    elif result.to_refund:
        parts = [T_("Order %(code)s changed: total %(total)s, %(amount)s due for refund.", code=result.code,
                    total=total, amount=money(result.to_refund, result.currency))]
    else:
        parts = [T_("Order %(code)s changed: total %(total)s.", code=result.code, total=total)]
    if result.split_code:
        parts.append(T_("Tickets moved to new order %(code)s.", code=result.split_code))
    if result.email_sent:
        parts.append(T_("Email sent."))
    if result.invoice_reissued:
        parts.append(T_("Invoice reissued."))
    return " ".join(translated(part) for part in parts)
