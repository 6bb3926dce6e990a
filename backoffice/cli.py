"""`flask` commands: staff admins, demo data, the mail outbox, periodic work, backups."""
from __future__ import annotations

import getpass

import click
from flask import Flask
from sqlalchemy import select, text

from .domain import staff
from .domain.errors import DomainError
from .domain.models import Organizer
from .domain.tx import immediate
from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", required=True)
    @click.option("--password", default=None, help="Asked for when not given.")
    @click.option("--name", default="")
    @click.option("--organizer", "organizer_slug", default=None,
                  help="Slug of the organizer to administer; all organizers when omitted.")
    def create_admin(email, password, name, organizer_slug):
        """Create a staff user with full permissions."""
        if password is None:
            password = getpass.getpass("Password: ")
        with immediate():
            try:
                user = staff.create_user(email=email, password=password, fullname=name)
                stmt = select(Organizer)
                if organizer_slug:
                    stmt = stmt.where(Organizer.slug == organizer_slug)
                organizers = list(db.session.scalars(stmt))
                if organizer_slug and not organizers:
                    raise click.ClickException(f"No organizer with the slug '{organizer_slug}'.")
                for organizer in organizers:
                    staff.add_to_admin_team(user, organizer)
                db.session.commit()
            except DomainError as e:
                db.session.rollback()
                raise click.ClickException(e.message)
        click.echo(f"Created {user.email} (administrator of {len(organizers)} organizer(s)).")

    @app.cli.command("demo-data")
    @click.option("--orders", default=2000, show_default=True, help="Number of orders to create.")
    @click.option("--customers", default=500, show_default=True, help="Number of customers to create.")
    @click.option("--seed", default=42, show_default=True)
    @click.option("--if-empty", is_flag=True, help="Do nothing when an organizer exists already.")
    def demo_data(orders, customers, seed, if_empty):
        """Load deterministic, realistic demo data and a demo admin."""
        from .demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, generate
        if if_empty and db.session.scalar(select(Organizer.id).limit(1)) is not None:
            click.echo("Demo data: the database has data already, nothing loaded.")
        else:
            with immediate():
                generate(orders=orders, customers=customers, seed=seed, progress=click.echo)
            # fresh statistics, so the query planner knows the tables' sizes from the first request
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        click.echo(f"Demo login: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}")

    @app.cli.command("outbox-send")
    def outbox_send():
        """Deliver queued mails that are due (run from cron when MAIL_SERVER is set)."""
        from .mail import deliver
        click.echo(f"{deliver()} mail(s) sent.")

    @app.cli.command("periodic")
    def periodic_work():
        """Expire overdue orders, forget expired password links, send due mails (cron, every few
        minutes; safe on several servers at once)."""
        from .domain import periodic
        from .mail import deliver, delivery_enabled
        result = periodic.run()
        sent = deliver()
        mails = f"{sent} mail(s) sent" if delivery_enabled() else "mail delivery off (no MAIL_SERVER)"
        click.echo(f"{result.expired} order(s) expired, {result.links_purged} password link(s) purged, {mails}.")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_command(path):
        """Write a consistent copy of the database to PATH (safe while the server runs)."""
        from .backup import BackupError, backup, database_label
        try:
            backup(path)
        except BackupError as e:
            raise click.ClickException(str(e))
        click.echo(f"Backed up {database_label()} to {path}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--force", is_flag=True, help="Replace a database that holds data.")
    def restore_command(path, force):
        """Replace the database's content with the backup at PATH (stop the servers first)."""
        from .backup import BackupError, database_label, restore
        try:
            restore(path, force=force)
        except BackupError as e:
            raise click.ClickException(str(e))
        click.echo(f"Restored {path} into {database_label()}. Run `flask db upgrade` if the backup is older "
                   f"than this version.")
