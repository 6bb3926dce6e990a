"""The schema changes only through migrations; they must apply and revert cleanly."""
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from backoffice import create_app
from backoffice.domain.search_index import outside_the_models
from backoffice.extensions import db
from tests.conftest import DB_KIND, PG_SERVER, _pg_admin


def _scratch_url(tmp_path):
    if DB_KIND == "postgresql":
        name = f"bo_migr_{uuid.uuid4().hex[:8]}"
        with _pg_admin(PG_SERVER) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG_SERVER.rsplit("/", 1)[0] + "/" + name, name
    return f"sqlite:///{tmp_path}/migr.sqlite3", None


def _drop(name):
    if name:
        with _pg_admin(PG_SERVER) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _scratch_database(tmp_path):
    """The app on a new, empty database, in its app context; the database is dropped afterwards."""
    url, name = _scratch_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            try:
                yield
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        _drop(name)


# Expression indexes (lower(email)) cannot be reflected on SQLite; they are compared on PostgreSQL.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_migrations_upgrade_downgrade_and_match_the_models(tmp_path):
    with _scratch_database(tmp_path):
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"order", "customer", "order_position", "log_entry", "outbox_email"} <= tables
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_name": outside_the_models}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()


def test_upgrade_keeps_existing_data(tmp_path):
    """Running `flask db upgrade` again on a database with data changes nothing."""
    with _scratch_database(tmp_path):
        upgrade()
        db.session.execute(text("INSERT INTO organizer (slug, name, name_scheme, locales, timezone) "
                                "VALUES ('keep', 'Keep me', 'full', '[\"en\"]', 'UTC')"))
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT name FROM organizer WHERE slug='keep'")).scalar() == "Keep me"


def _row(conn, table: str, **values) -> int:
    """Insert one row as the schema of that time had it; returns its id."""
    types = {dict: sa.JSON, list: sa.JSON, bool: sa.Boolean, int: sa.Integer,
             datetime: sa.DateTime(timezone=True), Decimal: sa.Numeric(12, 2)}
    columns = [sa.column(k, types.get(type(v), sa.String)) for k, v in values.items()]
    conn.execute(sa.insert(sa.table(table, *columns)).values(**values))
    return conn.execute(text(f'SELECT max(id) FROM "{table}"')).scalar()


def _old_organizer_and_event(conn, now) -> tuple[int, int]:
    """An organizer with one event, written as rows (the models may be newer than the schema)."""
    org = _row(conn, "organizer", slug="old", name="Old", name_scheme="full", locales=["en"], timezone="UTC")
    event = _row(conn, "event", organizer_id=org, slug="conf", name="Conf", currency="EUR", timezone="UTC",
                 testmode=False, has_subevents=False, date_from=now, ticket_download=False,
                 ticket_download_pending=False, invoicing=False, payment_term_days=14,
                 payment_providers=["manual"], created=now)
    return org, event


def _old_order(event: int, now) -> dict:
    """The columns of a pending order of `event`, but for its code."""
    return dict(event_id=event, status="n", testmode=False, secret="s" * 16, locale="en", sales_channel="web",
                datetime=now, expires=now, total=Decimal("1.00"), comment="", api_meta={},
                checkin_attention=False, require_approval=False, valid_if_pending=False, last_modified=now)


def test_upgrade_to_0002_fills_event_ids_and_hides_password_links(tmp_path):
    """An install of 0001 with mails: the outbox rules of 0002 hold for its old mails too."""
    token = "tok3n-" + "x" * 40
    link = f"http://backoffice.test/demo/account/set-password/{token}"
    with _scratch_database(tmp_path):
        upgrade(revision="0001")
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        with db.engine.begin() as conn:
            org, event = _old_organizer_and_event(conn, now)
            order = _row(conn, "order", code="ABCDE", **_old_order(event, now))
            mail = dict(organizer_id=org, subject="Hello", status="kept", attempts=0, created=now)
            order_mail = _row(conn, "outbox_email", to="o@example.org", body="Your order: http://x/ABCDE/ssss",
                              template="order_link", object_type="order", object_id=order, **mail)
            kept = _row(conn, "outbox_email", to="k@example.org", body=f"Set it here:\n\n{link}\n\nBye",
                        template="customer_activation", object_type="customer", object_id=1, **mail)
            sent = _row(conn, "outbox_email", to="s@example.org", body=f"Set it here:\n\n{link}\n",
                        template="customer_password_link", object_type="customer", object_id=1,
                        **{**mail, "status": "sent"})
            _row(conn, "user", email="old@example.org", fullname="", password_hash="x", is_active_user=True,
                 created=now)
        upgrade()
        rows = {r.id: r for r in db.session.execute(text(
            "SELECT id, event_id, body, body_to_send FROM outbox_email"))}
        assert rows[order_mail].event_id == event and rows[kept].event_id is None
        assert rows[order_mail].body == "Your order: http://x/ABCDE/ssss" and rows[order_mail].body_to_send is None
        hidden = "http://backoffice.test/demo/account/set-password/[hidden: only the recipient has this link]"
        assert rows[kept].body == f"Set it here:\n\n{hidden}\n\nBye"
        assert rows[kept].body_to_send == f"Set it here:\n\n{link}\n\nBye"  # not delivered yet: still sendable
        assert token not in rows[sent].body and rows[sent].body_to_send is None
        assert db.session.execute(text('SELECT session_version FROM "user"')).scalar() == 0


