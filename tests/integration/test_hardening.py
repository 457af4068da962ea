"""Hardening, second round: each class of hostile input refused at its root, through the real HTTP stack on
both databases — imports bounded while they are read, JSON bodies and keyset cursors bounded before any
query, personal data never cacheable, every spreadsheet cell inert, plaque links revocable by people, Bearer
challenges on the API, and no field silently cut short."""
from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from server.domain.cells import FORMULA_TRIGGERS
from server.domain.clock import today_in_china
from server.domain.periods import period_containing
from server.domain.paging import encode_cursor
from server.extensions import db
from server.models import AuditEvent, Case, StaffMember, Station
from server.services.feedback import current_station_link
from tests.integration.test_cases_from_visits import field_forms, phone, register  # noqa: F401
from tests.integration.test_feedback import send
from tests.integration.test_indicators_api import scenario  # noqa: F401
from tests.support.web import csrf_token, sign_in

TODAY = today_in_china()
MONTH = period_containing(TODAY).key

# Small limits, so each is crossed by a small file (the defaults are in the README's settings table).
LIMITS = {"IMPORT_MAX_BYTES": 300_000, "IMPORT_MAX_UNPACKED_BYTES": 2_000_000, "IMPORT_MAX_ROWS": 20,
          "IMPORT_MAX_COLUMNS": 30, "IMPORT_MAX_LINE_CHARS": 1_000}
IMPORTS = ("/api/v1/cases/import", "/api/v1/stations/import", "/api/v1/stations/staff/import")
PASSWORD = "Secret-pass-1"


@pytest.fixture
def media_config():
    return LIMITS


@pytest.fixture
def login(client, make_user):
    def as_user(username: str, role: str, scope: str) -> dict:
        make_user(username, role, scope, PASSWORD)
        token = client.post("/api/v1/sessions", json={"username": username, "password": PASSWORD}).json
        return {"Authorization": f"Bearer {token['token']}"}

    return as_user


# --- 1. imports are bounded while they are read -------------------------------------------------

def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewritten(xlsx: bytes, sheet: callable) -> bytes:
    """The workbook with its first sheet's XML passed through ``sheet``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, sheet(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A few kilobytes that unzip to 20 MB: the sheet padded with whitespace a parser must wade through."""
    return _rewritten(_xlsx([["name", "village"], ["张三", "华山社区"]]), lambda data: data + b" " * 20_000_000)


def far_corner() -> bytes:
    """A tiny sheet claiming cells at XFD1 and A1048576: read naively, a million rows of 16 384 cells."""
    def stretch(data: bytes) -> bytes:
        far = (b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c>'
               b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
        return data.replace(b"</sheetData>", far + b"</sheetData>").replace(b'ref="A1:B2"', b'ref="A1:XFD1048576"')
    return _rewritten(_xlsx([["name", "village"], ["张三", "华山社区"]]), stretch)


HOSTILE_FILES = {
    "zip-bomb.xlsx": (zip_bomb, "解压后的大小"),
    "far-corner.xlsx": (far_corner, "行数"),
    "long-line.csv": (lambda: b"name,village\n" + "张".encode() * 1_500 + b",x\n", "第 2 行的长度"),
    "many-rows.csv": (lambda: b"name,village\n" + b"a,b\n" * 21, "行数"),
    "wide.csv": (lambda: ",".join(f"c{i}" for i in range(31)).encode() + b"\n", "列数"),
    "wide-row.xlsx": (lambda: _xlsx([["name"], ["a", *range(40)]]), "列数"),
    "huge.csv": (lambda: b"name,village\n" + b"a,b\n" * 80_000, "文件大小"),
}


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Case, Station, StaffMember))


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
@pytest.mark.parametrize("url", IMPORTS)
def test_every_import_refuses_a_file_past_a_limit_with_413_and_writes_nothing(client, login, url, name):
    headers = login("wuhua", "county", "530102")
    build, what = HOSTILE_FILES[name]
    before = _counts()
    response = client.post(url, headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(build()), name)})
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert response.json["code"] == "413.1" and what in response.json["message"]
    assert "split" in response.json["message_en"].lower()
    assert _counts() == before


def test_a_register_within_the_limits_is_still_imported_trailing_blank_rows_and_all(client, login):
    headers = login("wuhua", "county", "530102")
    register = ("full_name,category,village_code\n"
                + "".join(f"对象{i},低保对象,530102001001\n" for i in range(20)) + ",,\n" * 15).encode()
    response = client.post("/api/v1/cases/import", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(register), "register.csv")})
    assert response.status_code == 201, response.json
    assert response.json["created"] == 20


