"""The case registry through the REST API and CLI: import, filters, scope, timeline, schedules, media."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from server.domain.clock import today_in_china
from server.extensions import db
from server.models import Case, CaseCategoryLink, CaseEvent
from tests.conftest import RESOURCES
from tests.support.visit_form import visit_xml

TODAY = today_in_china()


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.fixture
def login(client, make_user):
    def as_user(username: str, role: str, scope: str) -> dict:
        from server.queries.accounts import get_user_by_username
        from server.services.accounts import set_password

        user = get_user_by_username(username)
        if user is None:
            make_user(username, role, scope, "Secret-pass-1")
        else:
            set_password(user, "Secret-pass-1")
            db.session.commit()
        token = client.post("/api/v1/sessions", json={"username": username, "password": "Secret-pass-1"}).json
        return {"Authorization": f"Bearer {token['token']}"}

    return as_user


def add_case(case_id, station, village, categories=("destitute",), next_due=None, status="open", worker=None,
             label=None, properties=None):
    case = Case(id=case_id, label=label or case_id, station_code=station, village_code=village, status=status,
                next_due=next_due, assigned_worker_id=worker, properties=properties or {},
                registered_on=TODAY - timedelta(days=100))
    case.categories = [CaseCategoryLink(category=c) for c in categories]
    db.session.add(case)
    db.session.commit()
    return case


@pytest.fixture
def registry(network, worker):
    """Cases at 华山 (五华区) and 拓东 (盘龙区), some overdue, some not."""
    add_case("a-overdue", "530102001", "530102001001", ("destitute",), TODAY - timedelta(days=3), worker=worker.id,
             properties={"id_number": "53010219480502123X"})
    add_case("a-due-today", "530102001", "530102001001", ("left_behind_child",), TODAY)
    add_case("a-later", "530102001", "530102001001", ("disability",), TODAY + timedelta(days=20))
    add_case("a-closed", "530102001", "530102001001", ("destitute",), TODAY - timedelta(days=30), status="closed")
    add_case("b-overdue", "530103001", "530103001001", ("destitute",), TODAY - timedelta(days=1))


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [c["id"] for c in response.json["cases"]]


# --- import ------------------------------------------------------------------------------

def test_import_cases_command_creates_cases_with_households(runner, network, worker):
    result = runner.invoke(args=["import-cases", str(RESOURCES / "cases_good.csv")])
    assert result.exit_code == 0, result.output
    assert "imported 4" in result.output
    zhang = db.session.scalars(select(Case).where(Case.label.startswith("张桂英"))).one()
    assert zhang.category_codes == ["destitute", "left_behind_elder"] and zhang.station_code == "530102001"
    assert zhang.assigned_worker_id == worker.id and zhang.properties["gender"] == "female"
    assert zhang.next_due == TODAY + timedelta(days=30)
    li_na = db.session.scalars(select(Case).where(Case.label.startswith("李娜"))).one()
    li_qiang = db.session.scalars(select(Case).where(Case.label.startswith("李强"))).one()
    assert li_na.parent_id == li_qiang.id
    assert db.session.scalars(select(Case).where(Case.label.startswith("王芳"))).one().station_code == "530103001"
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "imported")) == 4


def test_import_reports_every_bad_row_and_imports_nothing(runner, network, worker):
    result = runner.invoke(args=["import-cases", str(RESOURCES / "cases_bad.csv")])
    assert result.exit_code == 1
    for line, words in [(3, "full_name"), (4, "神仙"), (5, "999999999999"), (6, "birth_date"), (7, "123"),
                        (8, "repeats line 2"), (9, "12345"), (10, "nobody")]:
        assert f"line {line}:" in result.output and words in result.output, (line, result.output)
    assert "line 2:" not in result.output
    assert case_count() == 0


def test_import_twice_refuses_known_id_numbers(runner, network, worker):
    runner.invoke(args=["import-cases", str(RESOURCES / "cases_good.csv")])
    again = runner.invoke(args=["import-cases", str(RESOURCES / "cases_good.csv")])
    assert again.exit_code == 1 and "already registered" in again.output
    assert case_count() == 4


def test_import_through_the_api_is_limited_to_the_callers_scope(client, login, network, worker):
    headers = login("panlong", "county", "530103")
    with open(RESOURCES / "cases_good.csv", "rb") as handle:
        response = client.post("/api/v1/cases/import", data={"file": (handle, "register.csv")}, headers=headers,
                               content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["code"] == "400.2"
    assert "outside your scope" in response.json["message_en"]
    assert case_count() == 0
    headers = login("city", "admin", "530100")
    with open(RESOURCES / "cases_good.csv", "rb") as handle:
        response = client.post("/api/v1/cases/import", data={"file": (handle, "register.csv")}, headers=headers,
                               content_type="multipart/form-data")
    assert response.status_code == 201 and response.json["created"] == 4


def test_import_accepts_chinese_headers_from_an_excel_register(runner, network, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "类别", "村（社区）代码", "出生日期"])
    book.active.append(["赵大爷", "高龄老人", 530102001001, date(1936, 2, 1)])
    book.save(tmp_path / "名册.xlsx")
    result = runner.invoke(args=["import-cases", str(tmp_path / "名册.xlsx")])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(Case)).one().properties["birth_date"] == "1936-02-01"


# --- lists, filters and scope --------------------------------------------------------------

def test_case_filters(client, login, registry):
    headers = login("city", "admin", "530100")
    assert ids(client.get("/api/v1/cases", headers=headers)) == [
        "a-closed", "a-overdue", "b-overdue", "a-due-today", "a-later"]
    assert ids(client.get("/api/v1/cases?overdue=true", headers=headers)) == ["a-overdue", "b-overdue"]
    assert ids(client.get("/api/v1/cases?station=530103001", headers=headers)) == ["b-overdue"]
    assert ids(client.get("/api/v1/cases?category=left_behind_child", headers=headers)) == ["a-due-today"]
    assert ids(client.get("/api/v1/cases?status=closed", headers=headers)) == ["a-closed"]
    assert ids(client.get("/api/v1/cases?worker=worker1", headers=headers)) == ["a-overdue"]
    assert ids(client.get("/api/v1/cases?worker=nobody", headers=headers)) == []
    assert ids(client.get("/api/v1/cases?village=530103001001", headers=headers)) == ["b-overdue"]
    assert client.get("/api/v1/cases?category=wizard", headers=headers).status_code == 400
    assert client.get("/api/v1/cases?colour=red", headers=headers).status_code == 400


def test_case_pages_follow_the_cursor(client, login, registry):
    headers = login("city", "admin", "530100")
    seen, cursor = [], None
    while True:
        response = client.get("/api/v1/cases?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        seen += ids(response)
        cursor = response.json["next_cursor"]
        if not cursor:
            break
    assert seen == ["a-closed", "a-overdue", "b-overdue", "a-due-today", "a-later"]
    assert client.get("/api/v1/cases?cursor=garbage", headers=headers).status_code == 400


@pytest.mark.parametrize("username,role,scope,visible", [
    ("wuhua", "county", "530102", {"a-overdue", "a-due-today", "a-later", "a-closed"}),
    ("panlong", "county", "530103", {"b-overdue"}),
    ("tuodong", "station", "530103001", {"b-overdue"}),
    ("worker1", "worker", "530102001", {"a-overdue", "a-due-today", "a-later", "a-closed"}),
])
def test_every_role_sees_only_its_scope(client, login, registry, username, role, scope, visible):
    headers = login(username, role, scope)
    assert set(ids(client.get("/api/v1/cases", headers=headers))) == visible
    hidden = {"a-overdue", "b-overdue"} - visible
    for case_id in hidden:
        assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 404


def test_workers_see_masked_id_numbers_and_supervisors_the_full_one(client, login, registry):
    worker = client.get("/api/v1/cases/a-overdue", headers=login("worker1", "worker", "530102001")).json
    assert worker["properties"]["id_number"] == "5301**********123X"
    county = client.get("/api/v1/cases/a-overdue", headers=login("wuhua", "county", "530102")).json
    assert county["properties"]["id_number"] == "53010219480502123X"


def test_overdue_lists_per_station_and_worker(client, login, registry):
    body = client.get("/api/v1/overdue", headers=login("city", "admin", "530100")).json
    assert body["open"] == 4 and body["overdue"] == 2
    assert {s["station"]: (s["open"], s["overdue"]) for s in body["by_station"]} == {
        "530102001": (3, 1), "530103001": (1, 1)}
    assert {"worker": "worker1", "station": "530102001", "open": 1, "overdue": 1} in body["by_worker"]
    county = client.get("/api/v1/overdue", headers=login("panlong", "county", "530103")).json
    assert county["overdue"] == 1 and [s["station"] for s in county["by_station"]] == ["530103001"]
    assert client.get("/api/v1/overdue", headers=login("worker1", "worker", "530102001")).status_code == 403


def test_visit_interval_change_reschedules_open_cases(client, login, runner, registry):
    case = db.session.get(Case, "a-overdue")
    case.last_visit = TODAY - timedelta(days=10)
    db.session.commit()
    headers = login("city", "admin", "530100")
    response = client.put("/api/v1/visit-intervals/destitute", json={"days": 14}, headers=headers)
    assert response.status_code == 200 and response.json["rescheduled"] >= 1
    db.session.expire_all()
    assert db.session.get(Case, "a-overdue").next_due == TODAY + timedelta(days=4)
    assert client.get("/api/v1/visit-intervals", headers=headers).json["intervals"]["destitute"] == 14
    refused = client.put("/api/v1/visit-intervals/destitute", json={"days": 14},
                         headers=login("wuhua", "county", "530102"))
    assert refused.status_code == 403
    assert runner.invoke(args=["set-visit-interval", "destitute", "0"]).exit_code == 1
    assert runner.invoke(args=["set-visit-interval", "destitute", "21"]).exit_code == 0


# --- submissions --------------------------------------------------------------------------

def jpeg(width=1600, height=1200, orientation=None) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    out = BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def visits(collect, registry, client, make_user, visit_form):
    """Three visits at 华山 (two to a-overdue), one at 拓东."""
    from server.services.accounts import active_collect_token
    from tests.support.collect import CollectClient

    assert collect.submit(visit_xml("uuid:v1", case="a-overdue", photo="p1.jpg", photo2="later.jpg"),
                          [("p1.jpg", jpeg(orientation=6))]).status_code == 201
    assert collect.submit(visit_xml("uuid:v2", case="a-overdue", photo=None), []).status_code == 201
    assert collect.submit(visit_xml("uuid:v3", case="a-later", photo=None), []).status_code == 201
    other = make_user("worker_b", "worker", "530103001", "Secret-pass-1")
    phone_b = CollectClient(client, f"/key/{active_collect_token(other).token}")
    assert phone_b.submit(visit_xml("uuid:v4", case="b-overdue", photo="p4.jpg"),
                          [("p4.jpg", jpeg())]).status_code == 201


def instance_ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [s["instance_id"] for s in response.json["submissions"]]


def test_submission_filters_newest_first(client, login, visits):
    headers = login("city", "admin", "530100")
    assert instance_ids(client.get("/api/v1/submissions", headers=headers)) == ["uuid:v4", "uuid:v3", "uuid:v2",
                                                                                 "uuid:v1"]
    assert instance_ids(client.get("/api/v1/submissions?case=a-overdue", headers=headers)) == ["uuid:v2", "uuid:v1"]
    assert instance_ids(client.get("/api/v1/submissions?station=530103001", headers=headers)) == ["uuid:v4"]
    assert instance_ids(client.get("/api/v1/submissions?worker=worker_b", headers=headers)) == ["uuid:v4"]
    assert instance_ids(client.get("/api/v1/submissions?form=visit&review_state=received", headers=headers)) == [
        "uuid:v4", "uuid:v3", "uuid:v2", "uuid:v1"]
    assert instance_ids(client.get("/api/v1/submissions?form=home_visit", headers=headers)) == []
    assert instance_ids(client.get("/api/v1/submissions?review_state=approved", headers=headers)) == []
    today, tomorrow = TODAY.isoformat(), (TODAY + timedelta(days=1)).isoformat()
    assert len(instance_ids(client.get(f"/api/v1/submissions?from={today}&to={today}", headers=headers))) == 4
    assert instance_ids(client.get(f"/api/v1/submissions?from={tomorrow}", headers=headers)) == []
    assert client.get("/api/v1/submissions?from=yesterday", headers=headers).status_code == 400


def test_submission_pages(client, login, visits):
    headers = login("city", "admin", "530100")
    first = client.get("/api/v1/submissions?limit=3", headers=headers).json
    second = client.get(f"/api/v1/submissions?limit=3&cursor={first['next_cursor']}", headers=headers).json
    assert [s["instance_id"] for s in first["submissions"] + second["submissions"]] == [
        "uuid:v4", "uuid:v3", "uuid:v2", "uuid:v1"]
    assert second["next_cursor"] is None


def test_submission_scope(client, login, visits):
    county = login("panlong", "county", "530103")
    assert instance_ids(client.get("/api/v1/submissions", headers=county)) == ["uuid:v4"]
    assert client.get("/api/v1/submissions/uuid:v1", headers=county).status_code == 404
    assert client.get("/api/v1/submissions/uuid:v1/attachments/p1.jpg", headers=county).status_code == 404
    station = login("worker1", "worker", "530102001")
    assert "uuid:v4" not in instance_ids(client.get("/api/v1/submissions", headers=station))


def test_submission_detail_with_values_gps_and_attachment_urls(client, login, visits):
    body = client.get("/api/v1/submissions/uuid:v1", headers=login("wuhua", "county", "530102")).json
    assert body["form"] == "visit" and body["case_id"] == "a-overdue" and body["station_code"] == "530102001"
    assert body["data"]["age"] == 67 and body["geopoint"] == {"latitude": 25.0406, "longitude": 102.7123,
                                                              "accuracy": 4.8}
    (photo, missing) = body["attachments"]
    assert photo["name"] == "p1.jpg" and photo["present"]
    assert photo["url"] == "https://lastmeter.example.cn/api/v1/submissions/uuid%3Av1/attachments/p1.jpg"
    assert photo["thumbnails"]["240"].endswith("?size=240")
    assert missing == {"name": "later.jpg", "present": False, "url": None, "thumbnails": {}, "detected_type": None}
    assert body["versions"][0]["current"]


def fetch(client, url, headers):
    """Read a streamed file response and close it, as a WSGI server does."""
    with client.get(url, headers=headers) as response:
        response.get_data()
        return response


def test_original_and_upright_thumbnails(client, login, visits):
    headers = login("wuhua", "county", "530102")
    original = fetch(client, "/api/v1/submissions/uuid:v1/attachments/p1.jpg", headers)
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    for size in (240, 640, 1280):
        thumb = fetch(client, f"/api/v1/submissions/uuid:v1/attachments/p1.jpg?size={size}", headers)
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
        image = Image.open(BytesIO(thumb.get_data()))
        # EXIF orientation 6 (rotate 90°): the 1600×1200 landscape photo stands upright as portrait.
        assert max(image.size) == size and image.size[0] < image.size[1]
    assert fetch(client, "/api/v1/submissions/uuid:v1/attachments/p1.jpg?size=99", headers).status_code == 400


def test_a_file_that_is_not_what_its_name_says_is_served_as_bytes_without_thumbnail(client, login, collect, registry):
    fake = b"<html><script>alert(1)</script></html>"
    assert collect.submit(visit_xml("uuid:fake", case="a-later", photo="evil.jpg"),
                          [("evil.jpg", fake)]).status_code == 201
    headers = login("wuhua", "county", "530102")
    original = fetch(client, "/api/v1/submissions/uuid:fake/attachments/evil.jpg", headers)
    assert original.status_code == 200 and original.mimetype == "application/octet-stream"
    assert original.get_data() == fake
    assert fetch(client, "/api/v1/submissions/uuid:fake/attachments/evil.jpg?size=240", headers).status_code == 404


def test_case_detail_has_the_timeline_and_members(client, login, visits):
    parent = db.session.get(Case, "a-later")
    db.session.get(Case, "a-due-today").parent_id = parent.id
    db.session.commit()
    body = client.get("/api/v1/cases/a-later", headers=login("wuhua", "county", "530102")).json
    assert [m["id"] for m in body["members"]] == ["a-due-today"]
    body = client.get("/api/v1/cases/a-overdue", headers=login("wuhua", "county", "530102")).json
    assert [(e["kind"], e["instance_id"]) for e in body["timeline"]] == [("visited", "uuid:v1"),
                                                                        ("visited", "uuid:v2")]
