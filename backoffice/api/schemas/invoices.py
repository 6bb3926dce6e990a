"""An invoice as issued (the part of 003's invoice resource this back office keeps)."""
from __future__ import annotations

from datetime import date

from .common import Money, Output


class InvoiceLine(Output):
    position: int
    description: str
    gross_value: Money
    tax_value: Money
    tax_rate: Money
    tax_name: str


class Invoice(Output):
    order: str
    number: str
    is_cancellation: bool
    refers: str | None
    date: date
    invoice_from: str
    invoice_to: str
    currency: str
    lines: list[InvoiceLine]
