"""Station records and staff lists read from a file (CSV/XLSX), checked as plain values.

Two files feed the standard's checks (``domain/compliance.py``), columns in ``docs/indicators.md``:
- a stations file, one row per township's station: ``code`` and what is recorded about the station;
- a staff file, one row per person on a station's team.

A choice cell takes the stored value (``purchased``, any case) or its Chinese label (政府购买服务). In
the stations file a blank cell means "not recorded" for a station the file creates and "leave as it
is" for one already stored: a file never clears a value (the station page does). A staff row is the
whole record of a person, so there a blank cell is "not recorded". Every problem is a RowProblem
with its line and column. What the stored tree says of a township comes in as ``KnownTownship``;
nothing here knows Flask or the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Iterable, Mapping

from server.domain.places import AreaLevel
from server.domain.stations import (
    STAFF_ROLE_ZH,
    STATION_MODE_ZH,
    STATION_STATUS_ZH,
    Certificate,
    Education,
    InspectionResult,
    StaffOrigin,
    StaffRole,
    StationMode,
    StationStatus,
)
from server.errors import RowProblem

STATION_COLUMNS = ("code", "mode", "status", "established_on", "operator_name", "operator_registration_no",
                   "operator_inspection", "operator_grade", "setup_funding_yuan", "flagship_projects")
STATION_REQUIRED_COLUMNS = ("code",)
STAFF_COLUMNS = ("station_code", "name", "role", "origin", "gender", "birth_date", "education", "certificate",
                 "local_hukou", "ethnicity", "phone")
STAFF_REQUIRED_COLUMNS = ("station_code", "name", "role", "origin")

TOWNSHIP_CODE = re.compile(r"^\d{9}$")
FUNDING_LIMIT_YUAN = 10_000_000  # the same limits bind the station page's form (services/station_records.py)
PROJECTS_LIMIT = 100
OLDEST_AGE = 100
PHONE = re.compile(r"^[0-9+\- ]{3,20}$")

# Labels of the values the domain does not name in Chinese, as the station page shows them.
INSPECTION_ZH = {InspectionResult.PASSED: "合格", InspectionResult.BASIC_PASS: "基本合格",
                 InspectionResult.FAILED: "不合格", InspectionResult.NOT_INSPECTED: "未年检"}
ORIGIN_ZH = {StaffOrigin.OPERATOR: "承接机构派驻", StaffOrigin.CONVERTED_CLERK: "转岗人员",
             StaffOrigin.TOWNSHIP: "乡镇领导", StaffOrigin.VOLUNTEER: "志愿者"}
EDUCATION_ZH = {Education.PRIMARY: "小学", Education.JUNIOR_MIDDLE: "初中", Education.SENIOR_MIDDLE: "高中/中专",
                Education.COLLEGE: "大专", Education.BACHELOR: "本科", Education.POSTGRADUATE: "研究生"}
CERTIFICATE_ZH = {Certificate.NONE: "无", Certificate.ASSISTANT: "助理社会工作师",
                  Certificate.INTERMEDIATE: "社会工作师", Certificate.SENIOR: "高级社会工作师"}
# Shorter ways the same thing is written in hand-kept sheets.
SHORT_LABELS: dict[str, StrEnum] = {"承接机构": StaffOrigin.OPERATOR, "乡镇": StaffOrigin.TOWNSHIP,
                                    "高中": Education.SENIOR_MIDDLE, "中专": Education.SENIOR_MIDDLE}
GENDERS = {"male": "male", "female": "female", "男": "male", "女": "female"}
YES_NO = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False, "1": True, "0": False,
          "y": True, "n": False}


@dataclass(frozen=True)
class KnownTownship:
    """What checking a row needs to know of a stored area it names."""

    code: str
    name: str
    level: AreaLevel
    in_scope: bool
    has_station: bool


@dataclass(frozen=True)
class StationRow:
    """One valid row of a stations file: only the cells filled in, parsed, keyed by column."""

    line: int
    code: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class StaffRow:
    """One valid row of a staff file."""

    line: int
    station_code: str
    name: str
    role: StaffRole
    origin: StaffOrigin
    gender: str | None
    birth_date: date | None
    education: Education | None
    certificate: Certificate
    local_hukou: bool
    ethnicity: str | None
    phone: str | None

    def member_values(self) -> dict[str, Any]:
        """The staff member's attributes this row sets (everything but the station)."""
        return {"name": self.name, "role": self.role, "origin": self.origin, "gender": self.gender,
                "birth_date": self.birth_date, "education": self.education, "certificate": self.certificate,
                "local_hukou": self.local_hukou, "ethnicity": self.ethnicity, "phone": self.phone}


