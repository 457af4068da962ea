"""Shared fixtures. Every test that touches the database runs twice: on a real SQLite
file and on a real PostgreSQL cluster started for the session (never skipped)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from server import create_app
from server.extensions import db
from tests.support.database import empty_all_tables
from tests.support.postgres import start_cluster

RESOURCES = Path(__file__).parent / "resources"
DATABASES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_cluster():
    cluster = start_cluster()  # raises loudly if PostgreSQL cannot start
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    """A migrated, empty database of each kind, shared by the session's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        url = cluster.create_database(f"lastmeter_{os.getpid()}")
    app = create_app(_test_config(url, tmp_path_factory.mktemp("media")))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _test_config(database_url: str, media_root: Path) -> dict[str, object]:
    return {"ENV": "testing", "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root),
            "PUBLIC_URL": "https://lastmeter.example.cn", "SECRET_KEY": "test-secret-key-0123456789"}


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(_test_config(database_url, tmp_path / "media"))
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables(db.engine)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
