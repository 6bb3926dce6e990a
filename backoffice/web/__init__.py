"""HTML blueprints and what they share: access checks, errors, template helpers."""
from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import account, auth, customers, errors, main, orders, outbox, public, search, templating
    templating.init_app(app)
    errors.init_app(app)
    from .security import add_security_headers
    app.after_request(add_security_headers)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(outbox.bp)
    from . import staff_account, teams
    app.register_blueprint(teams.bp)
    app.register_blueprint(staff_account.bp)
    app.register_blueprint(staff_account.own)
    from . import tickets
    app.register_blueprint(tickets.bp)
    from . import compose
    app.register_blueprint(compose.bp)
    from . import organizer_settings
    app.register_blueprint(organizer_settings.bp)
    from . import health
    app.register_blueprint(health.bp)
    from . import products
    app.register_blueprint(products.bp)
    from . import events, first_start
    app.register_blueprint(events.bp)
    app.register_blueprint(first_start.bp)
