"""Station records and staff imported from files, through the CLI and the REST API: creates and updates,
the compliance checks follow, every bad row reported and nothing written, scope, encodings, re-import."""
from datetime import date

import pytest
from sqlalchemy import func, select

from server.domain.stations import StaffOrigin, StaffRole
from server.extensions import db
from server.models import StaffMember, Station
from server.services import places
from tests.conftest import RESOURCES


@pytest.fixture
def login(client, make_user):
    def as_user(username: str, role: str, scope: str) -> dict:
        make_user(username, role, scope, "Secret-pass-1")
        token = client.post("/api/v1/sessions", json={"username": username, "password": "Secret-pass-1"}).json
        return {"Authorization": f"Bearer {token['token']}"}

    return as_user


def upload(client, url: str, path, headers: dict, filename: str | None = None):
    with open(path, "rb") as handle:
        return client.post(url, data={"file": (handle, filename or path.name)}, headers=headers,
                           content_type="multipart/form-data")


def station(code: str) -> Station | None:
    db.session.expire_all()
    return db.session.get(Station, code)


def staff_names(code: str) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(StaffMember.name).where(StaffMember.station_code == code)
                                   .order_by(StaffMember.id)))


def staff_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StaffMember))


def test_imports_create_and_update_stations_and_the_compliance_checks_follow(runner, client, login):
    result = runner.invoke(args=["import-stations", str(RESOURCES / "stations_good.csv")])
    assert result.exit_code == 0, result.output
    assert "created 1, updated 2, unchanged 0" in result.output
    huashan = station("530102001")
    assert (huashan.mode, huashan.status, huashan.established_on, huashan.operator_inspection,
            huashan.operator_grade, huashan.setup_funding_yuan, huashan.flagship_projects) == \
        ("purchased", "operating", date(2021, 5, 20), "passed", "4A", 24000, 2)
    huguo = station("530102002")
    assert (huguo.mode, huguo.status, huguo.setup_funding_yuan, huguo.operator_name) == \
        ("government", "planned", None, None)
    tuodong = station("530103001")
    assert (tuodong.mode, tuodong.setup_funding_yuan, tuodong.flagship_projects) == ("government", 30000, None)

    result = runner.invoke(args=["import-staff", str(RESOURCES / "staff_good.csv")])
    assert result.exit_code == 0, result.output
    assert "created 36, updated 0, unchanged 0, removed 0" in result.output
    deputy = db.session.scalars(select(StaffMember).where(StaffMember.name == "李娜")).one()
    assert (deputy.role, deputy.origin, deputy.certificate, deputy.education, deputy.gender, deputy.local_hukou) == \
        ("deputy_head", "operator", "intermediate", "bachelor", "female", True)

    headers = login("wuhua", "county", "530102")
    body = client.get("/api/v1/stations/530102001/compliance", headers=headers).json
    failing = {c["rule"]: c["passed"] for c in body["checks"] if c["passed"] is not True}
    assert failing == {"plaque": False}  # every rule the two files feed is met; the plaque is not yet printed


def test_a_file_with_bad_rows_reports_each_line_and_writes_nothing(runner, client, login):
    result = runner.invoke(args=["import-stations", str(RESOURCES / "stations_bad.csv")])
    assert result.exit_code == 1
    for line, words in [(3, "needs a mode"), (4, "repeats line 2"), (5, "530199001"), (6, "status 'open'"),
                        (6, "established_on"), (6, "operator_inspection"), (6, "setup_funding_yuan")]:
        assert f"line {line}:" in result.output and words in result.output, (line, words, result.output)
    assert "line 2:" not in result.output
    assert station("530102002") is None and station("530102001").setup_funding_yuan is None

    headers = login("city", "admin", "530100")
    response = upload(client, "/api/v1/stations/staff/import", RESOURCES / "staff_bad.csv", headers)
    assert response.status_code == 400 and response.json["code"] == "400.2"
    problems = response.json["details"]["problems"]
    assert sorted({(p["line"], p["column"]) for p in problems}) == [
        (3, "name"), (4, "origin"), (4, "role"), (5, "station_code"), (6, "name"), (7, "birth_date"),
        (7, "education")]
    assert all(p["message"] and p["message_en"] for p in problems)
    assert staff_count() == 0


