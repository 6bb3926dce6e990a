"""`flask backup` and `flask restore` round-trip demo data exactly, and refuse to destroy data."""
from __future__ import annotations

from sqlalchemy import delete, update

from backoffice import backup, demo
from backoffice.domain.models import Customer, LogEntry, Order
from backoffice.extensions import db


def load_demo():
    demo.generate(orders=40, customers=15, seed=7, progress=lambda *_: None)
    db.session.commit()


def test_backup_then_restore_gives_back_every_row(app, tmp_path):
    load_demo()
    before = backup.table_fingerprints()
    assert before["order"][0] == 40 and before["customer"][0] >= 15
    runner = app.test_cli_runner()
    target = tmp_path / "backoffice.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0 and "Backed up" in result.output

    # work goes on after the backup, then something goes badly wrong
    db.session.execute(update(Order).values(email="overwritten@example.org", comment="oops"))
    db.session.execute(delete(LogEntry))
    db.session.commit()
    assert backup.table_fingerprints() != before

    refused = runner.invoke(args=["restore", str(target)])
    assert refused.exit_code != 0 and "holds data" in refused.output and "--force" in refused.output
    assert backup.table_fingerprints()["log_entry"][0] == 0  # nothing restored

    result = runner.invoke(args=["restore", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert backup.table_fingerprints() == before
    db.session.remove()
    assert db.session.query(Customer).count() == before["customer"][0]


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    target = tmp_path / "existing.backup"
    target.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code != 0 and "exists already" in result.output
    assert target.read_text() == "keep me"
    missing = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no" / "such" / "dir.backup")])
    assert missing.exit_code != 0 and "does not exist" in missing.output


def test_restore_refuses_a_missing_or_foreign_file_and_changes_nothing(app, tmp_path):
    load_demo()
    before = backup.table_fingerprints()
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["restore", str(tmp_path / "nothing.backup"), "--force"])
    assert missing.exit_code != 0 and "no backup file" in missing.output
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"\x00not a database at all" * 100)
    result = runner.invoke(args=["restore", str(junk), "--force"])
    assert result.exit_code != 0 and "Error" in result.output
    assert "Traceback" not in result.output
    assert backup.table_fingerprints() == before


def test_without_the_postgresql_tools_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    try:
        backup._tool("pg_dump")
    except backup.BackupError as e:
        assert "pg_dump is not installed" in str(e) and "postgresql-client" in str(e)
    else:
        raise AssertionError("no error without pg_dump")
