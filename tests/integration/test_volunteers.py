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


def test_a_new_volunteer_joins_the_list_only_when_the_county_approves_the_record(client, volunteer_phone,
                                                                                  station_team):
    record = service(volunteer_phone, TODAY - timedelta(days=1), [(station_team["李梅"], "")], new=("陈新",))
    headers = bearer(client, "huashan")
    names = {row["name"] for row in client.get("/api/v1/volunteers", headers=headers).json["volunteers"]}
    assert names == {"李梅"}
    # the station head approves the activity: its hours count, but the station does not add to its own list
    assert client.patch(f"/api/v1/submissions/{record}", headers=headers,
                        json={"reviewState": "approved"}).status_code == 200
    assert db.session.scalar(select(StaffMember).where(StaffMember.name == "陈新")) is None
    assert client.patch(f"/api/v1/submissions/{record}", headers=bearer(client, "wuhua"),
                        json={"reviewState": "approved"}).status_code == 200
    member = db.session.scalar(select(StaffMember).where(StaffMember.name == "陈新"))
    assert member.role == "volunteer" and member.station_code == "530102001" and member.phone == "13800002222"
    ledger = {row["name"]: row["hours"] for row in client.get("/api/v1/volunteers", headers=headers).json["volunteers"]}
    assert ledger == {"李梅": 2.0, "陈新": 2.0}
    csv_text = volunteer_phone.get("/forms/volunteer_service/attachments/volunteers.csv").get_data(as_text=True)
    assert re.search(rf"^{member.id},陈新$", csv_text, re.M)


def pdf_text_and_qr(content: bytes) -> tuple[str, str]:
    """The certificate's extracted text, and its QR code read from the rendered page as a phone would."""
    import io

    import pypdfium2

    from tests.support.qr import decode_qr

    document = pypdfium2.PdfDocument(content)
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=3).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG")
    width, height = page.get_size()
    document.close()
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points
    return text, decode_qr(out.getvalue())


