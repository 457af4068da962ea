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