class _Choices:
    """The cells accepted for an enum: its values in any case and its Chinese labels."""

    def __init__(self, enum: type[StrEnum], labels: Mapping[StrEnum, str]) -> None:
        self.by_text: dict[str, StrEnum] = {m.value: m for m in enum}
        self.by_text.update({label: member for member, label in labels.items()})
        self.by_text.update({t: m for t, m in SHORT_LABELS.items() if isinstance(m, enum)})
        self.values = ", ".join(m.value for m in enum)
        self.labels = "、".join(labels.get(m, m.value) for m in enum)

    def get(self, text: str) -> StrEnum | None:
        return self.by_text.get(text) or self.by_text.get(text.lower())


MODES = _Choices(StationMode, STATION_MODE_ZH)
STATUSES = _Choices(StationStatus, STATION_STATUS_ZH)
INSPECTIONS = _Choices(InspectionResult, INSPECTION_ZH)
ROLES = _Choices(StaffRole, STAFF_ROLE_ZH)
ORIGINS = _Choices(StaffOrigin, ORIGIN_ZH)
EDUCATIONS = _Choices(Education, EDUCATION_ZH)
CERTIFICATES = _Choices(Certificate, CERTIFICATE_ZH)


class _Cells:
    """The cells of one raw row; each reader notes its own problem and then returns None. A file's problems
    name its columns as its header does; a page's name its fields by their labels (``labels``: zh, en)."""

    def __init__(self, raw: Mapping[str, str | None], line: int,
                 labels: Mapping[str, tuple[str, str]] | None = None) -> None:
        self.raw, self.line = raw, line
        self.labels = labels or {}
        self.problems: list[RowProblem] = []

    def names(self, column: str) -> tuple[str, str]:
        return self.labels.get(column, (column, column))

    def text(self, column: str) -> str:
        return (self.raw.get(column) or "").strip()

    def problem(self, column: str, zh: str, en: str) -> None:
        self.problems.append(RowProblem(self.line, zh, en, column))

    def choice(self, column: str, choices: _Choices) -> Any:
        text = self.text(column)
        if not text:
            return None
        found = choices.get(text)
        if found is None:
            zh, en = self.names(column)
            self.problem(column, f"{zh}“{text[:20]}”不是可选值（{choices.labels}）",
                         f"{en} '{text[:20]}' is not one of {choices.values}")
        return found

    def short(self, column: str, limit: int) -> str | None:
        text = self.text(column)
        if len(text) > limit:
            zh, en = self.names(column)
            self.problem(column, f"{zh}超过 {limit} 个字符（现有 {len(text)} 个）",
                         f"{en} is longer than {limit} characters ({len(text)})")
            return None
        return text or None

    def day(self, column: str) -> date | None:
        text = self.text(column)
        if not text:
            return None
        try:
            if len(text) > 10 and text[10] not in "T ":  # a spreadsheet's date-time keeps its day
                raise ValueError(text)
            return date.fromisoformat(text[:10])
        except ValueError:
            zh, en = self.names(column)
            self.problem(column, f"{zh}“{text[:20]}”应为 YYYY-MM-DD", f"{en} '{text[:20]}' is not YYYY-MM-DD")
            return None

    def whole(self, column: str, limit: int) -> int | None:
        text = self.text(column)
        if not text:
            return None
        if not text.isdigit() or int(text) > limit:
            zh, en = self.names(column)
            self.problem(column, f"{zh}“{text[:20]}”应为 0 到 {limit} 的整数",
                         f"{en} '{text[:20]}' is not a whole number from 0 to {limit}")
            return None
        return int(text)

    def township_code(self, column: str) -> str | None:
        code = self.text(column)
        if not TOWNSHIP_CODE.match(code):
            self.problem(column, f"{column}“{code[:20]}”应为 9 位乡镇（街道）代码",
                         f"{column} '{code[:20]}' is not a 9-digit township code")
            return None
        return code


