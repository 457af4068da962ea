"""Report packs and the dashboard: the scenario of visits (OpenRosa) and feedback (plaque page) read back
from the XLSX written by the `report` command and the dashboard download, and from the dashboard pages."""
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from server.domain.clock import today_in_china
from server.domain.periods import period_containing
from server.extensions import db
from server.models import Station
from server.services.feedback import current_station_link
from tests.integration.test_cases_from_visits import field_forms, follow_up, phone, register  # noqa: F401
from tests.integration.test_feedback import send
from tests.integration.test_indicators_api import scenario  # noqa: F401
from tests.support.web import sign_in

TODAY = today_in_china()
MONTH = period_containing(TODAY).key
SHEETS = ["概况 Summary", "各站指标 Stations", "合规 Compliance", "志愿服务台账 Volunteers", "资金使用 Money", "走访核实 Visit quality", "逾期个案 Overdue",
          "居民意见 Comments",
          "月度趋势 Trend"]
FORMULA = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def commented(client, scenario):  # noqa: F811
    link = current_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    assert send(client, link.token, satisfaction="3", improvement=FORMULA).status_code == 201
    return scenario


def rows_of(book, title):
    return [row for row in book[title].iter_rows(values_only=True)]


def by_first_cell(rows):
    return {row[0]: row for row in rows if row and row[0] is not None}


def test_report_command_writes_the_pack_with_the_scenario_numbers(runner, commented, tmp_path):
    out = tmp_path / "wuhua.xlsx"
    result = runner.invoke(args=["report", "--area", "530100", "--period", MONTH, "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == SHEETS
    summary = by_first_cell(rows_of(book, "概况 Summary"))
    assert summary["报告期 Period"][1] == MONTH
    coverage = summary["服务覆盖率 Service coverage"]
    assert coverage[1:4] == (1, 3, round(1 / 3, 4)) and coverage[5] == "未达标"
    satisfaction = summary["居民满意率 Resident satisfaction"]
    assert satisfaction[1:4] == (2, 4, 0.5) and satisfaction[5] == "样本不足"
    assert summary["社工站覆盖率 Station coverage"][1:3] == (2, 3)
    assert summary["五华区（530102）"][1:3] == (1, 2)
    stations = by_first_cell(rows_of(book, "各站指标 Stations"))
    assert set(stations) == {"站点编码 Code", "530102001", "530103001"}
    huashan = stations["530102001"]
    assert huashan[3:6] == (2, 1, 0.5) and huashan[7:9] == (4, 2)
    comments = rows_of(book, "居民意见 Comments")
    assert [row[3] for row in comments[1:]] == ["'" + FORMULA]  # inert: a spreadsheet shows the words typed
    cell = next(c for c in book["居民意见 Comments"]["D"] if c.value == "'" + FORMULA)
    assert cell.data_type == "s"
    compliance = rows_of(book, "合规 Compliance")
    assert {row[0] for row in compliance[1:]} == {"530102001", "530103001"}
    assert all(row[3].startswith("§") or row[3] == "A2" for row in compliance[1:])
    overdue = rows_of(book, "逾期个案 Overdue")
    assert [row[1] for row in overdue[1:]] and all("甲" not in row[1] for row in overdue[1:])
    trend = rows_of(book, "月度趋势 Trend")
    assert trend[-1][0] == MONTH and len(trend) - 1 >= 1


def test_report_command_refuses_bad_input_and_writes_nothing(runner, network, tmp_path):
    out = tmp_path / "r.xlsx"
    for args, message in ((["--area", "530100", "--period", "2026-Q5"], "2026-Q3"),
                          (["--area", "999999", "--period", "2026-10"], "999999")):
        result = runner.invoke(args=["report", *args, "--out", str(out)])
        assert result.exit_code == 1 and message in result.output
    assert runner.invoke(args=["report", "--area", "530100", "--period", "2026-10",
                               "--out", str(tmp_path / "r.csv")]).exit_code == 1
    assert list(tmp_path.iterdir()) == []


def test_dashboard_shows_the_area_and_downloads_the_same_pack(client, commented, make_user):
    make_user("wuhua", "county", "530102", "Secret-pass-1")
    sign_in(client, "wuhua", "Secret-pass-1")
    page = client.get(f"/dashboard?period={MONTH}")  # the scenario happens this month
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "五华区" in html and 'id="chart-coverage"' in html
    assert "华山街道" in html and "50.0 % (1/2)" in html
    download = client.get(f"/dashboard/report.xlsx?area=530102&period={MONTH}")
    assert download.status_code == 200 and "530102" in download.headers["Content-Disposition"]
    book = load_workbook(BytesIO(download.data))
    summary = by_first_cell(rows_of(book, "概况 Summary"))
    assert summary["服务覆盖率 Service coverage"][1:3] == (1, 2)
    assert summary["居民满意率 Resident satisfaction"][1:3] == (2, 4)
    printable = client.get(f"/dashboard/print?area=530102&period={MONTH}").get_data(as_text=True)
    assert "report.css" in printable and 'id="print-comments"' in printable
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;点我&#34;)" in printable


def test_dashboard_is_scoped_and_refuses_bad_periods(client, commented, make_user):
    make_user("wuhua", "county", "530102", "Secret-pass-1")
    sign_in(client, "wuhua", "Secret-pass-1")
    for url in ("/dashboard?area=530103", "/dashboard?area=530100", "/dashboard/print?area=530103001",
                "/dashboard/report.xlsx?area=530103", "/dashboard?area=530102001001"):
        assert client.get(url).status_code == 404, url
    bad = client.get("/dashboard?period=2026-13")
    assert bad.status_code == 400 and "month 13" in bad.get_data(as_text=True)
    assert client.get("/dashboard?period=last-year").status_code == 400
    assert client.get("/dashboard?area=530102001").status_code == 200


def test_a_station_head_sees_only_their_station(client, commented, make_user):
    make_user("head", "station", "530102001", "Secret-pass-1")
    sign_in(client, "head", "Secret-pass-1")
    assert client.get("/dashboard?area=530102").status_code == 404
    html = client.get("/dashboard").get_data(as_text=True)
    assert "华山街道" in html and "西翥" not in html


def test_the_dashboard_needs_a_sign_in(client, network):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_station_figures_from_one_gathering_equal_each_station_alone(commented):
    """The pack counts every station from one set of queries over the area; each must equal what the
    station's own indicators say (the dashboard and API ask per area)."""
    from server.domain.access import Role, Scope
    from server.models import Area
    from server.services.indicators import indicators_of
    from server.services.reports import build_report

    period = period_containing(TODAY)
    for code in ("530100", "530102", "530102001"):
        area = db.session.get(Area, code)
        pack = build_report(Scope(Role.ADMIN, "530100", db.session.get(Area, "530100").path), area, period, TODAY)
        assert pack.stations, code
        for report in pack.stations:
            alone = indicators_of(report.station.township, period.start, period.clipped(TODAY), with_children=False)
            assert report.indicators == alone, (code, report.station.code)
    covered = [r for r in pack.stations if r.indicators["coverage"]["denominator"]]
    assert covered and covered[0].indicators["satisfaction"]["responses"] == 4