def test_the_command_line_import_is_bounded_too(runner, network, tmp_path):
    bomb = tmp_path / "register.xlsx"
    bomb.write_bytes(zip_bomb())
    result = runner.invoke(args=["import-cases", str(bomb)])
    assert result.exit_code == 1 and "解压后的大小" in result.output
    assert _counts()[0] == 0


def test_a_form_upload_is_checked_for_its_unpacked_size(client, login):
    headers = login("city", "admin", "530100")
    response = client.post("/api/v1/forms", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(zip_bomb()), "visit.xlsx")})
    assert response.status_code == 413 and response.json["code"] == "413.1"


# --- 2. no pathological input is a server error ---------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("method", "url"), [("POST", "/api/v1/sessions"), ("PUT", "/api/v1/visit-intervals/destitute"),
                                             ("POST", "/api/v1/cases/c-1/erasure")])
def test_deeply_nested_json_is_a_400_before_authentication(client, network, method, url):
    response = client.open(url, method=method, data=DEEP, content_type="application/json")
    assert response.status_code == 400 and response.json["code"] == "400.1"
    assert "32" in response.json["message_en"]
    nested = {"username": "x", "password": "y", "note": json.loads("[" * 33 + "]" * 33)}
    assert client.post("/api/v1/sessions", json=nested).status_code == 400


def test_a_json_body_past_its_limit_is_a_413(client, network):
    response = client.post("/api/v1/sessions", json={"username": "x", "password": "y" * 1_000_001})
    assert response.status_code == 413 and response.json["code"] == "413.2"


def _cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


