"""The flask commands an admin of a small install uses."""
from sqlalchemy import select

from backoffice.domain.models import Team, User
from backoffice.domain.passwords import verify_password
from backoffice.extensions import db
from tests import factories


def test_create_admin_gets_every_permission_on_every_organizer(app):
    factories.organizer(slug="a")
    factories.organizer(slug="b")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "Boss@Example.org",
                                                "--password", "long enough"])
    assert result.exit_code == 0, result.output
    assert "administrator of 2 organizer(s)" in result.output
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "Boss@example.org"))
    assert verify_password(user.password_hash, "long enough")
    teams = db.session.scalars(select(Team)).all()
    assert len(teams) == 2 and all(t.can_change_orders and t.can_change_customers and user in t.members for t in teams)


def test_create_admin_refuses_a_duplicate_and_a_short_password(app):
    factories.user("taken@example.org")
    db.session.commit()
    runner = app.test_cli_runner()
    duplicate = runner.invoke(args=["create-admin", "--email", "TAKEN@example.org", "--password", "long enough"])
    assert duplicate.exit_code != 0 and "exists already" in duplicate.output
    short = runner.invoke(args=["create-admin", "--email", "new@example.org", "--password", "short"])
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


def test_demo_data_if_empty_leaves_an_existing_database_alone(app):
    factories.organizer(slug="existing")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0 and "nothing loaded" in result.output
    db.session.rollback()
    assert db.session.scalar(select(User)) is None
