"""Template filters and globals used by every page."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from flask import g, request, url_for
from markupsafe import Markup

from ..domain.orders import status_label
from ..domain.permissions import Permission
from .access import can


def money(value: Decimal | None, currency: str = "EUR") -> str:
    if value is None:
        return ""
    return format_currency(value, currency, locale="en_US")


def localtime(value: datetime | None, tz: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        zone = ZoneInfo(tz or (g.event.timezone if g.get("event") else
                               g.organizer.timezone if g.get("organizer") else "UTC"))
        return value.astimezone(zone).strftime(fmt)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def status_badge(order) -> Markup:
    """The one status badge used everywhere."""
    label, css = status_label(order)
    html = f'<span class="badge status-{css}">{label}</span>'
    if order.testmode:
        html += ' <span class="badge status-testmode">test mode</span>'
    return Markup(html)


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


def history_label(entry) -> str:
    """'order.marked_paid' -> 'Marked paid'."""
    action = entry.action_type.split(".", 1)[-1].replace("_", " ")
    return action[:1].upper() + action[1:]


def history_details(entry) -> list[tuple[str, str]]:
    """An entry's data in words, money in the event's currency, times in the page's zone."""
    from ..domain.audit import describe
    event = g.get("event")
    tz = event.timezone if event else (g.organizer.timezone if g.get("organizer") else "UTC")
    return describe(entry, currency=event.currency if event else None, tz=tz or "UTC")


def init_app(app) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals.update(status_badge=status_badge, history_label=history_label, history_details=history_details, url_with=url_with, can=can,
                                 Permission=Permission)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
