"""Station compliance through the API: recorded data in, one check per clause out, scoped."""
from datetime import date

from server.domain.stations import Certificate, Education, InspectionResult, StaffOrigin, StaffRole
from server.extensions import db
from server.models import Station
from server.services import places


def login(client, make_user, username, role, scope):
    make_user(username, role, scope, "Secret-pass-1")
    token = client.post("/api/v1/sessions", json={"username": username, "password": "Secret-pass-1"}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_compliance_checks_name_their_clauses_and_follow_the_data(client, make_user, runner, tmp_path):
    station = db.session.get(Station, "530102001")  # purchased service, nothing recorded yet
    headers = login(client, make_user, "wuhua", "county", "530102")
    body = client.get("/api/v1/stations/530102001/compliance", headers=headers).json
    checks = {c["rule"]: c for c in body["checks"]}
    assert body["compliant"] is False
    assert checks["volunteers"]["passed"] is False and checks["volunteers"]["clause"] == "§4.4"
    assert checks["setup_funding"]["passed"] is None and checks["plaque"]["passed"] is False
    places.add_staff_member(station, "王站长", StaffRole.HEAD, StaffOrigin.TOWNSHIP)
    places.add_staff_member(station, "李副站长", StaffRole.DEPUTY_HEAD, StaffOrigin.OPERATOR,
                            birth_date=date(1988, 5, 1), education=Education.BACHELOR,
                            certificate=Certificate.INTERMEDIATE)
    for name in ("甲", "乙"):
        places.add_staff_member(station, name, StaffRole.STAFF, StaffOrigin.OPERATOR, birth_date=date(1995, 1, 1),
                                education=Education.COLLEGE)
    for number in range(30):
        places.add_staff_member(station, f"志愿者{number}", StaffRole.VOLUNTEER, StaffOrigin.VOLUNTEER)
    station.operator_registration_no, station.operator_inspection = "52530100MJ1234567", InspectionResult.PASSED
    station.setup_funding_yuan, station.flagship_projects = 24_000, 2
    db.session.commit()
    assert runner.invoke(args=["plaque", "530102001", "--out", str(tmp_path / "p.pdf")]).exit_code == 0
    body = client.get("/api/v1/stations/530102001/compliance", headers=headers).json
    assert [c["rule"] for c in body["checks"] if not c["passed"]] == ["plaque"]  # a plaque file proves nothing
    from server.services.plaques import record_plaque_installed

    record_plaque_installed(db.session.get(Station, "530102001"), "2026-11-30")  # §4.6, as a county user records it
    db.session.commit()
    body = client.get("/api/v1/stations/530102001/compliance", headers=headers).json
    assert body["compliant"] is True, [c for c in body["checks"] if not c["passed"]]


def test_compliance_is_scoped(client, make_user):
    headers = login(client, make_user, "panlong", "county", "530103")
    assert client.get("/api/v1/stations/530102001/compliance", headers=headers).status_code == 404
    assert client.get("/api/v1/stations/530103001/compliance", headers=headers).status_code == 200


def test_station_page_lists_the_checks(client, make_user):
    from tests.support.web import sign_in

    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    sign_in(client, "wuhua", "Wuhua-pass-1")
    page = client.get("/stations/530102001").get_data(as_text=True)
    assert 'id="compliance"' in page and "志愿者 0 名（至少 30 名）" in page


def test_county_supervisor_keeps_the_station_record(client, make_user):
    from tests.support.web import post_form, sign_in

    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    sign_in(client, "wuhua", "Wuhua-pass-1")
    page = "/stations/530102001"
    response = post_form(client, page, "/stations/530102001/record", {
        "status": "operating", "established_on": "2021-05-20", "operator_name": "华山社工中心",
        "operator_registration_no": "52530100MJ7654321", "operator_inspection": "passed",
        "setup_funding_yuan": "26000", "flagship_projects": "3"})
    assert response.status_code == 302
    station = db.session.get(Station, "530102001")
    assert (station.setup_funding_yuan, station.flagship_projects, station.operator_inspection) == (26000, 3, "passed")
    assert "建站经费 26000 元" in client.get(page).get_data(as_text=True)


def test_bad_record_values_are_refused_and_nothing_is_saved(client, make_user):
    from tests.support.web import post_form, sign_in

    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    sign_in(client, "wuhua", "Wuhua-pass-1")
    response = post_form(client, "/stations/530102001", "/stations/530102001/record",
                         {"operator_name": "新名字", "setup_funding_yuan": "两万"})
    assert response.status_code == 400 and "setup_funding_yuan" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Station, "530102001").operator_name is None


def test_only_admins_and_county_supervisors_edit_and_only_in_scope(client, make_user):
    from tests.support.web import post_form, sign_in

    make_user("huashan", "station", "530102001", "Head-pass-1")
    sign_in(client, "huashan", "Head-pass-1")
    assert 'id="record-form"' not in client.get("/stations/530102001").get_data(as_text=True)
    assert post_form(client, "/stations/530102001", "/stations/530102001/record",
                     {"setup_funding_yuan": "1"}).status_code == 403
    make_user("panlong", "county", "530103", "Panlong-pass-1")
    other = client.application.test_client()
    sign_in(other, "panlong", "Panlong-pass-1")
    assert post_form(other, "/stations/530103001", "/stations/530102001/record",
                     {"setup_funding_yuan": "1"}).status_code == 404
    assert db.session.get(Station, "530102001").setup_funding_yuan is None
