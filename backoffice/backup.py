"""`flask backup PATH` / `flask restore PATH`: a consistent copy of the whole database.

SQLite: the online backup API copies page by page while the server keeps running; the copy is a
plain SQLite file. PostgreSQL: `pg_dump --format=custom` and `pg_restore`, the tools made for it
(their major version must match the server's; Debian's postgresql-client package). Restoring
over a database that holds data is refused unless forced: it replaces everything in it.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from .extensions import db


class BackupError(Exception):
    """Something the admin must fix; the message says what."""


def _sqlite_path() -> Path:
    return Path(db.engine.url.database)


def _pg_dsn() -> str:
    """The database URL as libpq tools read it (without the SQLAlchemy driver name)."""
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed. Install the PostgreSQL client tools of your "
                          f"server's version (Debian: apt-get install postgresql-client) and try again.")
    return found


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def backup(target: Path) -> None:
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name, a backup never overwrites.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    db.session.remove()
    if is_sqlite():
        source = sqlite3.connect(_sqlite_path())
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), _pg_dsn()])


def holds_data() -> bool:
    """Whether the database has any organizer or staff user (an empty schema does not count)."""
    from .domain.models import Organizer, User
    tables = set(inspect(db.engine).get_table_names())
    if "organizer" not in tables:
        return False
    found = (db.session.scalar(select(Organizer.id).limit(1)) is not None
             or db.session.scalar(select(User.id).limit(1)) is not None)
    db.session.rollback()
    return found


def _check_sqlite_backup(source: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{source} is not a backup of this back office ({e}).") from e
    if ok != "ok":
        raise BackupError(f"{source} is damaged: {ok}")


def restore(source: Path, *, force: bool = False) -> None:
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    if holds_data() and not force:
        raise BackupError("The database holds data. Restoring replaces all of it: run again with --force "
                          "if that is what you want (take a backup of it first).")
    db.session.remove()
    if is_sqlite():
        _check_sqlite_backup(source)
        backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path())
        try:
            with live:
                backup_conn.backup(live)
        finally:
            live.close()
            backup_conn.close()
    else:
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--dbname", _pg_dsn(), str(source)])
    db.engine.dispose()  # connections opened before point at what was replaced


def table_fingerprints() -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every table's rows, to compare two databases."""
    import hashlib
    result = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest = hashlib.sha256(repr([tuple(map(_plain, r)) for r in rows]).encode()).hexdigest()
            result[table.name] = (len(rows), digest)
        result["alembic_version"] = (1, conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
    return result


def _plain(value):
    """One spelling per value on both databases (a datetime read back keeps its zone)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def database_label() -> str:
    url = make_url(str(db.engine.url))
    return url.render_as_string(hide_password=True)
