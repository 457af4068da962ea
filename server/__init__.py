"""Lastmeter: the server of Kunming's township social work stations.

``create_app`` is the application factory (``flask --app server …``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from server.config import environment, flask_settings, load_config


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    settings = load_config(environment(), app.instance_path, config)
    app.config.update(settings)
    app.config.update(flask_settings(settings))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if int(settings["TRUSTED_PROXIES"]):
        hops = int(settings["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    import server.models  # noqa: F401  (registers every table)
    import server.queries.coverage_model  # noqa: F401  (session listeners that keep the read models)
    import server.queries.tallies  # noqa: F401
    from server.extensions import db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    with app.app_context():
        _configure_sqlite(db.engine)

    from server import api, boundary, cli, jobs, media, openrosa, web

    boundary.init_app(app)
    media.init_app(app)
    jobs.init_app(app)
    web.init_app(app)
    api.init_app(app)
    openrosa.init_app(app)
    for blueprint in (api.bp, openrosa.bp):
        web.exempt_from_csrf(blueprint)  # token-authenticated: no session cookie to ride on
    cli.init_app(app)
    _keep_tokens_out_of_logs(app)
    return app


def _keep_tokens_out_of_logs(app: Flask) -> None:
    """Flask logs a crash with its path, the development server every request line: both may hold a token URL."""
    import logging

    from server.domain.redaction import RedactingFilter

    for logger in (app.logger, logging.getLogger("werkzeug")):
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def _configure_sqlite(engine: Engine) -> None:
    """WAL lets readers and one writer work together; foreign keys are off by default in SQLite."""
    if engine.dialect.name != "sqlite":
        return

    from server.adapters.sqlite_wal import ensure_wal

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        ensure_wal(dbapi_connection, timeout=10)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged submission survives power loss
        cursor.close()
