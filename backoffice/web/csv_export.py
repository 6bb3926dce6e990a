"""Streaming CSV downloads of filtered lists (customers, orders)."""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable

from flask import Response, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHONE = re.compile(r"\+[0-9]{4,20}")
FLUSH_BYTES = 64_000


def cell(value) -> str:
    """One value as CSV text; free text that a spreadsheet would run as a formula is defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)  # numbers and amounts: a leading minus is a sign, not a formula
    if value.startswith(FORMULA_START) and not PHONE.fullmatch(value):
        return "'" + value
    return value


def csv_response(filename: str, rows: Iterable[list]) -> Response:
    """UTF-8 with a byte order mark, so spreadsheets do not guess another encoding."""

    def generate():
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow([cell(v) for v in row])
            if buffer.tell() > FLUSH_BYTES:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
