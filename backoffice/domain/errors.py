"""The one error type every business rule raises."""


class DomainError(Exception):
    """A rule said no. `message` is a sentence a support agent understands."""

    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"

    #: HTTP status the API and htmx views answer with, by kind
    STATUS = {INVALID: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409}

    kind = INVALID

    def __init__(self, message: str, code: str = "invalid", kind: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        if kind is not None:
            self.kind = kind
        self.field = field

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


STALE_MESSAGE = "This order was changed by someone else in the meantime. Reload the page and try again."
