"""Upgrades keep data: a database of the first version, with a row in every table, upgraded to the
newest schema. Every value written is still there, the search index is filled for the old rows,
running the upgrade again changes nothing, and the last migration can be undone on a copy."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from backoffice import create_app
from backoffice.domain import customer_queries
from backoffice.domain.models import Organizer
from backoffice.extensions import db
from backoffice.web.health import expected_revision
from tests.test_migrations import _drop, _scratch_url

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
NAME = {"_scheme": "full", "full_name": "Zoë Öztürk"}
LISTS = {"locales": ["en", "de"], "payment_providers": ["manual"]}
#: columns whose values code reads by meaning (a zone name must be a zone)
MEANINGFUL = {"timezone": "Europe/Berlin", "currency": "EUR", "locale": "de", "name_scheme": "full"}


def _value(column: sa.Column):
    """A value that fits the column and is recognisable when read back; every key points at row 1."""
    if column.foreign_keys or column.primary_key:
        return 1
    kind = column.type
    if isinstance(kind, sa.JSON):
        return NAME if column.name.endswith("name_parts") else LISTS.get(column.name, {"kept": [1, "ß"]})
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.DateTime):
        return WHEN
    if isinstance(kind, sa.Date):
        return WHEN.date()
    if isinstance(kind, sa.Numeric):
        return Decimal("12.34")
    if isinstance(kind, sa.Integer):
        return 7
    if column.name in MEANINGFUL:
        return MEANINGFUL[column.name]
    if isinstance(kind, sa.String) and kind.length:
        return f"Öztürk {column.name}"[:kind.length]
    return f"Zoë Öztürk's {column.name}\nsecond line"


def _plain(value):
    if isinstance(value, str) and column_is_datetime_text(value):
        value = datetime.fromisoformat(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return value  # a date as SQLite keeps it
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def column_is_datetime_text(value: str) -> bool:
    return len(value) >= 19 and value[4] == "-" and value[10] in " T" and value[:4].isdigit()


def _read(conn, table: str) -> dict:
    meta = sa.MetaData()
    reflected = sa.Table(table, meta, autoload_with=conn)
    row = conn.execute(sa.select(reflected)).mappings().one()
    return dict(row)


# SQLite cannot reflect the expression index on lower(email); the test needs only the columns
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_first_version_with_every_table_filled_upgrades_to_head_keeping_every_value(tmp_path):
    url, name = _scratch_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            upgrade(revision="0001")
            old = sa.MetaData()
            old.reflect(db.engine)
            written = {}
            with db.engine.begin() as conn:
                for table in old.sorted_tables:
                    if table.name == "alembic_version":
                        continue
                    values = {c.name: _value(c) for c in table.columns}
                    conn.execute(table.insert().values(**values))
                    written[table.name] = values
            assert len(written) >= 25  # the first version's tables, all of them

            upgrade()
            with db.engine.connect() as conn:
                version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                after = {table: _read(conn, table) for table in written}
            assert version == expected_revision()
            for table, values in written.items():
                for column, value in values.items():
                    assert _plain(after[table][column]) == _plain(value), (table, column)

            # the search index was filled for rows written before it existed
            organizer = db.session.get(Organizer, 1)
            found = customer_queries.customers_page(organizer, customer_queries.CustomerFilters(query="ozturk"))
            assert [c.id for c in found.items] == [1]
            db.session.remove()

            upgrade()  # a second run is a no-op
            with db.engine.connect() as conn:
                assert {table: _read(conn, table) for table in written} == after

            # the newest migration can be undone (on this copy) and done again
            downgrade(revision="-1")
            upgrade()
            with db.engine.connect() as conn:
                again = {table: _read(conn, table) for table in written}
            for table, values in written.items():
                for column in values:
                    assert _plain(again[table][column]) == _plain(after[table][column]), (table, column)
            db.session.remove()
            db.engine.dispose()
    finally:
        _drop(name)
