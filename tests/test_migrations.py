"""The schema changes only through migrations; they must apply and revert cleanly."""
import uuid

import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from backoffice import create_app
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


# Expression indexes (lower(email)) cannot be reflected on SQLite; they are compared on PostgreSQL.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_migrations_upgrade_downgrade_and_match_the_models(tmp_path):
    url, name = _scratch_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"order", "customer", "order_position", "log_entry", "outbox_email"} <= tables
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            db.session.remove()
            db.engine.dispose()
    finally:
        _drop(name)


def test_upgrade_keeps_existing_data(tmp_path):
    """Running `flask db upgrade` again on a database with data changes nothing."""
    url, name = _scratch_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            upgrade()
            db.session.execute(text("INSERT INTO organizer (slug, name, name_scheme, locales, timezone) "
                                    "VALUES ('keep', 'Keep me', 'full', '[\"en\"]', 'UTC')"))
            db.session.commit()
            upgrade()
            assert db.session.execute(text("SELECT name FROM organizer WHERE slug='keep'")).scalar() == "Keep me"
            db.session.remove()
            db.engine.dispose()
    finally:
        _drop(name)
