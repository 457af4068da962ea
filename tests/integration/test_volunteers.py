"""Volunteer service on both databases, the way ODK Collect uses it: the form in the form list, its manifest with
the station's volunteers.csv (names only) and cases.csv, service records with photos; the ledger summed against
hand-computed hours through edits and rejections; new volunteers joining the list only on approval."""
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.domain.clock import today_in_china
from server.extensions import db
from server.models import StaffMember
from server.models.volunteers import VolunteerHours
from server.services.forms import publish_form
from tests.integration.test_cases_from_visits import FORMS, field_forms, phone  # noqa: F401
from tests.support.events import PASSWORD, bearer
from tests.support.instances import fill_instance

TODAY = today_in_china()
JPEG = b"\xff\xd8\xff" + b"j" * 200


@pytest.fixture
def station_team(make_user, network):
    """Three volunteers at 华山 (one with a phone number on record), one at 拓东; and the supervisors."""
    people = {}
    for station, name, phone_number in (("530102001", "李梅", "13900001111"), ("530102001", "王强", None),
                                        ("530102001", "赵敏", None), ("530103001", "外站志愿者", None)):
        member = StaffMember(station_code=station, name=name, role="volunteer", origin="volunteer", phone=phone_number)
        db.session.add(member)
        db.session.flush()
        people[name] = member.id
    db.session.commit()
    make_user("wuhua", "county", "530102", PASSWORD)
    make_user("huashan", "station", "530102001", PASSWORD)
    return people


@pytest.fixture
def volunteer_phone(phone, station_team):
    publish_form((FORMS / "volunteer_service.xlsx").read_bytes(), "volunteer_service.xlsx")
    db.session.commit()
    device = phone("worker_v", "530102001")
    device.xform["volunteer_service"] = device.get("/forms/volunteer_service.xml").data
    return device


def service(device, day: date, parts: list[tuple[int, str]], default_hours: str = "2", new=(), title="敬老探访",
            deprecated: str | None = None, instance_id: str | None = None) -> str:
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    values = {"service_date": day.isoformat(), "activity_title": title, "service_area": "elderly",
              "location": "25.04 102.71 1890 5", "default_hours": default_hours, "people_served": "12",
              "has_new_volunteers": "yes" if new else "no", "photo_activity": "act.jpg"}
    repeats = {"volunteer": [{"volunteer_id": str(i), "own_hours": own, "hours": own or default_hours}
                             for i, own in parts]}
    if new:
        repeats["new_volunteer"] = [{"new_name": n, "new_gender": "female", "new_phone": "13800002222",
                                     "new_own_hours": "", "new_hours": default_hours} for n in new]
    xml = fill_instance(device.xform["volunteer_service"], values, instance_id, repeats=repeats)
    if deprecated:  # an edit, as Collect sends it: the new instanceID and the one it replaces
        xml = xml.replace(f"{instance_id}</instanceID>".encode(),
                          f"{instance_id}</instanceID><deprecatedID>{deprecated}</deprecatedID>".encode())
    response = device.submit(xml, [("act.jpg", JPEG)])
    assert response.status_code == 201, response.data
    return instance_id


def test_the_form_and_the_stations_volunteer_list_reach_the_phone(client, volunteer_phone, station_team):
    listing = volunteer_phone.get("/formList").get_data(as_text=True)
    assert "<formID>volunteer_service</formID>" in listing
    manifest = volunteer_phone.get("/forms/volunteer_service/manifest").get_data(as_text=True)
    assert "<filename>volunteers.csv</filename>" in manifest and "<filename>cases.csv</filename>" in manifest
    csv_text = volunteer_phone.get("/forms/volunteer_service/attachments/volunteers.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "name,label"
    assert {line.split(",")[1] for line in csv_text.splitlines()[1:]} == {"李梅", "王强", "赵敏"}  # not 拓东's
    assert "13900001111" not in csv_text


def test_the_ledger_counts_hours_through_edits_and_rejections(client, volunteer_phone, station_team):
    li, wang, zhao = station_team["李梅"], station_team["王强"], station_team["赵敏"]
    first = service(volunteer_phone, TODAY - timedelta(days=10), [(li, ""), (wang, "3.5")])  # 2 h, 3.5 h
    second = service(volunteer_phone, TODAY - timedelta(days=5), [(li, ""), (zhao, "")], default_hours="1.5")
    third = service(volunteer_phone, TODAY - timedelta(days=3), [(wang, "")], default_hours="4")
    outsider = service(volunteer_phone, TODAY - timedelta(days=2), [(station_team["外站志愿者"], "")])  # not ours
    # the first record is edited: 王强 served 3 h, not 3.5; 赵敏 joins it at the default 2 h
    service(volunteer_phone, TODAY - timedelta(days=10), [(li, ""), (wang, "3"), (zhao, "")], deprecated=first)
    headers = bearer(client, "wuhua")
    # the station head rejects the third (a duplicate): it no longer counts
    assert client.patch(f"/api/v1/submissions/{third}", headers=headers,
                        json={"reviewState": "rejected"}).status_code == 200
    ledger = client.get("/api/v1/volunteers?station=530102001", headers=headers).json
    hours = {row["name"]: (row["hours"], row["activities"]) for row in ledger["volunteers"]}
    assert hours == {"李梅": (3.5, 2), "王强": (3.0, 1), "赵敏": (3.5, 2)}  # 2+1.5; 3; 2+1.5
    [station] = ledger["stations"]
    assert station["hours"] == 10.0 and station["activities"] == 2 and station["volunteers_served"] == 3
    assert db.session.scalars(select(VolunteerHours).where(
        VolunteerHours.submission_id.in_(select(VolunteerHours.submission_id)))).all()
    assert outsider and second  # recorded, and the outsider left out of 华山's ledger
    assert "外站志愿者" not in str(ledger)


def test_a_new_volunteer_joins_the_list_only_when_the_record_is_approved(client, volunteer_phone, station_team):
    record = service(volunteer_phone, TODAY - timedelta(days=1), [(station_team["李梅"], "")], new=("陈新",))
    headers = bearer(client, "huashan")
    names = {row["name"] for row in client.get("/api/v1/volunteers", headers=headers).json["volunteers"]}
    assert names == {"李梅"}
    assert db.session.scalar(select(StaffMember).where(StaffMember.name == "陈新")) is None
    assert client.patch(f"/api/v1/submissions/{record}", headers=headers,
                        json={"reviewState": "approved"}).status_code == 200
    member = db.session.scalar(select(StaffMember).where(StaffMember.name == "陈新"))
    assert member.role == "volunteer" and member.station_code == "530102001" and member.phone == "13800002222"
    ledger = {row["name"]: row["hours"] for row in client.get("/api/v1/volunteers", headers=headers).json["volunteers"]}
    assert ledger == {"李梅": 2.0, "陈新": 2.0}
    csv_text = volunteer_phone.get("/forms/volunteer_service/attachments/volunteers.csv").get_data(as_text=True)
    assert re.search(rf"^{member.id},陈新$", csv_text, re.M)
