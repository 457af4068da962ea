"""Station and staff rows from a file, checked as plain values: values and Chinese labels, every bad row
with its line and column, scope, new stations and duplicate names."""
from datetime import date

from server.domain.places import AreaLevel
from server.domain.station_rows import KnownTownship, check_staff_rows, check_station_rows
from server.domain.stations import (
    Certificate,
    Education,
    InspectionResult,
    StaffOrigin,
    StaffRole,
    StationMode,
    StationStatus,
)

TODAY = date(2026, 11, 29)
TOWNSHIPS = {
    "530102001": KnownTownship("530102001", "华山街道", AreaLevel.TOWNSHIP, in_scope=True, has_station=True),
    "530102002": KnownTownship("530102002", "护国街道", AreaLevel.TOWNSHIP, in_scope=True, has_station=False),
    "530102003": KnownTownship("530102003", "新街道", AreaLevel.TOWNSHIP, in_scope=True, has_station=False),
    "530103001": KnownTownship("530103001", "拓东街道", AreaLevel.TOWNSHIP, in_scope=False, has_station=True),
    "530102001001": KnownTownship("530102001001", "团结社区", AreaLevel.VILLAGE, in_scope=True, has_station=False),
}


def problems_by_line(problems) -> dict[int, list[str | None]]:
    found: dict[int, list[str | None]] = {}
    for problem in problems:
        found.setdefault(problem.line, []).append(problem.column)
    return found


def test_station_cells_take_values_or_chinese_labels_and_blank_cells_are_left_out():
    rows = [{"code": "530102001", "mode": "政府购买服务", "status": "运营中", "established_on": "2021-05-20",
             "operator_name": "华山社工中心", "operator_inspection": "基本合格", "setup_funding_yuan": "24000",
             "flagship_projects": "", "operator_grade": " 4A "},
            {"code": "530102002", "mode": "GOVERNMENT", "status": "planned", "operator_inspection": "not_inspected"}]
    parsed, problems = check_station_rows(rows, TOWNSHIPS)
    assert problems == []
    assert parsed[0].values == {"mode": StationMode.PURCHASED, "status": StationStatus.OPERATING,
                                "established_on": date(2021, 5, 20), "operator_name": "华山社工中心",
                                "operator_inspection": InspectionResult.BASIC_PASS, "setup_funding_yuan": 24000,
                                "operator_grade": "4A"}
    assert parsed[1].values == {"mode": StationMode.GOVERNMENT, "status": StationStatus.PLANNED,
                                "operator_inspection": InspectionResult.NOT_INSPECTED}


def test_every_bad_station_row_is_reported_with_its_line_and_column():
    rows = [
        {"code": "530102001", "setup_funding_yuan": "20000"},                  # line 2: fine
        {"code": "5301020", "mode": "purchased"},                               # line 3: not a township code
        {"code": "530102001", "mode": "private"},                               # line 4: bad mode, repeated code
        {"code": "530102001001", "mode": "purchased"},                          # line 5: a village
        {"code": "530199001", "mode": "purchased"},                             # line 6: unknown
        {"code": "530103001", "flagship_projects": "2"},                        # line 7: outside the scope
        {"code": "530102003", "status": "operating"},                           # line 8: new station, no mode
        {"code": "530102002", "mode": "government", "established_on": "2021/5/20",
         "setup_funding_yuan": "两万", "flagship_projects": "-1", "operator_name": "名" * 201},  # line 9
    ]
    parsed, problems = check_station_rows(rows, TOWNSHIPS)
    assert [r.line for r in parsed] == [2]
    assert problems_by_line(problems) == {
        3: ["code"], 4: ["mode", "code"], 5: ["code"], 6: ["code"], 7: ["code"], 8: ["mode"],
        9: ["established_on", "operator_name", "setup_funding_yuan", "flagship_projects"]}
    rendered = {p.line: p.render("en") for p in problems}
    assert "repeats line 2" in [p.en for p in problems if p.line == 4][1]
    assert "outside your scope" in rendered[7] and "needs a mode" in rendered[8]
    assert rendered[3].startswith("line 3:") and problems[0].render("zh").startswith("第 3 行")


def staff(**cells) -> dict[str, str]:
    return {"station_code": "530102001", "name": "王芳", "role": "staff", "origin": "operator", **cells}


def test_staff_cells_take_values_or_chinese_labels_with_defaults_for_what_is_blank():
    rows = [staff(role="副站长", origin="承接机构派驻", gender="女", birth_date="1990-03-08", education="本科",
                  certificate="社会工作师", local_hukou="是", ethnicity="彝族", phone="13800000000"),
            staff(name="志愿者甲", role="志愿者", origin=""),
            staff(name="张三", role="STAFF", origin="converted_clerk", education="高中", local_hukou="FALSE")]
    parsed, problems = check_staff_rows(rows, TOWNSHIPS, TODAY)
    assert problems == []
    deputy, volunteer, clerk = parsed
    assert deputy.member_values() == {
        "name": "王芳", "role": StaffRole.DEPUTY_HEAD, "origin": StaffOrigin.OPERATOR, "gender": "female",
        "birth_date": date(1990, 3, 8), "education": Education.BACHELOR, "certificate": Certificate.INTERMEDIATE,
        "local_hukou": True, "ethnicity": "彝族", "phone": "13800000000"}
    assert (volunteer.role, volunteer.origin, volunteer.certificate, volunteer.local_hukou, volunteer.gender) == \
        (StaffRole.VOLUNTEER, StaffOrigin.VOLUNTEER, Certificate.NONE, False, None)
    assert (clerk.education, clerk.local_hukou) == (Education.SENIOR_MIDDLE, False)


def test_every_bad_staff_row_is_reported_with_its_line_and_column():
    rows = [
        staff(),                                                          # line 2: fine
        staff(name=""),                                                   # line 3
        staff(name="李四", role="boss", origin=""),                         # line 4: bad role, no origin
        staff(name="赵五", gender="x", birth_date="2999-01-01", education="博士后", certificate="yes"),  # line 5
        staff(name="钱六", local_hukou="maybe", phone="call me"),           # line 6
        staff(),                                                          # line 7: same name, same station
        staff(station_code="530102002"),                                  # line 8: township without a station
        staff(station_code="530103001"),                                  # line 9: outside the scope
        staff(station_code="abc", name="孙七"),                              # line 10
    ]
    parsed, problems = check_staff_rows(rows, TOWNSHIPS, TODAY)
    assert [r.line for r in parsed] == [2]
    assert problems_by_line(problems) == {
        3: ["name"], 4: ["role", "origin"], 5: ["gender", "birth_date", "education", "certificate"],
        6: ["local_hukou", "phone"], 7: ["name"], 8: ["station_code"], 9: ["station_code"], 10: ["station_code"]}
    english = {p.line: p.en for p in problems}
    assert "repeats line 2" in english[7] and "has no station" in english[8] and "outside your scope" in english[9]


def test_the_same_name_may_serve_two_stations():
    rows = [staff(), staff(station_code="530102002")]
    towns = {**TOWNSHIPS, "530102002": KnownTownship("530102002", "护国街道", AreaLevel.TOWNSHIP, True, True)}
    parsed, problems = check_staff_rows(rows, towns, TODAY)
    assert problems == [] and len(parsed) == 2


def test_line_numbers_follow_the_first_line_of_the_table():
    _, problems = check_station_rows([{"code": "x"}], TOWNSHIPS, first_line=5)
    assert [p.line for p in problems] == [5]
