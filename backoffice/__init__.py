"""The back office application factory."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

from flask import Flask
from sqlalchemy import exc as sa_exc

from .config import ROOT, Config
from .extensions import csrf, db, login_manager, migrate

# SQLite has no decimal type; Money columns convert exactly through strings themselves.
warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively.*",
                        category=sa_exc.SAWarning)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_object(Config())
    if overrides:
        app.config.update(overrides)
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from .domain.tx import configure_sqlite
            configure_sqlite(db.engine)

    from .domain import changes, models, search_index  # noqa: F401  (tables; last_modified and search hooks)
    from . import mail  # noqa: F401  (registers after-commit delivery)
    from . import plans  # noqa: F401  (which PostgreSQL statements are prepared)
    if app.config.get("TRUST_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    from . import request_log
    request_log.init_app(app)  # first, so that even refused requests are timed and logged
    from .web import register_web
    register_web(app)
    from .api import register_api
    register_api(app)
    from .cli import register_cli
    register_cli(app)
    from . import read_only
    read_only.init_app(app)  # last, as its before-request function goes first of all
    return app