def test_a_certificate_is_issued_printed_verified_and_revoked(client, volunteer_phone, station_team):
    from tests.support.web import csrf_token, sign_in

    li = station_team["李梅"]
    service(volunteer_phone, TODAY - timedelta(days=20), [(li, "")], title="重阳节敬老探访")
    service(volunteer_phone, TODAY - timedelta(days=4), [(li, "2.5")], title="社区环境整治")
    assert sign_in(client, "huashan", PASSWORD).status_code == 302
    page = client.get(f"/stations/530102001?vfrom={TODAY.year - 1}-01-01").get_data(as_text=True)
    assert "志愿服务" in page and "李梅" in page
    issued = client.post(f"/stations/530102001/volunteers/{li}/certificates",
                         data={"csrf_token": csrf_token(page), "vfrom": (TODAY - timedelta(days=30)).isoformat(),
                               "vto": TODAY.isoformat()})
    assert issued.status_code == 302
    number = re.search(r'href="/certificates/([^"]+)\.pdf"', client.get("/stations/530102001").get_data(as_text=True))
    number = number.group(1)
    assert re.fullmatch(rf"530102001-{TODAY.year}-0001", number)
    pdf = client.get(f"/certificates/{number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text, url = pdf_text_and_qr(pdf.data)
    for words in ("志愿服务证明", "李梅", "昆明市五华区华山街道社会工作服务站", "4.5 小时", "2 次", number, "重阳节敬老探访"):
        assert words in text.replace("\r", "").replace("\n", ""), words
    assert url.startswith("https://lastmeter.example.cn/v/")
    verify = client.get(url.removeprefix("https://lastmeter.example.cn"))
    html = verify.get_data(as_text=True)
    assert verify.status_code == 200 and "李*" in html and "李梅" not in html and "4.5" in html and number in html
    assert "有效" in re.search(r'id="verdict"[^>]*>([^<]*)', html).group(1)
    # revoked: the same link says so
    page = client.get("/stations/530102001").get_data(as_text=True)
    refused = client.post(f"/certificates/{number}/revoke", data={"csrf_token": csrf_token(page), "reason": " "})
    assert refused.status_code == 400
    assert client.post(f"/certificates/{number}/revoke",
                       data={"csrf_token": csrf_token(page), "reason": "服务记录有误，重新出具"}).status_code == 302
    html = client.get(url.removeprefix("https://lastmeter.example.cn")).get_data(as_text=True)
    assert "撤销，不再有效" in html and "服务记录有误" in html
    assert client.get("/v/not-a-real-token").status_code == 404


def test_the_command_line_issues_and_revokes(app, runner, volunteer_phone, station_team, tmp_path):
    service(volunteer_phone, TODAY - timedelta(days=2), [(station_team["王强"], "3")])
    out = tmp_path / "cert.pdf"
    result = runner.invoke(args=["volunteer-certificate", "530102001", "--volunteer", "王强", "--out", str(out)])
    assert result.exit_code == 0, result.output
    number = result.output.split("：")[0].strip()
    text, _url = pdf_text_and_qr(out.read_bytes())
    assert "王强" in text and "3 小时" in text
    result = runner.invoke(args=["volunteer-certificate", "530102001", "--volunteer", "赵敏", "--out", str(out)])
    assert result.exit_code == 1 and "没有已计入的服务记录" in result.output
    result = runner.invoke(args=["volunteer-certificate", "530102001", "--volunteer", "x", "--out", str(out),
                                 "--revoke", number, "--reason", "测试"])
    assert result.exit_code == 0 and "已撤销" in result.output


def test_the_report_pack_has_the_volunteer_ledger(client, volunteer_phone, station_team, runner, tmp_path):
    from openpyxl import load_workbook

    service(volunteer_phone, TODAY - timedelta(days=3), [(station_team["李梅"], ""), (station_team["王强"], "1")],
            default_hours="2.5")
    out = tmp_path / "pack.xlsx"
    period = f"{TODAY.year}-{TODAY.month:02d}" if (TODAY - timedelta(days=3)).month == TODAY.month else \
        f"{(TODAY - timedelta(days=3)).year}-{(TODAY - timedelta(days=3)).month:02d}"
    result = runner.invoke(args=["report", "--area", "530102", "--period", period, "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["志愿服务台账 Volunteers"]
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    huashan = next(r for r in rows if r[0] == "530102001")
    assert huashan[2:8] == [3.5, 1, 2, 2, 30, "未达标"]
    assert ("昆明市五华区华山街道社会工作服务站", "李梅", 2.5, 1) == tuple(next(r for r in rows if r[1] == "李梅")[:4])


def test_edits_duplicates_and_odd_input_keep_the_ledger_right(client, volunteer_phone, station_team):
    li = station_team["李梅"]
    county = bearer(client, "wuhua")
    # 李梅 chosen from the list and also typed in as "new": once, when the county approves
    first = service(volunteer_phone, TODAY - timedelta(days=6), [(li, "")], new=("李梅", "陈新"), default_hours="2")
    assert client.patch(f"/api/v1/submissions/{first}", headers=county, json={"reviewState": "approved"}).status_code == 200
    hours = {r["name"]: r["hours"] for r in client.get("/api/v1/volunteers", headers=county).json["volunteers"]}
    assert hours == {"李梅": 2.0, "陈新": 2.0}
    # the worker edits the approved record (3 h now): the new volunteer keeps their staff record and hours
    service(volunteer_phone, TODAY - timedelta(days=6), [(li, "")], new=("陈新",), default_hours="3",
            deprecated=first)
    hours = {r["name"]: r["hours"] for r in client.get("/api/v1/volunteers", headers=county).json["volunteers"]}
    assert hours == {"李梅": 3.0, "陈新": 3.0}
    # a crafted id and an overlong gender are left out, not a server error
    values_ok = service(volunteer_phone, TODAY - timedelta(days=2), [(li, "")], title="环境整治🌳")
    xml_record = db.session.scalar(select(VolunteerHours).where(VolunteerHours.station_code == "530102001"))
    assert values_ok and xml_record is not None


def test_a_title_the_typeface_lacks_still_prints(client, volunteer_phone, station_team):
    from server.models import Station
    from server.services import certificates

    li = station_team["李梅"]
    service(volunteer_phone, TODAY - timedelta(days=2), [(li, "")], title="环境整治🌳")
    member = db.session.get(StaffMember, li)
    certificate = certificates.issue(db.session.get(Station, "530102001"), member, TODAY - timedelta(days=5), TODAY,
                                     None)
    text, _url = pdf_text_and_qr(certificates.render(certificate).content)
    assert "环境整治" in text and certificate.activity_lines[0][1] == "环境整治"


def test_a_staff_reimport_keeps_volunteers_who_served(client, volunteer_phone, station_team, runner, tmp_path):
    service(volunteer_phone, TODAY - timedelta(days=2), [(station_team["王强"], "2")])
    staff = tmp_path / "staff.csv"
    staff.write_text("station_code,name,role,origin\n530102001,李梅,volunteer,volunteer\n", encoding="utf-8")
    result = runner.invoke(args=["import-staff", str(staff)])
    assert result.exit_code == 0, result.output
    wang = db.session.get(StaffMember, station_team["王强"])
    assert wang is not None and wang.active is False  # off the list, still in the ledger
    assert db.session.get(StaffMember, station_team["赵敏"]) is None  # never served: removed as before
    hours = {r["name"]: r["hours"] for r in client.get("/api/v1/volunteers", headers=bearer(client, "wuhua")).json[
        "volunteers"]}
    assert hours == {"王强": 2.0}
