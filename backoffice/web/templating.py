"""Template filters and globals used by every page."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import g, request, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from .. import i18n
from ..i18n import N_
from ..domain.orders import status_label
from ..domain.permissions import Permission
from .access import can


def money(value: Decimal | None, currency: str = "EUR") -> str:
    """Money for the page's language (Babel): €1,234.56 or 1.234,56 €."""
    return i18n.money(value, currency)


def localtime(value: datetime | None, tz: str | None = None, fmt: str | None = None) -> str:
    """A moment in the event's (or given) zone: written for the page's language, or in `fmt`
    (strftime) where a machine reads it, such as the value of a date field."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        zone = tz or (g.event.timezone if g.get("event") else
                      g.organizer.timezone if g.get("organizer") else "UTC")
        if fmt:
            return value.astimezone(ZoneInfo(zone)).strftime(fmt)
        return i18n.datetime_text(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


#: the status words of domain/orders.py status_label, here so that they are translated
STATUS_WORDS = (N_("pending"), N_("paid"), N_("expired"), N_("canceled"), N_("awaiting approval"),
                N_("canceled, fee kept"), N_("canceled, fee due"), N_("canceled, fee overdue"))


def status_badge(order) -> Markup:
    """The one status badge used everywhere."""
    label, css = status_label(order)
    html = f'<span class="badge status-{css}">{escape(gettext(label))}</span>'
    if order.testmode:
        test_mode = gettext("test mode")
        html += f' <span class="badge status-testmode">{escape(test_mode)}</span>'
    return Markup(html)


def chip_list(chips, quoted: bool = False) -> Markup:
    """The labels of active filter chips as 'A, B' (in bold, or in quotes), for an empty-state sentence."""
    shape = Markup("“{}”") if quoted else Markup("<strong>{}</strong>")
    return Markup(", ").join(shape.format(label) for label, _url in chips)


def suggestion_links(names: list[str], param: str = "search") -> Markup:
    """'a, b or c', each a link that searches for it."""
    links = [Markup('<a href="{}">{}</a>').format(url_with(**{param: name}), name) for name in names]
    if len(links) < 2:
        return Markup("").join(links)
    return Markup(", ").join(links[:-1]) + Markup(" {} ").format(gettext("or")) + links[-1]


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (None removes one); resets the page."""
    args = request.args.to_dict(flat=False)
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


#: the history labels of orders, tickets and customers, here so that they are translated
HISTORY_WORDS = (
    N_("Activated"), N_("Anonymized"), N_("Changed"), N_("Created"), N_("Deactivated"), N_("Email sent"),
    N_("Password link sent"), N_("Password set"), N_("Tag added"), N_("Tag removed"), N_("Approved"),
    N_("Canceled"), N_("Customer detached"), N_("Deleted"), N_("Denied"), N_("Extended"),
    N_("Invoice address changed"), N_("Invoice address removed"), N_("Invoice canceled"),
    N_("Invoice created"), N_("Link resent"), N_("Marked expired"), N_("Marked paid"), N_("Marked pending"),
    N_("Payment canceled"), N_("Payment confirmed"), N_("Payment recorded"), N_("Payment refunded"),
    N_("Reactivated"), N_("Refund canceled"), N_("Refund created"), N_("Refund done"),
    N_("Refund processed"), N_("Secrets regenerated"), N_("Split"), N_("Split from"), N_("Added"),
    N_("Blocked"), N_("Secret regenerated"), N_("Ticket link sent"), N_("Unblocked"),
)


def history_label(entry) -> str:
    """'order.marked_paid' -> 'Marked paid', in the page's language when the catalogue has it."""
    action = entry.action_type.split(".", 1)[-1].replace("_", " ")
    return gettext(action[:1].upper() + action[1:])


def history_details(entry) -> list[tuple[str, str]]:
    """An entry's data in words, money in the event's currency, times in the page's zone."""
    from ..domain.audit import describe
    event = g.get("event")
    tz = event.timezone if event else (g.organizer.timezone if g.get("organizer") else "UTC")
    return describe(entry, currency=event.currency if event else None, tz=tz or "UTC")


def init_app(app) -> None:
    i18n.init_app(app)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = i18n.number
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals.update(status_badge=status_badge, history_label=history_label, history_details=history_details, url_with=url_with, can=can,
                                 chip_list=chip_list, suggestion_links=suggestion_links,
                                 Permission=Permission)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
