"""How typed text matches stored text, the same for every list and search box."""
from __future__ import annotations

import re

from sqlalchemy import and_
from sqlalchemy.sql import ColumnElement

from . import tx

PHONE_SEPARATORS = re.compile(r"[\s\-/().]")


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str) -> ColumnElement:
    """Case-insensitive "any part of the value".

    SQLite's LIKE ignores case already (and its lower() knows no more than ASCII either), so it
    runs without lower() on every row, twice as fast; PostgreSQL has ILIKE.
    """
    pattern = f"%{like_escape(text.lower())}%"
    if tx.is_sqlite():
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def starts_with(column, text: str) -> ColumnElement:
    """column starts with text, as a range so that an index on the column can be used."""
    return and_(column >= text, column < text + "\uffff")


def phone_digits(text: str, minimum: int = 3) -> str | None:
    """The digits to look for inside stored E.164 numbers (+4930…), or None when `text` does not
    look like a phone number. Spaces, dashes and brackets are ignored, and so are the leading
    '+', '00' or trunk '0' people type: '0176 1234' is found in '+491761234'."""
    digits = PHONE_SEPARATORS.sub("", text.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    digits = digits.lstrip("0")
    if len(digits) < minimum or not digits.isdigit():
        return None
    return digits
