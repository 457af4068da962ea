"""Purchased-service projects through the REST API (docs/money.md): kept by the county, seen and reported on by the
station head, judged against A1 and §4.5 — amounts exact to the fen."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.domain.clock import today_in_china
from server.extensions import db
from server.models import AuditEvent, BudgetLine, Project, SpendingReport

PASSWORD = "Money-pass-2026"


@pytest.fixture
def people(make_user):
    for username, role, scope in (("wuhua", "county", "530102"), ("panlong", "county", "530103"),
                                  ("city", "admin", "530100"), ("huashan", "station", "530102001"),
                                  ("tuodong", "station", "530103001"), ("worker1", "worker", "530102001")):
        make_user(username, role, scope, PASSWORD)


def auth(client, username: str) -> dict:
    token = client.post("/api/v1/sessions", json={"username": username, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def body(**changes) -> dict:
    """A 200 000-yuan project for 华山 with pay at exactly 70 %."""
    year = today_in_china().year
    project = {
        "county": "530102", "year": year, "name": "华山街道社工站2026年度购买服务项目", "operator": "昆明市五华区启明社会工作服务中心",
        "contract_no": "WH-2026-017", "starts_on": f"{year}-01-01", "ends_on": f"{year}-12-31",
        "amount_yuan": "200000.00", "stations": ["530102001"],
        "sources": {"ministry_province": "120000", "local_matching": "70000", "donations": "10000.00"},
        "lines": [{"group": "II", "name": "社工劳务费 4人×12月", "amount_yuan": "130000"},
                  {"group": "III", "name": "志愿者补贴和保险", "amount_yuan": "10000"},
                  {"group": "I", "name": "个案、小组、社区活动", "amount_yuan": "30000"},
                  {"group": "IV", "name": "交通费", "amount_yuan": "6000"},
                  {"group": "IV", "name": "4.管理费", "amount_yuan": "4000"},
                  {"group": "V", "name": "场地租金", "amount_yuan": "20000"}],
    }
    project.update(changes)
    return project


def create(client, headers, **changes):
    return client.post("/api/v1/projects", json=body(**changes), headers=headers)


def test_a_county_keeps_a_project_and_its_budget_meets_a1(client, people):
    wuhua = auth(client, "wuhua")
    response = create(client, wuhua)
    assert response.status_code == 201, response.json
    project = response.json
    assert project["checks"] == [] and project["amount"] == {"fen": 20_000_000, "yuan": "200,000.00"}
    assert [line["name"] for line in project["lines"] if line["group"] == "IV"] == ["1.交通费", "4.管理费"]
    assert project["county"] == {"code": "530102", "name": "五华区"}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "project.create")) == 1


def test_pay_one_fen_over_70_percent_is_reported_as_a_breach_of_a1_note_2(client, people):
    lines = body()["lines"]
    lines[0] = {**lines[0], "amount_yuan": "130000.01"}
    lines[2] = {**lines[2], "amount_yuan": "29999.99"}
    project = create(client, auth(client, "wuhua"), lines=lines).json
    assert [(c["code"], c["severity"], c["clause"]) for c in project["checks"]] == \
        [("pay_share", "breach", "A1 预算编制说明第2条")]


@pytest.mark.parametrize("line, words", [({"group": "I", "name": "购买汽车一辆", "amount_yuan": "1"}, "购买汽车"),
                                         ({"group": "IV", "name": "按8%提取管理费", "amount_yuan": "1"}, "管理费"),
                                         ({"group": "IV", "name": "餐费", "amount_yuan": "1"}, "项目执行费用只能列")])
def test_a_forbidden_use_or_a_line_a1_does_not_have_is_refused_and_nothing_is_stored(client, people, line, words):
    response = create(client, auth(client, "wuhua"), lines=body()["lines"] + [line])
    assert response.status_code == 400 and words in response.json["message"]
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


@pytest.mark.parametrize("amount", ["12.345", "-1", "1e5", 12.5, True, "十万"])
def test_an_amount_that_is_not_yuan_with_two_decimals_is_refused(client, people, amount):
    response = create(client, auth(client, "wuhua"), amount_yuan=amount)
    assert response.status_code == 400 and "amount_yuan" in response.json["details"]["fields"]


def test_scope_the_other_county_and_its_station_head_do_not_see_it_workers_never(client, people):
    project_id = create(client, auth(client, "wuhua")).json["id"]
    assert client.get(f"/api/v1/projects/{project_id}", headers=auth(client, "panlong")).status_code == 404
    assert client.get(f"/api/v1/projects/{project_id}", headers=auth(client, "tuodong")).status_code == 404
    assert client.get(f"/api/v1/projects/{project_id}", headers=auth(client, "worker1")).status_code == 403
    assert client.get("/api/v1/projects", headers=auth(client, "panlong")).json["projects"] == []
    assert [p["id"] for p in client.get("/api/v1/projects", headers=auth(client, "huashan")).json["projects"]] \
        == [project_id]
    assert [p["id"] for p in client.get("/api/v1/projects", headers=auth(client, "city")).json["projects"]] \
        == [project_id]
    # A county cannot buy for another county's station, nor put a project in another county.
    assert create(client, auth(client, "wuhua"), stations=["530103001"]).status_code == 400
    assert create(client, auth(client, "panlong")).status_code == 404
    # A station head reads, never edits.
    assert client.put(f"/api/v1/projects/{project_id}", json=body(), headers=auth(client, "huashan")).status_code == 403


def test_the_station_head_reports_a_months_spending_and_sees_lines_over_budget_and_months_missing(client, people):
    today = today_in_china()
    if today.month < 3:
        pytest.skip("needs two complete months of the year behind today")
    wuhua, huashan = auth(client, "wuhua"), auth(client, "huashan")
    project = create(client, wuhua).json
    lines = {line["name"]: line["id"] for line in project["lines"]}
    month = f"{today.year}-02"
    report = {"lines": [{"line_id": lines["1.交通费"], "amount_yuan": "5000"},
                        {"line_id": lines["1.交通费"], "amount_yuan": "1000.01"},
                        {"line_id": lines["场地租金"], "amount_yuan": "1666.67"}], "note": "2月报表"}
    response = client.put(f"/api/v1/projects/{project['id']}/spending/{month}", json=report, headers=huashan)
    assert response.status_code == 200, response.json
    seen = {line["name"]: line for line in response.json["lines"]}
    assert seen["1.交通费"]["spent"]["fen"] == 600_001 and seen["1.交通费"]["over_budget"]
    assert seen["1.交通费"]["remaining"] == {"fen": -1, "yuan": "-0.01"}
    assert seen["场地租金"]["remaining"]["yuan"] == "18,333.33" and not seen["场地租金"]["over_budget"]
    assert f"{today.year}-01" in response.json["months_without_report"]
    assert month not in response.json["months_without_report"]
    # Reporting the month again replaces it; a month to come, or another project's line, is refused.
    again = {"lines": [{"line_id": lines["1.交通费"], "amount_yuan": "100"}]}
    assert client.put(f"/api/v1/projects/{project['id']}/spending/{month}", json=again,
                      headers=huashan).json["spent"]["fen"] == 10_000
    assert db.session.scalar(select(func.count()).select_from(SpendingReport)) == 1
    assert client.put(f"/api/v1/projects/{project['id']}/spending/{today.year + 1}-01", json=again,
                      headers=huashan).status_code == 400
    foreign = {"lines": [{"line_id": 999_999, "amount_yuan": "1"}]}
    assert client.put(f"/api/v1/projects/{project['id']}/spending/{month}", json=foreign,
                      headers=huashan).status_code == 400
    assert client.put(f"/api/v1/projects/{project['id']}/spending/{month}", json=again,
                      headers=auth(client, "tuodong")).status_code == 404


def test_editing_the_budget_keeps_the_spending_of_lines_kept_by_group_and_name(client, people):
    today = today_in_china()
    wuhua = auth(client, "wuhua")
    project = create(client, wuhua).json
    rent = next(line["id"] for line in project["lines"] if line["name"] == "场地租金")
    month = f"{today.year}-{today.month:02d}"
    client.put(f"/api/v1/projects/{project['id']}/spending/{month}",
               json={"lines": [{"line_id": rent, "amount_yuan": "500"}]}, headers=wuhua)
    edited = body(name="改名后的项目")
    edited["lines"][5] = {**edited["lines"][5], "amount_yuan": "20000.00"}
    response = client.put(f"/api/v1/projects/{project['id']}", json=edited, headers=wuhua)
    assert response.status_code == 200 and response.json["name"] == "改名后的项目"
    assert next(line for line in response.json["lines"] if line["name"] == "场地租金")["spent"]["fen"] == 50_000
    assert db.session.scalar(select(func.count()).select_from(BudgetLine)) == 6


def test_the_county_cap_of_section_4_5_with_the_margin_and_who_recorded_the_spending(client, people):
    wuhua, city = auth(client, "wuhua"), auth(client, "city")
    year = today_in_china().year
    create(client, wuhua)  # 200 000 yuan
    url = f"/api/v1/counties/530102/money/{year}"
    assert client.get(url, headers=wuhua).json["cap"] is None  # nothing recorded yet
    at_cap = client.put(url, json={"social_assistance_yuan": "4000000"}, headers=city).json  # 5 % = 200 000
    assert at_cap["within"] and at_cap["margin"] == {"fen": 0, "yuan": "0.00"} and at_cap["recorded_by"] == "city"
    over = client.put(url, json={"social_assistance_yuan": "3999999.99"}, headers=city).json
    assert not over["within"] and over["margin"]["fen"] == -1  # 5 % of it is 199 999.9995 yuan: a fen short
    # The county never sets the numbers it is judged by (the denominator, how A1's "about" is read); it sees them.
    assert client.put(url, json={"social_assistance_yuan": "9999999"}, headers=wuhua).status_code == 403
    assert client.put(url, json={"tolerance_points": 2}, headers=wuhua).status_code == 403
    assert client.put(url, json={"tolerance_points": 2}, headers=city).json["tolerance_points"] == 2.0
    assert client.get(url, headers=wuhua).json["social_assistance"]["fen"] == 399_999_999
    assert client.get(url, headers=auth(client, "panlong")).status_code == 404
    assert client.get(url, headers=auth(client, "huashan")).status_code == 403


# --- the pages ----------------------------------------------------------------------------------------------

def test_the_station_head_reports_on_the_page_and_a_mistake_keeps_what_was_typed(client, people):
    from tests.support.web import csrf_token, sign_in

    today = today_in_china()
    project = create(client, auth(client, "wuhua")).json
    rent = next(line["id"] for line in project["lines"] if line["name"] == "场地租金")
    travel = next(line["id"] for line in project["lines"] if line["name"] == "1.交通费")
    sign_in(client, "huashan", PASSWORD)
    page = client.get(f"/projects/{project['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "二、社工、督导劳务和保险费支出" in html and "符合附件1的各项规定" in html
    month = f"{today.year}-{today.month:02d}"
    wrong = client.post(f"/projects/{project['id']}/spending",
                        data={"csrf_token": csrf_token(html), "month": month, f"line-{rent}": "1666.67",
                              f"line-{travel}": "12.345", "note": "本月报表"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "1.交通费" in text and "最多两位小数" in text
    assert 'value="1666.67"' in text and 'value="本月报表"' in text  # the head's work is kept
    assert db.session.scalar(select(func.count()).select_from(SpendingReport)) == 0
    saved = client.post(f"/projects/{project['id']}/spending",
                        data={"csrf_token": csrf_token(text), "month": month, f"line-{rent}": "1666.67",
                              f"line-{travel}": "12.34"})
    assert saved.status_code == 302
    after = client.get(f"/projects/{project['id']}").get_data(as_text=True)
    assert "1,679.01" in after and "18,333.33" in after  # spent in all; rent remaining


def test_the_county_page_lists_its_projects_with_their_checks_and_the_cap(client, people):
    from tests.support.web import sign_in

    lines = body()["lines"]
    lines[0] = {**lines[0], "amount_yuan": "140000"}
    lines[2] = {**lines[2], "amount_yuan": "20000"}
    create(client, auth(client, "wuhua"), lines=lines)
    client.put(f"/api/v1/counties/530102/money/{today_in_china().year}", json={"social_assistance_yuan": "3000000"},
               headers=auth(client, "city"))
    sign_in(client, "wuhua", PASSWORD)
    html = client.get("/projects").get_data(as_text=True)
    assert "占 75.0 %，超过约 70 % 的上限" in html
    assert "150,000.00" in html and "-50,000.00" in html and "超出上限" in html  # 5 % of 3 000 000 = 150 000


def test_the_report_pack_has_a_money_sheet_and_the_dashboard_flags_what_needs_a_look(client, people):
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.support.web import sign_in

    today = today_in_china()
    wuhua = auth(client, "wuhua")
    lines = body()["lines"]
    lines[0] = {**lines[0], "amount_yuan": "140000"}
    lines[2] = {**lines[2], "amount_yuan": "20000"}
    project = create(client, wuhua, lines=lines).json
    travel = next(line["id"] for line in project["lines"] if line["name"] == "1.交通费")
    month = f"{today.year}-{today.month:02d}"
    client.put(f"/api/v1/projects/{project['id']}/spending/{month}",
               json={"lines": [{"line_id": travel, "amount_yuan": "6000.01"}]}, headers=wuhua)
    client.put(f"/api/v1/counties/530102/money/{today.year}", json={"social_assistance_yuan": "4000000"},
               headers=auth(client, "city"))
    sign_in(client, "wuhua", PASSWORD)
    book = load_workbook(BytesIO(client.get(f"/dashboard/report.xlsx?area=530102&period={month}").data))
    rows = [tuple(cell.value for cell in row) for row in book["资金使用 Money"].iter_rows()]
    by_line = {row[4]: row for row in rows[1:] if row and row[3] not in ("合计", "核对", "未报月份")}
    # Written exactly from fen; a spreadsheet cell holds them as its numbers.
    assert by_line["1.交通费"][5:] == (6000, 6000.01, -0.01, "超预算")
    assert by_line["社工劳务费 4人×12月"][5:] == (140000, 0, 140000, None)
    total = next(row for row in rows if row[3] == "合计")
    assert total[5:7] == (200000, 6000.01)
    check = next(row for row in rows if row[3] == "核对")
    assert "75.0 %" in check[4] and "A1 预算编制说明第2条" in check[4] and check[8] == "违反"
    cap = next(row for row in rows if row[1] == "五华区" and not row[0])
    assert cap[2:8] == (4000000, 200000, 200000, 0, "是", "city")
    for area in ("530102", "530102001"):  # the county's dashboard and its station's
        dashboard = client.get(f"/dashboard?area={area}&period={month}").get_data(as_text=True)
        assert "违反附件1规定：1 个" in dashboard and "超预算支出项目：1 行" in dashboard, area


def test_the_project_prints_as_attachment_a1_and_downloads_as_its_spreadsheet(client, people):
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.support.web import sign_in

    project = create(client, auth(client, "wuhua")).json
    sign_in(client, "wuhua", PASSWORD)
    html = client.get(f"/projects/{project['id']}/a1").get_data(as_text=True)
    assert "项目经费预算" in html and "资金总额合计" in html and "昆明市五华区华山街道社会工作服务站" in html
    assert "<td>20</td>" in html and "<td>14</td>" not in html  # 200 000 yuan = 20 万元; II is 13, III 1
    assert "2.培训费" in html and "不得以任何名义从项目资金中提取管理费" in html
    download = client.get(f"/projects/{project['id']}/a1.xlsx")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    rows = {row[0].strip(): row[1] for row in load_workbook(BytesIO(download.data)).active.iter_rows(values_only=True)
            if row and row[0]}
    assert rows["申请部省级资金"] == 12 and rows["社会募集资金"] == 1 and rows["资金总额合计"] == 20
    assert rows["二、社工、督导劳务和保险费支出"] == 13 and rows["1.交通费"] == 0.6 and rows["2.培训费"] == 0
    assert rows["资金支出合计"] == 20
    sign_in(client, "panlong", PASSWORD)
    assert client.get(f"/projects/{project['id']}/a1.xlsx").status_code == 404


# --- importing projects -------------------------------------------------------------------------------------

HEADER = ("合同编号,县（市、区）代码,年度,项目名称,承接机构,开始日期,结束日期,合同金额（元）,社工站代码,申请部省级资金（元）,"
          "配套资金（元）,社会募集资金（元）,品牌服务项目,自选项目,类别,支出项目,金额（元）\n")


def project_file(year: int, *extra: str) -> bytes:
    rows = [f"WH-1,530102,{year},华山项目,启明中心,{year}-01-01,{year}-12-31,100000,530102001,60000,40000,,"
            "一老一小关爱、困境儿童个案,四点半课堂,二,社工劳务费,70000",
            "WH-1,,,,,,,,,,,,,,一,社区活动,20000", "WH-1,,,,,,,,,,,,,,四,交通费,5000", "WH-1,,,,,,,,,,,,,,五,场地,5000",
            *extra]
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


def upload(client, headers, data: bytes):
    from io import BytesIO

    return client.post("/api/v1/projects/import", headers=headers, content_type="multipart/form-data",
                       data={"file": (BytesIO(data), "projects.csv")})


def test_projects_import_from_a_file_with_chinese_headers_and_again_updates(client, people):
    wuhua = auth(client, "wuhua")
    year = today_in_china().year
    assert upload(client, wuhua, project_file(year)).json == {"created": 1, "updated": 0}
    project = client.get("/api/v1/projects", headers=wuhua).json["projects"][0]
    assert project["checks"] == [] and project["amount"]["fen"] == 10_000_000
    assert [line["name"] for line in project["lines"]] == ["社工劳务费", "社区活动", "1.交通费", "场地"]
    assert project["services"] == [{"kind": "brand", "name": "一老一小关爱"}, {"kind": "brand", "name": "困境儿童个案"},
                                   {"kind": "other", "name": "四点半课堂"}]
    assert upload(client, wuhua, project_file(year)).json == {"created": 0, "updated": 1}
    assert db.session.scalar(select(func.count()).select_from(Project)) == 1


def test_a_bad_projects_file_reports_every_problem_by_line_and_imports_nothing(client, people):
    wuhua = auth(client, "wuhua")
    year = today_in_china().year
    bad = project_file(year, "WH-1,,,,,,,,,,,,,,一,购买汽车一辆,1", "WH-1,,,,,,,,,,,,,,六,杂费,1.234",
                       f"WH-2,530103,{year},拓东项目,同心社,{year}-01-01,{year}-12-31,1,530103001,,,,,,二,劳务,1")
    response = upload(client, wuhua, bad)
    assert response.status_code == 400, response.json
    problems = {(p["line"], p["column"]) for p in response.json["details"]["problems"]}
    assert {(6, "line"), (7, "group"), (7, "line_yuan")} <= problems
    assert any(p["line"] == 8 and "县" in p["message"] for p in response.json["details"]["problems"])  # not theirs
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_a2s_flagship_services_listed_on_a_project_replace_the_stations_bare_count(client, people):
    from server.models import Station

    station = db.session.get(Station, "530102001")
    station.flagship_projects = 3  # the record says three
    db.session.commit()
    wuhua = auth(client, "wuhua")

    def two_plus_n() -> dict:
        checks = client.get("/api/v1/stations/530102001/compliance", headers=wuhua).json["checks"]
        return next(c for c in checks if c["rule"] == "two_plus_n")

    assert two_plus_n()["passed"] is True
    services = [{"kind": "brand", "name": "“一老一小”关爱"}, {"kind": "other", "name": "四点半课堂"}]
    project = create(client, wuhua, services=services).json
    assert project["services"] == services
    check = two_plus_n()
    assert check["passed"] is False and "1 个" in check["detail"]  # the project lists one flagship only
    services.append({"kind": "brand", "name": "困境儿童个案管理"})
    client.put(f"/api/v1/projects/{project['id']}", json=body(services=services), headers=wuhua)
    assert two_plus_n()["passed"] is True and "2 个" in two_plus_n()["detail"]


def test_a_county_keeps_a_project_on_the_page_and_a_refused_line_keeps_the_form(client, people):
    from tests.support.web import csrf_token, sign_in

    year = today_in_china().year
    sign_in(client, "wuhua", PASSWORD)
    page = client.get("/projects/new").get_data(as_text=True)
    assert "新建项目" in page and "昆明市五华区华山街道社会工作服务站" in page and "拓东" not in page
    form = {"csrf_token": csrf_token(page), "county": "530102", "year": str(year), "name": "华山项目",
            "operator": "启明中心", "contract_no": "WH-9", "starts_on": f"{year}-01-01", "ends_on": f"{year}-12-31",
            "amount_yuan": "100000", "stations": "530102001", "source-local_matching": "100000",
            "line-0-group": "II", "line-0-name": "社工劳务费", "line-0-yuan": "70000",
            "line-1-group": "I", "line-1-name": "购买汽车", "line-1-yuan": "30000",
            "service-0-kind": "brand", "service-0-name": "一老一小"}
    refused = client.post("/projects/new", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "不得列支购买汽车" in html
    assert 'value="社工劳务费"' in html and 'value="一老一小"' in html and 'value="WH-9"' in html
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0
    form.update({"csrf_token": csrf_token(html), "line-1-name": "社区活动"})
    saved = client.post("/projects/new", data=form)
    assert saved.status_code == 302
    project = db.session.scalars(select(Project)).one()
    assert [line.name for line in project.lines] == ["社工劳务费", "社区活动"] and project.services[0].name == "一老一小"
    edit = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert 'value="70000.00"' in edit
    form.update({"csrf_token": csrf_token(edit), "name": "华山项目（调整）"})
    assert client.post(f"/projects/{project.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).name == "华山项目（调整）"
    sign_in(client, "huashan", PASSWORD)
    assert client.get("/projects/new").status_code == 404  # a station head reads projects, never keeps them


def test_the_city_records_a_countys_year_on_the_page_and_the_county_only_sees_it(client, people):
    from tests.support.web import csrf_token, sign_in

    year = today_in_china().year
    sign_in(client, "wuhua", PASSWORD)
    page = client.get("/projects").get_data(as_text=True)
    assert 'id="spending-530102"' not in page and "由市级填报" in page
    assert client.post("/counties/530102/money", data={"csrf_token": csrf_token(page), "year": str(year),
                                                       "social_assistance_yuan": "9999999"}).status_code == 404
    sign_in(client, "city", PASSWORD)
    page = client.get("/projects").get_data(as_text=True)
    assert 'id="spending-530102"' in page and 'id="tolerance-530103"' in page
    saved = client.post("/counties/530102/money", data={"csrf_token": csrf_token(page), "year": str(year),
                                                        "social_assistance_yuan": "4,000,000.00",
                                                        "tolerance_points": "2.5"})
    assert saved.status_code == 302
    answer = client.get(f"/api/v1/counties/530102/money/{year}", headers=auth(client, "wuhua")).json
    assert answer["social_assistance"]["fen"] == 400_000_000 and answer["tolerance_points"] == 2.5
    assert answer["recorded_by"] == "city"
    sign_in(client, "wuhua", PASSWORD)
    assert "4,000,000.00" in client.get("/projects").get_data(as_text=True)


def test_the_station_page_shows_the_projects_covering_it(client, people):
    from tests.support.web import sign_in

    create(client, auth(client, "wuhua"))
    sign_in(client, "huashan", PASSWORD)
    html = client.get("/stations/530102001").get_data(as_text=True)
    assert 'id="station-projects"' in html and "华山街道社工站2026年度购买服务项目"[:6] in html and "200,000.00" in html
    sign_in(client, "panlong", PASSWORD)
    other = client.get("/stations/530103001").get_data(as_text=True)
    assert "目前没有覆盖本站的购买服务项目" in other


def test_monthly_spending_imports_from_a_file_by_contract_and_line_and_a_bad_row_stops_it(client, people):
    from io import BytesIO

    today = today_in_china()
    if today.month < 2:
        pytest.skip("needs a complete month of the year behind today")
    create(client, auth(client, "wuhua"))
    month = f"{today.year}-01"
    good = ("合同编号,月份,支出项目,金额（元）,备注\n"
            f"WH-2026-017,{month},交通费,500.50,1月\nWH-2026-017,{month},场地租金,1666.67,\n").encode()
    huashan = auth(client, "huashan")

    def send(data: bytes):
        return client.post("/api/v1/projects/spending/import", headers=huashan, content_type="multipart/form-data",
                           data={"file": (BytesIO(data), "spending.csv")})

    assert send(good).json == {"months": 1, "lines": 2}
    project = client.get("/api/v1/projects", headers=huashan).json["projects"][0]
    assert project["spent"]["fen"] == 50_050 + 166_667 and month not in project["months_without_report"]
    bad = good + (f"WH-2026-017,{month},餐费,1,\nWX-404,{month},交通费,1,\n"
                  f"WH-2026-017,{today.year + 1}-01,交通费,1,\n").encode()
    response = send(bad)
    assert response.status_code == 400
    assert [p["line"] for p in response.json["details"]["problems"]] == [4, 5, 6]
    assert client.get("/api/v1/projects", headers=huashan).json["projects"][0]["spent"]["fen"] == 216_717
    assert client.post("/api/v1/projects/spending/import", headers=auth(client, "tuodong"),
                       content_type="multipart/form-data",
                       data={"file": (BytesIO(good), "spending.csv")}).status_code == 400  # not theirs: not found