# --- stations ------------------------------------------------------------------------------

# The station page's record form: the fields it edits and their labels (zh, en), as the page shows them.
STATION_FORM_LABELS: dict[str, tuple[str, str]] = {
    "status": ("状态", "Status"), "established_on": ("成立日期", "Established"),
    "operator_name": ("承接机构", "Operator"), "operator_registration_no": ("登记证号", "Registration number"),
    "operator_inspection": ("年检", "Annual inspection"), "setup_funding_yuan": ("建站经费（元）", "Set-up funding (yuan)"),
    "flagship_projects": ("品牌项目数", "Flagship projects")}


def read_station_form(form: Mapping[str, str | None]) -> tuple[dict[str, Any], list[RowProblem]]:
    """The station page's record form, checked by the same rules as a stations file; a blank field clears
    its value (the page shows every value, unlike a file). Problems name fields by their labels."""
    cells = _Cells(form, 1, STATION_FORM_LABELS)
    values = {name: value for name, value in _station_values(cells).items() if name in STATION_FORM_LABELS}
    return values, cells.problems


def check_station_rows(rows: Iterable[Mapping[str, str | None]], townships: Mapping[str, KnownTownship],
                       first_line: int = 2) -> tuple[list[StationRow], list[RowProblem]]:
    """Validate a stations file; returns its valid rows and every problem found, by line."""
    parsed: list[StationRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for offset, raw in enumerate(rows):
        row, found = _parse_station_row(_Cells(raw, first_line + offset))
        if row is not None and row.code in seen:
            found.append(RowProblem(row.line, f"代码 {row.code} 与第 {seen[row.code]} 行重复",
                                    f"code {row.code} repeats line {seen[row.code]}", "code"))
        elif row is not None:
            seen[row.code] = row.line
            found += _check_station_township(row, townships.get(row.code))
        problems += found
        if row is not None and not found:
            parsed.append(row)
    return parsed, problems


def _parse_station_row(cells: _Cells) -> tuple[StationRow | None, list[RowProblem]]:
    code = cells.township_code("code")
    values = _station_values(cells)
    if code is None:
        return None, cells.problems
    filled = {column: value for column, value in values.items() if value is not None}
    return StationRow(cells.line, code, filled), cells.problems


def _station_values(cells: _Cells) -> dict[str, Any]:
    return {
        "mode": cells.choice("mode", MODES),
        "status": cells.choice("status", STATUSES),
        "established_on": cells.day("established_on"),
        "operator_name": cells.short("operator_name", 200),
        "operator_registration_no": cells.short("operator_registration_no", 50),
        "operator_inspection": cells.choice("operator_inspection", INSPECTIONS),
        "operator_grade": cells.short("operator_grade", 20),
        "setup_funding_yuan": cells.whole("setup_funding_yuan", FUNDING_LIMIT_YUAN),
        "flagship_projects": cells.whole("flagship_projects", PROJECTS_LIMIT),
    }


def _check_station_township(row: StationRow, township: KnownTownship | None) -> list[RowProblem]:
    problems = _township_problems(row.line, "code", row.code, township)
    if problems or township is None:
        return problems
    if not township.has_station and "mode" not in row.values:
        return [RowProblem(row.line, f"{township.name}还没有社工站，新建须填写 mode（{MODES.labels}）",
                           f"{row.code} has no station yet: a new station needs a mode ({MODES.values})", "mode")]
    return []


def _township_problems(line: int, column: str, code: str, township: KnownTownship | None) -> list[RowProblem]:
    if township is None or township.level != AreaLevel.TOWNSHIP:
        return [RowProblem(line, f"乡镇（街道）代码 {code} 不存在", f"{column} {code} is not a known township", column)]
    if not township.in_scope:
        return [RowProblem(line, f"{township.name}不在您的管辖范围内", f"township {code} is outside your scope", column)]
    return []


# --- staff ---------------------------------------------------------------------------------

def check_staff_rows(rows: Iterable[Mapping[str, str | None]], townships: Mapping[str, KnownTownship], today: date,
                     first_line: int = 2) -> tuple[list[StaffRow], list[RowProblem]]:
    """Validate a staff file; returns its valid rows and every problem found, by line.

    Names are unique within a station in the file: a person is matched to the stored staff by name.
    """
    parsed: list[StaffRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for offset, raw in enumerate(rows):
        row, found = _parse_staff_row(_Cells(raw, first_line + offset), today)
        if row is not None and (row.station_code, row.name) in seen:
            earlier = seen[(row.station_code, row.name)]
            found.append(RowProblem(row.line, f"{row.name} 与第 {earlier} 行同站重名（同一站内姓名须唯一）",
                                    f"name {row.name} repeats line {earlier} at the same station", "name"))
        elif row is not None:
            seen[(row.station_code, row.name)] = row.line
            found += _check_staff_station(row, townships.get(row.station_code))
        problems += found
        if row is not None and not found:
            parsed.append(row)
    return parsed, problems


def _parse_staff_row(cells: _Cells, today: date) -> tuple[StaffRow | None, list[RowProblem]]:
    station_code = cells.township_code("station_code")
    name = _name(cells)
    role = _required_choice(cells, "role", ROLES)
    origin = _origin(cells, role)
    values = {"gender": _gender(cells), "birth_date": _birth_date(cells, today),
              "education": cells.choice("education", EDUCATIONS),
              "certificate": cells.choice("certificate", CERTIFICATES) or Certificate.NONE,
              "local_hukou": _yes_no(cells), "ethnicity": cells.short("ethnicity", 20), "phone": _phone(cells)}
    if cells.problems or station_code is None or name is None or role is None or origin is None:
        return None, cells.problems
    return StaffRow(cells.line, station_code, name, role, origin, **values), []


def _name(cells: _Cells) -> str | None:
    if not cells.text("name"):
        cells.problem("name", "姓名不能为空", "name is empty")
        return None
    return cells.short("name", 50)


def _required_choice(cells: _Cells, column: str, choices: _Choices) -> Any:
    if not cells.text(column):
        cells.problem(column, f"{column} 不能为空（{choices.labels}）", f"{column} is empty ({choices.values})")
        return None
    return cells.choice(column, choices)


def _origin(cells: _Cells, role: StaffRole | None) -> StaffOrigin | None:
    if not cells.text("origin") and role == StaffRole.VOLUNTEER:
        return StaffOrigin.VOLUNTEER  # a volunteer's origin goes without saying
    return _required_choice(cells, "origin", ORIGINS)


def _gender(cells: _Cells) -> str | None:
    text = cells.text("gender")
    if text and text.lower() not in GENDERS:
        cells.problem("gender", f"性别“{text[:10]}”应为 男 或 女", f"gender '{text[:10]}' is not male/female")
    return GENDERS.get(text.lower())


def _birth_date(cells: _Cells, today: date) -> date | None:
    birth = cells.day("birth_date")
    if birth is not None and (birth > today or today.year - birth.year > OLDEST_AGE):
        cells.problem("birth_date", "出生日期不合理（晚于今天或早于 100 年前）",
                      "birth_date is in the future or over 100 years ago")
        return None
    return birth


def _yes_no(cells: _Cells) -> bool:
    text = cells.text("local_hukou").lower()
    if text and text not in YES_NO:
        cells.problem("local_hukou", f"local_hukou“{text[:10]}”应为 是 或 否", f"local_hukou '{text[:10]}' is not yes/no")
    return YES_NO.get(text, False)


def _phone(cells: _Cells) -> str | None:
    text = cells.text("phone")
    if text and not PHONE.match(text):
        cells.problem("phone", f"电话“{text[:20]}”应为数字（至多 20 位）", f"phone '{text[:20]}' is not a phone number")
        return None
    return text or None


def _check_staff_station(row: StaffRow, township: KnownTownship | None) -> list[RowProblem]:
    problems = _township_problems(row.line, "station_code", row.station_code, township)
    if problems or township is None:
        return problems
    if not township.has_station:
        return [RowProblem(row.line, f"{township.name}还没有社工站（请先导入社工站）",
                           f"{row.station_code} has no station (import the station first)", "station_code")]
    return []
