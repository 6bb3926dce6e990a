"""Reading list filters from the URL: bad values are ignored with a notice, never a 500."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

MAX_TEXT = 200


class ListArgs:
    def __init__(self, args: MultiDict, tz: str = "UTC"):
        self.args = args
        self.tz = ZoneInfo(tz)
        self.notices: list[str] = []

    def _ignore(self, name: str, why: str) -> None:
        self.notices.append(f"Ignored the filter '{name}': {why}")

    def text(self, name: str) -> str | None:
        value = (self.args.get(name) or "").strip()
        if not value:
            return None
        if len(value) > MAX_TEXT:
            self._ignore(name, f"longer than {MAX_TEXT} characters.")
            return None
        return value

    def texts(self, name: str) -> list[str]:
        return [v.strip() for v in self.args.getlist(name) if v.strip() and len(v.strip()) <= MAX_TEXT]

    def choice(self, name: str, allowed) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        if value not in allowed:
            self._ignore(name, f"'{value}' is not one of {', '.join(sorted(allowed))}.")
            return None
        return value

    def choices(self, name: str, allowed) -> list[str]:
        values = []
        for value in self.texts(name):
            if value in allowed:
                values.append(value)
            else:
                self._ignore(name, f"'{value}' is not one of {', '.join(sorted(allowed))}.")
        return values

    def integer(self, name: str, minimum: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            self._ignore(name, f"'{value}' is not a whole number.")
            return None
        if minimum is not None and number < minimum:
            self._ignore(name, f"must be at least {minimum}.")
            return None
        return number

    def integers(self, name: str) -> list[int]:
        result = []
        for value in self.texts(name):
            try:
                result.append(int(value))
            except ValueError:
                self._ignore(name, f"'{value}' is not a whole number.")
        return result

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        self._ignore(name, f"'{value}' is neither true nor false.")
        return None

    def date(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self._ignore(name, f"'{value}' is not a date (YYYY-MM-DD).")
            return None

    def moment(self, name: str) -> datetime | None:
        """A date or date-time; a bare date means its midnight in the list's time zone."""
        value = self.text(name)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self._ignore(name, f"'{value}' is not a date or a date and time.")
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.tz)
        return parsed.astimezone(timezone.utc)

    def day_start(self, name: str) -> datetime | None:
        day = self.date(name)
        return datetime.combine(day, time.min, self.tz).astimezone(timezone.utc) if day else None

    def money(self, name: str) -> Decimal | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            self._ignore(name, f"'{value}' is not an amount.")
            return None

    def page(self) -> int:
        number = self.integer("page", minimum=1)
        return number or 1
