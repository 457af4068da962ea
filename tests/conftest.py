"""Shared fixtures. Every test that touches the database runs twice: on a real SQLite
file and on a real PostgreSQL cluster started for the session (never skipped)."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import settings

from server import create_app
from server.adapters.tabular import read_table
from server.domain.places import AREA_COLUMNS
from server.domain.stations import StationMode
from server.extensions import db
from server.services import accounts, places
from tests.support.database import empty_all_tables
from tests.support.postgres import start_cluster

RESOURCES = Path(__file__).parent / "resources"
DATABASES = ("sqlite", "postgresql")

# Property tests (Hypothesis, schemathesis): no deadline on a shared 2-core machine; the examples are derived
# from each test's name, so the test command can neither flake nor find something new by chance.
# LASTMETER_EXPLORE=1 lets Hypothesis explore new examples (and remember failures) on a developer's machine.
settings.register_profile("lastmeter", deadline=None, max_examples=50,
                          **({} if os.environ.get("LASTMETER_EXPLORE") else {"derandomize": True, "database": None}))
settings.load_profile("lastmeter")

# Passwords are hashed with scrypt at werkzeug's cost (2^15) in the app: about 0.1 s each, on every account a
# test creates. Tests hash at a lower cost of the same method (as Django's test settings do); the stored
# hash still names its parameters, so checking it is unchanged. The timing guard keeps the full cost.
accounts.PASSWORD_METHOD = "scrypt:1024:8:1"


@pytest.fixture(scope="session")
def postgres_cluster():
    cluster = start_cluster()  # raises loudly if PostgreSQL cannot start
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3-compatible server on loopback (``tests/support/s3.py``), for media on S3."""
    from tests.support.s3 import start_s3_server

    server = start_s3_server()
    yield server
    server.stop()


_MIGRATED: dict[str, str] = {}  # kind → URL: made once per process, however often pytest sets the fixture up again


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    """A migrated, empty database of each kind, shared by the session's tests. Run in parallel (pytest-xdist),
    a worker's tests may switch between the kinds several times: each kind is still made once."""
    if request.param in _MIGRATED:
        return _MIGRATED[request.param]
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
    _MIGRATED[request.param] = url
    return url


def _test_config(database_url: str, media_root: Path) -> dict[str, object]:
    return {"ENV": "testing", "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root),
            "PUBLIC_URL": "https://lastmeter.example.cn", "SECRET_KEY": "test-secret-key-0123456789",
            "JOBS_URL": "memory://"}


@pytest.fixture
def media_config() -> dict[str, object]:
    """Settings laid over the app's test configuration; a module overrides it, e.g. to keep media on S3."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, media_config):
    app = create_app({**_test_config(database_url, tmp_path / "media"), **media_config})
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables(db.engine)
        db.engine.dispose()


class RequestIsolatingClient(FlaskClient):
    """The tests hold one app context open (to use db.session between requests), and Flask reuses
    it for each request — so ``g`` would leak from one request into the next, as it never does in
    production, where every request gets a fresh one. Start every request with an empty ``g``."""

    def open(self, *args, **kwargs):
        from flask import g

        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = RequestIsolatingClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- the station network, users and a form, shared by integration and browser tests ---------

@pytest.fixture
def network(app):
    """Two counties, each with a station: 华山街道 (五华区) and 拓东街道 (盘龙区)."""
    table = read_table(RESOURCES / "areas_small.csv", AREA_COLUMNS)
    places.import_areas(table.rows)
    places.create_station("530102001", StationMode.PURCHASED)
    places.create_station("530103001", StationMode.GOVERNMENT)
    db.session.commit()


@pytest.fixture
def make_user(network):
    def make(username: str, role: str, scope: str, password: str = "correct-horse-9"):
        user = accounts.create_user(username, role, scope, password)
        db.session.commit()
        return user

    return make


WORKER_PASSWORD = "Huashan-2026"


@pytest.fixture
def visit_form(app):
    from server.services.forms import publish_form
    from tests.support.visit_form import visit_xlsform

    publish_form(visit_xlsform(), "visit.xlsx")
    db.session.commit()


@pytest.fixture
def worker(make_user, visit_form):
    return make_user("worker1", "worker", "530102001", WORKER_PASSWORD)


@pytest.fixture
def collect(client, worker):
    """Collect with the worker's token URL (the settings-QR way in)."""
    from server.services.accounts import active_collect_token
    from tests.support.collect import CollectClient

    return CollectClient(client, f"/key/{active_collect_token(worker).token}")


@pytest.fixture
def collect_password(client, worker):
    """Collect configured with server URL + username/password (Digest over HTTP)."""
    from tests.support.collect import CollectClient

    return CollectClient(client, "", username="worker1", password=WORKER_PASSWORD)


# --- two workers, each with its own fixed share of the files -----------------------------------------------------

TIMINGS = Path(__file__).parent / "timings.txt"  # seconds per test file, from tests/support/timings.py
UNKNOWN_FILE_SECONDS_PER_TEST = 0.3


def pytest_xdist_make_scheduler(config, log):
    """Run in parallel (``scripts/test``: pytest-xdist, ``--dist loadfile``), each test file goes to one worker,
    fixed in advance: the files are shared out by their measured time (``tests/timings.txt``), the longest first,
    each to the worker with the least so far, and each worker runs its share in collection order. A worker therefore
    runs the same files in the same order every time, never a file that happened to be free — so the order of a
    process's tests (and whatever state a test leaves in its process) is the same from run to run."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FixedShares(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return f"share{_shares(self.numnodes).get(nodeid.split('::', 1)[0], 0)}"

    return FixedShares(config, log)


@functools.lru_cache(maxsize=4)
def _shares(workers: int) -> dict[str, int]:
    """Every test file of the suite → its worker (the same whatever ``-k`` or paths select)."""
    root = Path(__file__).parent
    measured = _timings()
    cost = {}
    for path in sorted(root.rglob("test_*.py")):
        name = path.relative_to(root.parent).as_posix()
        cost[name] = measured.get(name, UNKNOWN_FILE_SECONDS_PER_TEST * path.read_text(encoding="utf-8").count(
            "\ndef test_"))
    load, shares = [0.0] * workers, {}
    for name in sorted(cost, key=lambda n: (-cost[n], n)):
        worker = min(range(workers), key=lambda w: (load[w], w))
        load[worker] += cost[name]
        shares[name] = worker
    return shares


def _timings() -> dict[str, float]:
    if not TIMINGS.exists():
        return {}
    found = {}
    for line in TIMINGS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            seconds, name = line.split(None, 1)
            found[name.strip()] = float(seconds)
    return found
