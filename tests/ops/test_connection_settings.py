"""PostgreSQL sessions get the settings the pages are tuned for, unless DATABASE_URL says otherwise."""
from __future__ import annotations

from types import SimpleNamespace

from backoffice import extensions
from backoffice.extensions import db
from tests.conftest import DB_KIND

PSYCOPG = SimpleNamespace(driver="psycopg")


def _options(given: str | None = None) -> str:
    cparams = {} if given is None else {"options": given}
    extensions._postgresql_options(PSYCOPG, None, None, cparams)
    return cparams["options"]


def test_sessions_run_without_jit_or_parallel_workers():
    assert _options().split(" -c ") == ["-c jit=off", "max_parallel_workers_per_gather=0", "plan_cache_mode=auto"]


def test_a_setting_in_the_database_url_wins():
    options = _options("-c max_parallel_workers_per_gather=2 -c jit=on")
    assert options == "-c max_parallel_workers_per_gather=2 -c jit=on -c plan_cache_mode=auto"


def test_the_server_applies_them(app):
    if DB_KIND != "postgresql":  # SQLite has no such settings: the hook leaves its connections alone
        sqlite = {}
        extensions._postgresql_options(SimpleNamespace(driver="pysqlite"), None, None, sqlite)
        assert sqlite == {}
        return
    with db.engine.connect() as conn:
        shown = {name: conn.exec_driver_sql(f"SHOW {name}").scalar()
                 for name in ("jit", "max_parallel_workers_per_gather", "plan_cache_mode")}
    assert shown == {"jit": "off", "max_parallel_workers_per_gather": "0", "plan_cache_mode": "auto"}
