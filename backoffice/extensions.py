import time

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


#: a pooled PostgreSQL connection unused for longer than this is checked before it is handed out
PING_AFTER_IDLE_SECONDS = 10.0


@event.listens_for(Pool, "checkin")
def _note_idle(dbapi_connection, record) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, record, proxy) -> None:
    """Check that a PostgreSQL connection is still alive, when it has been idle for a while.

    The server closes connections when it restarts, a firewall forgets idle ones, and a dead
    connection would fail the request that gets it. SQLAlchemy's `pool_pre_ping` asks the
    server on every checkout: one more round trip per request, most of them for a connection
    used milliseconds before. Busy connections are not asked; one that dies while in use
    (a restart while serving) still fails that request, after which SQLAlchemy discards every
    connection of the pool. SQLite has no connection to lose."""
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True  # no BEGIN for the check
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except Exception as e:  # any failure: let the pool open a new connection instead
        raise exc.DisconnectionError(str(e)) from e


@event.listens_for(Engine, "do_connect")
def _postgresql_options(dialect, _record, _cargs, cparams) -> None:
    """Connection settings for PostgreSQL (psycopg 3), whatever DATABASE_URL says besides.

    - Prepared statements may keep one plan for any values (`plan_cache_mode=auto`, PostgreSQL's
      default, set in case the server says otherwise). Only statements that find rows by key
      are prepared (plans.py); every other one is planned for its values each time.
    - No JIT compilation (`jit=off`): PostgreSQL compiles a query whose estimated cost passes
      `jit_above_cost` (100,000), which takes tens of milliseconds, more than any query here
      runs; a trigram search over a big table can be estimated that high.
    - No parallel workers per statement (`max_parallel_workers_per_gather=0`): starting them
      costs more than the few milliseconds a page's statement runs (counting an event's 160,000
      tickets: 16-19 ms with two workers, 9 ms without, on 2 CPUs), and the gunicorn workers
      already keep the CPUs busy with other requests. A big machine with few users can allow
      them again in DATABASE_URL (`?options=-c%20max_parallel_workers_per_gather%3D2`)."""
    if dialect.driver != "psycopg":
        return
    options = cparams.get("options", "")
    if "jit" not in options:
        options = f"{options} -c jit=off"
    if "max_parallel_workers_per_gather" not in options:
        options = f"{options} -c max_parallel_workers_per_gather=0"
    if "plan_cache_mode" not in options:
        options = f"{options} -c plan_cache_mode=auto"
    cparams["options"] = options.strip()
