"""Time how long one generated PDF takes to render.

    .venv/bin/python scripts/bench_pdf.py [--runs 30] [--only invoice]

Builds a small database of its own (SQLite in a temporary directory, the real migrations),
then renders each kind of PDF `--runs` times after two warm-up runs and prints the median and
p95 wall time, the median CPU time of this process and the size of the file. Only the
rendering is timed: the rows it reads are loaded before (as a download view has them).

Each kind is one function in BENCHES: it receives the app (inside an app context, on the empty
database) and returns a function that renders one PDF and gives its bytes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backoffice import create_app  # noqa: E402
from backoffice.extensions import db  # noqa: E402


def bench_invoice(app) -> Callable[[], bytes]:
    """An invoice of 10 tickets (19 % VAT) and a payment fee (7 %), to an address with names
    outside Latin-1, as downloaded from the order page."""
    from backoffice.domain import invoice_pdf, invoices
    from backoffice.domain.audit import SYSTEM
    from backoffice.domain.models import InvoiceAddress, TaxRule
    from tests import factories

    org = factories.organizer(slug="bench", name="Bench Events GmbH", invoice_issuer_vat_id="DE999999999",
                              invoice_issuer_address="Musterweg 5\n12345 Berlin")
    event = factories.event(org, slug="conf", name="Conference 2027")
    ticket = factories.item(event, "Regular ticket", "119.00", variations=[("Balcony", "149.00")])
    vat = TaxRule(event_id=event.id, name="VAT", rate=Decimal("19.00"))
    db.session.add(vat)
    db.session.flush()
    order = factories.order(event, [(ticket, ticket.variations[0])] * 5 + [ticket] * 5, fees=[("payment", "2.50")])
    for p in order.all_positions:
        p.tax_rule, p.tax_rate = vat, vat.rate
        p.tax_value = (p.price * vat.rate / (100 + vat.rate)).quantize(Decimal("0.01"))
    order.all_fees[0].tax_rate, order.all_fees[0].tax_value = Decimal("7.00"), Decimal("0.16")
    db.session.add(InvoiceAddress(order=order, company="Żółć & Søn GmbH", name_cached="Łukasz Żółć",
                                  street="Hauptstraße 1", zipcode="10115", city="Berlin", country="DE",
                                  vat_id="DE123456789"))
    db.session.flush()
    invoice = invoices.create_invoice(order, actor=SYSTEM)
    db.session.commit()
    _ = [line.description for line in invoice.lines], invoice.order.event.organizer.name  # loaded before timing
    return lambda: invoice_pdf.render(invoice)


def bench_ticket(app) -> Callable[[], bytes]:
    """One ticket (a date of a series, a variation, a seat, an attendee name outside Latin-1) with
    its QR code, as downloaded from the order page or the customer's order link."""
    from backoffice.domain import ticket_pdf
    from backoffice.domain.models import OrderStatus
    from tests import factories

    org = factories.organizer(slug="bench-tickets", name="Bench Events GmbH")
    event = factories.event(org, slug="conf", name="Conference 2027", location="Kraków, Hala Główna")
    ticket = factories.item(event, "Regular ticket", "119.00", variations=[("Balcony", "149.00")])
    date = factories.subevent(event, "Day 1")
    seat = factories.seat(event, "B12", subevent=date)
    order = factories.order(event, [(ticket, ticket.variations[0])], status=OrderStatus.PAID, subevent=date,
                            seats=[seat])
    position = order.all_positions[0]
    position.attendee_name_parts = {"_scheme": "full", "full_name": "Łukasz Öztürk"}
    position.attendee_name_cached = "Łukasz Öztürk"
    db.session.commit()
    _ = position.order.event.organizer.name, position.item.name, position.variation.value, position.seat.name
    _ = position.subevent.name  # loaded before timing
    return lambda: ticket_pdf.render_position(position)


BENCHES: dict[str, Callable] = {"invoice": bench_invoice, "ticket": bench_ticket}


def measure(render: Callable[[], bytes], runs: int) -> tuple[list[float], list[float], int]:
    for _ in range(2):
        render()
    walls, cpus, size = [], [], 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        size = len(render())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, size


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "INSTANCE_PATH": tmp,
                          "BASE_URL": "http://backoffice.test", "MAIL_SERVER": "", "SECRET_KEY": "bench"})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade(revision="heads")
            print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs each after 2 warm-up runs")
            print(f"{'PDF':<10} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'bytes':>9}")
            for name in args.only or sorted(BENCHES):
                walls, cpus, size = measure(BENCHES[name](app), args.runs)
                print(f"{name:<10} {statistics.median(walls) * 1000:>10.1f} {p95(walls) * 1000:>8.1f} "
                      f"{statistics.median(cpus) * 1000:>8.1f} {size:>9,}")
            db.session.remove()


if __name__ == "__main__":
    main()