BAD_CURSORS = [
    _cursor("2026-12-01T00:00:00+00:00", 2**63), _cursor("2026-12-01T00:00:00+00:00", 2**31),
    _cursor("2026-12-01T00:00:00+00:00", -1),
    _cursor("2026-12-01T00:00:00+00:00", True), _cursor("2026-12-01T00:00:00+00:00", 1.5),
    _cursor("0001-01-01T00:00:00+08:00", 1), _cursor("x" * 50, 1), _cursor([[[]]], 1), "A" * 600,
    _cursor(*["2026-12-01T00:00:00"] * 3), "!!!", base64.urlsafe_b64encode(b"[" * 5_000).decode(),
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_hostile_cursor_is_a_400_on_every_list(client, login, cursor):
    headers = login("city", "admin", "530100")
    for url in ("/api/v1/submissions", "/api/v1/audit"):
        response = client.get(f"{url}?cursor={cursor}", headers=headers)
        assert response.status_code == 400 and response.json["code"] == "400.1", (url, response.json)
    response = client.get(f"/api/v1/cases?cursor={cursor}", headers=headers)
    assert response.status_code == 400, response.json
    sign_in(client, "city", PASSWORD)
    for url in ("/submissions", "/audit"):
        assert client.get(f"{url}?cursor={cursor}").status_code == 400, url


def test_a_cursor_the_server_wrote_still_pages(client, login):
    headers = login("city", "admin", "530100")
    cursor = encode_cursor("2026-12-01T00:00:00+00:00", 2**31 - 1)
    assert client.get(f"/api/v1/submissions?cursor={cursor}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/cases?cursor={encode_cursor('9999-12-31', 'c-1')}", headers=headers).status_code == 200


# --- 3. personal data is never cacheable; public things keep their caching ------------------------

def test_pages_api_answers_and_photos_say_no_store_static_files_do_not(client, login):
    headers = login("city", "admin", "530100")
    for url in ("/api/v1/cases", "/api/v1/submissions", "/api/v1/indicators?area=530100"):
        assert client.get(url, headers=headers).headers["Cache-Control"] == "no-store", url
    assert client.get("/api/v1/cases").headers["Cache-Control"] == "no-store"  # the 401 too
    sign_in(client, "city", PASSWORD)
    for url in ("/cases", "/submissions", "/stations/530102001", "/stations/530102001/plaque.png?preview=1"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    static = client.get("/static/css/app.css")
    static.close()
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


# --- 4. every cell of every workbook the app writes is inert -------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+86 139", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "\n=1"]


def _inert(value: object) -> bool:
    return not isinstance(value, str) or value[:1] not in FORMULA_TRIGGERS


def _cells_of_workbook(content: bytes) -> list[object]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [value for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row]
    finally:
        book.close()


def _files_of_zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_every_workbook_and_csv_the_app_writes_is_inert(client, runner, login, scenario, phone, tmp_path):  # noqa: F811
    """Names typed into visits (the report pack's overdue sheet), residents' comments (its comments sheet),
    exports of both forms as XLSX and CSV: no text cell anywhere starts a formula."""
    worker = phone("worker_f", "530102001")
    for formula in FORMULAS[:3]:
        assert register(worker, name=formula, category="destitute",
                        visit_date=TODAY - timedelta(days=60))[1].status_code == 201
    link = current_station_link(db.session.get(Station, "530102001"))
    for formula in FORMULAS:
        assert send(client, link.token, satisfaction="2", improvement=formula).status_code == 201
    headers = login("city", "admin", "530100")
    files: dict[str, bytes] = {}
    for form in ("home_visit", "resident_feedback"):
        for fmt in ("xlsx", "csv"):
            response = client.get(f"/api/v1/submissions/export?format={fmt}&form={form}", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            files[f"{form}.{fmt}"] = response.data
    sign_in(client, "city", PASSWORD)
    files["report.xlsx"] = client.get(f"/dashboard/report.xlsx?area=530100&period={MONTH}").data
    out = tmp_path / "pack.xlsx"
    assert runner.invoke(args=["report", "--area", "530102", "--period", MONTH, "--out", str(out)]).exit_code == 0
    files["report-cli.xlsx"] = out.read_bytes()
    seen: list[object] = []
    for name, content in files.items():
        if name.endswith(".xlsx"):
            seen += _cells_of_workbook(content)
            continue
        for data in _files_of_zip(content).values():
            seen += [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]
    raw = [value for value in seen if not _inert(value)]
    assert raw == [], f"cells a spreadsheet would run: {raw[:5]}"
    assert sum(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in seen) >= 4  # names and comments, kept


# --- 5. plaque links are revocable by people, in one action with the new plaque -------------------

def _link(code: str = "530102001") -> str:
    db.session.expire_all()
    return current_station_link(db.session.get(Station, code)).token


def _audited(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(("username", "role", "scope"), [("wuhua", "county", "530102"), ("huashan", "station", "530102001")])
def test_a_county_user_or_station_head_revokes_a_stolen_plaques_link_and_gets_the_new_plaque(
        client, make_user, username, role, scope):
    old = _link()
    make_user(username, role, scope, PASSWORD)
    sign_in(client, username, PASSWORD)
    page = client.get("/stations/530102001")
    response = client.post("/stations/530102001/plaque-link",
                           data={"reason": "门牌被盗", "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302 and response.headers["Location"].endswith("/stations/530102001#plaque")
    new = _link()
    assert new != old
    assert client.get(f"/f/{old}").status_code == 410  # the stolen plaque: a polite "no longer in use"
    assert client.get(f"/f/{new}").status_code == 200
    plaque = client.get("/stations/530102001/plaque.pdf")
    assert plaque.status_code == 200 and plaque.data.startswith(b"%PDF")
    (event,) = _audited("plaque_link.reissue")
    assert event.username == username and event.detail == {"reason": "门牌被盗", "revoked": 1}


def test_the_api_and_the_command_line_reissue_too_and_a_worker_cannot(client, runner, login, tmp_path):
    worker = login("worker1", "worker", "530102001")
    assert client.post("/api/v1/stations/530102001/plaque-link", headers=worker, json={}).status_code == 403
    county = login("wuhua", "county", "530102")
    assert client.post("/api/v1/stations/530103001/plaque-link", headers=county, json={}).status_code == 404
    old = _link()
    response = client.post("/api/v1/stations/530102001/plaque-link", headers=county, json={"reason": "污损"})
    assert response.status_code == 201 and response.json["url"].endswith(f"/f/{_link()}") and _link() != old
    before = _link()
    out = tmp_path / "new.png"
    result = runner.invoke(args=["plaque", "530102001", "--out", str(out), "--new-link", "--reason", "被盗"])
    assert result.exit_code == 0, result.output
    assert _link() != before and _link() in result.output
    assert len(_audited("plaque_link.reissue")) == 2


def test_showing_or_downloading_a_plaque_changes_nothing_and_installation_is_recorded_by_the_county(
        client, make_user):
    make_user("wuhua", "county", "530102", PASSWORD)
    sign_in(client, "wuhua", PASSWORD)
    link = _link()
    assert client.get("/stations/530102001/plaque.png").status_code == 200
    db.session.expire_all()
    assert db.session.get(Station, "530102001").plaque_issued_on is None and _link() == link
    token = csrf_token(client.get("/stations/530102001").get_data(as_text=True))
    assert client.post("/stations/530102001/plaque-installed",
                       data={"installed_on": "2099-01-01", "csrf_token": token}).status_code == 400
    response = client.post("/stations/530102001/plaque-installed",
                           data={"installed_on": TODAY.isoformat(), "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Station, "530102001").plaque_issued_on == TODAY
    assert "已悬挂标准门牌" in client.get("/stations/530102001").get_data(as_text=True)
    assert _audited("station.plaque_installed")[0].detail == {"installed_on": TODAY.isoformat()}


def test_a_station_head_cannot_record_its_own_plaque_as_installed(client, make_user):
    make_user("huashan", "station", "530102001", PASSWORD)
    sign_in(client, "huashan", PASSWORD)
    token = csrf_token(client.get("/stations/530102001").get_data(as_text=True))
    response = client.post("/stations/530102001/plaque-installed",
                           data={"installed_on": TODAY.isoformat(), "csrf_token": token})
    assert response.status_code == 403


# --- 6. small ones --------------------------------------------------------------------------------

def test_api_401_answers_carry_a_bearer_challenge(client, network):
    assert client.get("/api/v1/cases").headers["WWW-Authenticate"] == 'Bearer realm="Lastmeter API"'
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Lastmeter API", error="invalid_token"'


def test_an_overlong_field_is_refused_next_to_the_field_with_what_was_typed_kept(client, make_user):
    make_user("wuhua", "county", "530102", PASSWORD)
    sign_in(client, "wuhua", PASSWORD)
    token = csrf_token(client.get("/stations/530102001").get_data(as_text=True))
    long_name = "春城社会工作服务中心" * 21  # 210 characters: once silently cut to 200
    response = client.post("/stations/530102001/record",
                           data={"operator_name": long_name, "operator_registration_no": "5" * 51,
                                 "flagship_projects": "2", "status": "operating", "csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "承接机构超过 200 个字符" in page and "登记证号超过 50 个字符" in page
    assert "operator_name 超过" not in page  # labels, never codes
    assert f'value="{long_name}"' in page and 'value="2"' in page  # what was typed is kept
    assert 'aria-invalid="true"' in page
    db.session.expire_all()
    assert db.session.get(Station, "530102001").operator_name is None  # nothing half-saved


def test_the_resident_page_is_revalidated_not_stored_and_its_answers_are_never_kept(client, network):
    page = client.get(f"/f/{_link()}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
    refused = client.post(f"/f/{_link()}", data={"satisfaction": "5", "contact": "13800000000"})
    assert refused.headers["Cache-Control"] == "no-store"  # the answers shown back are the resident's own


def test_a_json_content_type_without_a_body_is_not_an_error(client, network):
    for url in ("/healthz", "/api/v1/openapi.json"):
        assert client.get(url, headers={"Content-Type": "application/json"}).status_code == 200, url


def test_a_damaged_xlsx_sheet_is_a_400_not_a_500(client, login):
    headers = login("wuhua", "county", "530102")
    broken = _rewritten(_xlsx([["full_name", "category", "village_code"], ["张三", "低保对象", "530102001001"]]),
                        lambda data: data[: len(data) // 2])  # the sheet's XML cut off half-way
    response = client.post("/api/v1/cases/import", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(broken), "register.xlsx")})
    assert response.status_code == 400 and "XLSX" in response.json["message"]


def test_a_list_sorted_by_name_pages_past_a_long_chinese_label(client, login):
    from tests.integration.test_cases_api import add_case

    headers = login("wuhua", "county", "530102")
    for n in range(3):
        add_case(f"long-{n}", "530102001", "530102001001", label="很长的名字" * 39 + str(n))  # 196 characters
    first = client.get("/api/v1/cases?sort=name&limit=1", headers=headers).json
    second = client.get(f"/api/v1/cases?sort=name&limit=1&cursor={first['next_cursor']}", headers=headers)
    assert second.status_code == 200 and second.json["cases"][0]["id"] == "long-1"


def test_a_refused_plaque_or_review_action_keeps_what_was_typed_beside_its_form(client, make_user, collect):
    from tests.support.visit_form import visit_xml

    make_user("wuhua", "county", "530102", PASSWORD)
    sign_in(client, "wuhua", PASSWORD)
    token = csrf_token(client.get("/stations/530102001").get_data(as_text=True))
    too_long = "被盗" * 101
    refused = client.post("/stations/530102001/plaque-link", data={"reason": too_long, "csrf_token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and f'value="{too_long}"' in page and 'id="error-plaque_reason"' in page
    assert 'id="record-form"' in page and "<nav>" in page  # the station page itself, not an error page
    from tests.integration.test_cases_api import add_case

    add_case("k-r1", "530102001", "530102001001", label="张桂英 · 团结社区")
    assert collect.submit(visit_xml("uuid:r1", case="k-r1"), []).status_code == 201
    token = csrf_token(client.get("/submissions/uuid:r1").get_data(as_text=True))
    refused = client.post("/submissions/uuid:r1/return", data={"reason": "   ", "csrf_token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="return-form-error"' in page and 'id="answers"' in page
    refused = client.post("/submissions/uuid:r1/comment", data={"body": " " * 3, "csrf_token": token})
    assert refused.status_code == 400 and 'id="comment-form-error"' in refused.get_data(as_text=True)
