"""The published field forms, end to end through the OpenRosa endpoints as the demo worker."""
import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Submission
from server.services.accounts import active_collect_token
from server.queries.accounts import get_user_by_username
from tests.support.collect import CollectClient
from tests.support.instances import fill_instance

JPEG = b"\xff\xd8\xff\xe0" + b"demo" * 500


# The demo data is SQLite's (`scripts/serve`); the forms' OpenRosa path runs on both databases elsewhere.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def demo_collect(runner, client):
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    token = active_collect_token(get_user_by_username("worker1")).token
    return CollectClient(client, f"/key/{token}")


def test_worker_lists_the_six_forms_and_their_station_files(demo_collect):
    listing = demo_collect.get("/formList").data.decode()
    assert sorted(re.findall(r"<formID>(\w+)</formID>", listing)) == sorted(
        ["child_followup", "elder_patrol", "home_visit", "household_survey", "resident_feedback", "volunteer_service"])
    manifest = demo_collect.get("/forms/household_survey/manifest").data.decode()
    assert {"cases.csv", "villages.csv", "station.csv"} <= set(re.findall(r"<filename>([^<]+)<", manifest))
    villages = demo_collect.get("/forms/household_survey/attachments/villages.csv").data.decode()
    assert villages.splitlines()[0] == "name,label" and "530102001001" in villages
    station = demo_collect.get("/forms/household_survey/attachments/station.csv").data.decode()
    assert "station_name,昆明市五华区华山街道社会工作服务站" in station
    assert "allowance_line_urban,830" in station
    volunteers = demo_collect.get("/forms/volunteer_service/attachments/volunteers.csv").data.decode().splitlines()
    assert volunteers[0] == "name,label" and len(volunteers) > 10  # the demo station's volunteers, names only
    cases = demo_collect.get("/forms/home_visit/attachments/cases.csv").data.decode().splitlines()
    assert len(cases) > 5 and all(",530102001" in row for row in cases[1:])  # only 华山's villages
    _a_home_visit_registering_a_new_person_is_accepted(demo_collect)


def _a_home_visit_registering_a_new_person_is_accepted(demo_collect):
    xform = demo_collect.get("/forms/home_visit.xml").data
    values = {"case_mode": "new", "visit_date": "2026-11-27", "location": "25.04 102.71 1890 5",
              "registration/reg_name": "张桂英", "registration/reg_village": "530102001001",
              "risk_level": "medium", "photos/photo_home": "1764300000000.jpg"}
    xml = fill_instance(xform, values)
    response = demo_collect.submit(xml, [("1764300000000.jpg", JPEG)])
    assert response.status_code == 201, response.data
    submission = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    version = submission.versions[0]
    assert version.data["registration"]["reg_name"] == "张桂英"
    assert version.latitude == 25.04
    assert [a.name for a in version.attachments if a.blob_sha256] == ["1764300000000.jpg"]
