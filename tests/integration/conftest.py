from __future__ import annotations

import pytest

from server.adapters.tabular import read_table
from server.domain.places import AREA_COLUMNS
from server.domain.stations import StationMode
from server.extensions import db
from server.services import accounts, places
from tests.conftest import RESOURCES


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