def test_upgrade_to_0003_fills_the_search_index(tmp_path):
    """An install of 0002 with orders and customers: after the upgrade the search finds them by
    names typed without accents, through the index the migration built."""
    from backoffice.domain import customer_queries, order_queries
    from backoffice.domain.models import Organizer
    with _scratch_database(tmp_path):
        upgrade(revision="0002")
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        with db.engine.begin() as conn:
            org, event = _old_organizer_and_event(conn, now)
            customer = _row(conn, "customer", organizer_id=org, identifier="CUST001", email="m@example.org",
                            phone="+4930123456", name_parts={"_scheme": "full", "full_name": "Moritz Böhm"},
                            name_cached="Moritz Böhm", is_active=True, is_verified=False, date_joined=now,
                            locale="en", last_modified=now)
            order = _old_order(event, now)
            by_customer = _row(conn, "order", code="ABCDE", email="x@example.org", customer_id=customer, **order)
            by_address = _row(conn, "order", code="FGHIJ", email="y@example.org", **order)
            _row(conn, "invoice_address", order_id=by_address, last_modified=now, is_business=True,
                 company="Straße & Söhne", name_parts={"_scheme": "full"}, name_cached="Ærøskøbing Łódź",
                 vat_id_validated=False)
            _row(conn, "order", code="KLMNO", email="z@example.org", **order)
        upgrade()
        organizer = db.session.get(Organizer, org)

        def orders(text):
            page = order_queries.list_page([event], org, order_queries.OrderFilters(search=text), "-datetime")
            return {row.order.id for row in page.items}

        assert orders("bohm moritz") == orders("BOEHM") == {by_customer}
        assert orders("strasse sohne") == orders("lodz") == {by_address}
        customers = customer_queries.customers_page(organizer, customer_queries.CustomerFilters(query="böhm"))
        assert [c.id for c in customers.items] == [customer]
        phone = customer_queries.customers_page(organizer, customer_queries.CustomerFilters(query="030 123"))
        assert [c.id for c in phone.items] == [customer]


def test_0008_moves_merging_of_the_search_index_out_of_writes(tmp_path):
    """SQLite: the FTS5 indexes stop merging during writes (automerge 0) and merge again after a
    downgrade; PostgreSQL's trigram indexes are left as they are."""
    with _scratch_database(tmp_path):
        def settings() -> dict:
            with db.engine.connect() as conn:
                if DB_KIND == "postgresql":
                    return {"trigram indexes": conn.execute(text(
                        "SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%_search_text_trgm'")).scalar()}
                return {fts: conn.execute(text(f"SELECT v FROM {fts}_config WHERE k = 'automerge'")).scalar()
                        for fts in ("order_search", "customer_search")}
        upgrade(revision="0007")
        before = settings()
        upgrade(revision="0008")
        after = settings()
        downgrade(revision="0007")
        reverted = settings()
    if DB_KIND == "postgresql":
        assert before == after == reverted == {"trigram indexes": 2}
    else:
        assert before == {"order_search": None, "customer_search": None}  # FTS5's default, 4
        assert after == {"order_search": 0, "customer_search": 0}
        assert reverted == {"order_search": 4, "customer_search": 4}


def test_upgrade_to_0009_gives_every_ticket_its_orders_event(tmp_path):
    """An install of 0008 with tickets in two events: each ticket gets its order's event, and a
    downgrade takes the column away again without losing a ticket."""
    with _scratch_database(tmp_path):
        upgrade(revision="0008")
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        tickets = {}
        with db.engine.begin() as conn:
            org, first = _old_organizer_and_event(conn, now)
            second = _row(conn, "event", organizer_id=org, slug="fest", name="Fest", currency="EUR",
                          timezone="UTC", testmode=False, has_subevents=False, date_from=now,
                          ticket_download=False, ticket_download_pending=False, invoicing=False,
                          payment_term_days=14, payment_providers=["manual"], created=now)
            for event, code in ((first, "ABCDE"), (second, "FGHIJ"), (second, "KLMNO")):
                item = _row(conn, "item", event_id=event, name="Ticket", default_price=Decimal("1.00"),
                            admission=True, requires_seat=False, is_addon=False, active=True, position=0)
                order = _row(conn, "order", code=code, **_old_order(event, now))
                for number in (1, 2):
                    ticket = _row(conn, "order_position", order_id=order, positionid=number, canceled=False,
                                  item_id=item, price=Decimal("1.00"), attendee_name_parts={"_scheme": "full"},
                                  tax_rate=Decimal("0.00"), tax_value=Decimal("0.00"),
                                  secret=f"{code}{number}".lower(), pseudonymization_id=f"{code}{number}")
                    tickets[ticket] = event
        upgrade()
        stored = dict(db.session.execute(text("SELECT id, event_id FROM order_position")).all())
        db.session.remove()
        downgrade(revision="0008")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("order_position")}
            left = conn.execute(text("SELECT count(*) FROM order_position")).scalar()
    assert stored == tickets
    assert "event_id" not in columns and left == 6
