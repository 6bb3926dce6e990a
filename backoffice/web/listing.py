"""Reading list filters from the URL: bad values are ignored with a notice, never a 500.

Dates, numbers and amounts are read by backoffice.domain.parsing, the same rules every form and
the API use; a value it refuses becomes the notice."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from ..domain import parsing
from ..domain.errors import Invalid
from ..domain.texts import T_

MAX_TEXT = 200


class ListArgs:
    def __init__(self, args: MultiDict, tz: str = "UTC"):
        self.args = args
        self.tz_name = tz
        self.tz = ZoneInfo(tz)
        self.notices: list[str] = []

    def _ignore(self, name: str, why: str) -> None:
        self.notices.append(T_("Ignored the filter '%(name)s': %(why)s", name=name, why=why))

    def text(self, name: str) -> str | None:
        value = (self.args.get(name) or "").strip()
        if not value:
            return None
        if len(value) > MAX_TEXT:
            self._ignore(name, T_("longer than %(max)s characters.", max=MAX_TEXT))
            return None
        return value

    def texts(self, name: str) -> list[str]:
        return [v.strip() for v in self.args.getlist(name) if v.strip() and len(v.strip()) <= MAX_TEXT]

    def choice(self, name: str, allowed) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        if value not in allowed:
            self._ignore(name, T_("'%(value)s' is not one of %(allowed)s.", value=value,
                                  allowed=", ".join(sorted(allowed))))
            return None
        return value

    def choices(self, name: str, allowed) -> list[str]:
        values = []
        for value in self.texts(name):
            if value in allowed:
                values.append(value)
            else:
                self._ignore(name, T_("'%(value)s' is not one of %(allowed)s.", value=value,
                                      allowed=", ".join(sorted(allowed))))
        return values

    def integer(self, name: str, minimum: int | None = None) -> int | None:
        """A whole number within 64 bits (ids, page numbers); `minimum` as the filter needs."""
        return self._parsed(name, self.text(name), parsing.parse_integer,
                            minimum=parsing.MIN_INTEGER if minimum is None else minimum)

    def integers(self, name: str) -> list[int]:
        values = (self._parsed(name, value, parsing.parse_integer) for value in self.texts(name))
        return [value for value in values if value is not None]

    def _parsed(self, name: str, value, parse, *args, **kwargs):
        """`parse(value)`, or None with a notice when the shared parser refuses the value."""
        try:
            return parse(value, *args, **kwargs)
        except Invalid as e:
            self._ignore(name, e.message)
            return None

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        self._ignore(name, T_("'%(value)s' is neither true nor false.", value=value))
        return None

    def date(self, name: str) -> date | None:
        return self._parsed(name, self.text(name), parsing.parse_date)

    def moment(self, name: str) -> datetime | None:
        """A date or date-time; a bare date means its midnight in the list's time zone."""
        return self._parsed(name, self.text(name), parsing.parse_moment, self.tz_name)

    def day_start(self, name: str) -> datetime | None:
        day = self.date(name)
        return datetime.combine(day, time.min, self.tz).astimezone(timezone.utc) if day else None

    def money(self, name: str) -> Decimal | None:
        return self._parsed(name, self.text(name), parsing.parse_amount)

    def page(self) -> int:
        number = self.integer("page", minimum=1)
        return number or 1
