"""The one error type every business rule raises."""
from __future__ import annotations

from contextlib import contextmanager
from .texts import T_, joined


class DomainError(Exception):
    """A rule said no. `message` is a sentence a support agent understands."""

    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"

    #: HTTP status the API and htmx views answer with, by kind
    STATUS = {INVALID: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409}

    kind = INVALID

    def __init__(self, message: str, code: str = "invalid", kind: str | None = None, field: str | None = None,
                 errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        if kind is not None:
            self.kind = kind
        self.field = field
        #: every field that was refused, with its message; a form shows them all at once
        self.errors: dict[str, str] = dict(errors) if errors else ({field: message} if field else {})

    @property
    def status(self) -> int:
        return self.STATUS[self.kind]

    def __str__(self) -> str:
        return self.message


class Invalid(DomainError):
    kind = DomainError.INVALID


class Forbidden(DomainError):
    kind = DomainError.FORBIDDEN


class NotFound(DomainError):
    kind = DomainError.NOT_FOUND


class Conflict(DomainError):
    kind = DomainError.CONFLICT


STALE_MESSAGE = T_("This order was changed by someone else in the meantime. Reload the page and try again.")


STALE_CUSTOMER_MESSAGE = (T_("This customer changed since you opened the form. Their current values are shown "
                             "below; save again to replace them with yours."))


class FieldErrors:
    """Checks several fields and refuses them together, so a form can show every mistake at once.

        errors = FieldErrors()
        with errors.check("email"):
            email = clean_email(raw)
        errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.codes: dict[str, str] = {}

    @contextmanager
    def check(self, field: str):
        try:
            yield
        except Invalid as e:
            for name, message in (e.errors or {e.field or field: e.message}).items():
                self.errors.setdefault(name, message)
                self.codes.setdefault(name, e.code)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        first = next(iter(self.errors))
        if len(self.errors) == 1:
            raise Invalid(self.errors[first], code=self.codes[first], field=first, errors=self.errors)
        raise Invalid(joined(list(self.errors.values())), code="invalid_fields", field=first, errors=self.errors)