def test_county_supervisors_import_only_in_their_county(client, login):
    headers = login("panlong", "county", "530103")
    response = upload(client, "/api/v1/stations/import", RESOURCES / "stations_good.csv", headers)
    assert response.status_code == 400 and response.json["code"] == "400.2"
    outside = {p["line"] for p in response.json["details"]["problems"] if "outside your scope" in p["message_en"]}
    assert outside == {2, 3}
    assert station("530103001").setup_funding_yuan is None and station("530102002") is None
    response = upload(client, "/api/v1/stations/staff/import", RESOURCES / "staff_good.csv", headers)
    assert response.status_code == 400 and staff_count() == 0

    head = login("huashan", "station", "530102001")
    assert upload(client, "/api/v1/stations/import", RESOURCES / "stations_good.csv", head).status_code == 403
    admin = login("city", "admin", "530100")
    response = upload(client, "/api/v1/stations/import", RESOURCES / "stations_good.csv", admin)
    assert response.status_code == 200 and response.json == {"created": 1, "updated": 2, "unchanged": 0}
    assert client.post("/api/v1/stations/import", headers=admin).json["code"] == "400.1"


def test_gb18030_csv_and_xlsx_files_are_read(runner, client, login, tmp_path):
    text = (RESOURCES / "stations_good.csv").read_text(encoding="utf-8")
    (tmp_path / "社工站.csv").write_bytes(text.encode("gb18030"))
    result = runner.invoke(args=["import-stations", str(tmp_path / "社工站.csv")])
    assert result.exit_code == 0, result.output
    assert station("530102001").operator_name == "华山社会工作服务中心"

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["station_code", "name", "role", "origin", "birth_date", "education", "local_hukou", "phone"])
    book.active.append([530102001, "王建国", "站长", "乡镇领导", date(1975, 6, 1), "本科", True, 13800000001])
    book.active.append([530102001, "张敏", "工作人员", "承接机构派驻", date(1995, 1, 1), "大专", False, None])
    book.save(tmp_path / "人员.xlsx")
    book.close()
    headers = login("wuhua", "county", "530102")
    response = upload(client, "/api/v1/stations/staff/import", tmp_path / "人员.xlsx", headers)
    assert response.status_code == 200, response.json
    assert response.json == {"created": 2, "updated": 0, "unchanged": 0, "removed": 0}
    head = db.session.scalars(select(StaffMember).where(StaffMember.name == "王建国")).one()
    assert (head.birth_date, head.local_hukou, head.phone, head.role) == (date(1975, 6, 1), True, "13800000001", "head")


def test_importing_the_same_files_again_changes_nothing(runner, network):
    for _ in range(2):
        stations = runner.invoke(args=["import-stations", str(RESOURCES / "stations_good.csv")])
        staff = runner.invoke(args=["import-staff", str(RESOURCES / "staff_good.csv")])
    assert "created 0, updated 0, unchanged 3" in stations.output
    assert "created 0, updated 0, unchanged 36, removed 0" in staff.output
    assert staff_count() == 36


def test_the_file_becomes_the_staff_list_but_account_holders_stay(runner, make_user, tmp_path):
    huashan = db.session.get(Station, "530102001")
    worker = make_user("worker1", "worker", "530102001")
    places.add_staff_member(huashan, "旧志愿者", StaffRole.VOLUNTEER, StaffOrigin.VOLUNTEER)
    places.add_staff_member(huashan, "李娜", StaffRole.STAFF, StaffOrigin.OPERATOR, user_id=worker.id)
    places.add_staff_member(huashan, "刘洋", StaffRole.STAFF, StaffOrigin.OPERATOR, user_id=worker.id)
    db.session.commit()
    (tmp_path / "staff.csv").write_text("station_code,name,role,origin\n530102001,李娜,副站长,承接机构派驻\n"
                                        "530102001,新志愿者,志愿者,\n", encoding="utf-8")
    result = runner.invoke(args=["import-staff", "--keep-unlisted", str(tmp_path / "staff.csv")])
    assert "created 1, updated 1, unchanged 0, removed 0" in result.output, result.output
    assert staff_names("530102001") == ["旧志愿者", "李娜", "刘洋", "新志愿者"]

    result = runner.invoke(args=["import-staff", str(tmp_path / "staff.csv")])
    assert "created 0, updated 0, unchanged 2, removed 1" in result.output, result.output
    assert staff_names("530102001") == ["李娜", "刘洋", "新志愿者"]  # 刘洋 has an account: kept
    li_na = db.session.scalars(select(StaffMember).where(StaffMember.name == "李娜")).one()
    assert (li_na.role, li_na.user_id) == ("deputy_head", worker.id)
