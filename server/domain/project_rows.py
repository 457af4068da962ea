"""Rows of a projects file (CSV/XLSX, docs/money.md "Importing projects"): one row per budget line, the project's own
columns repeated on each of its rows and keyed by its contract number. Pure: what the rows say and what is wrong with
them, by line; whether the county and stations are the caller's is the service's to check.

Headers may be English or Chinese (``HEADER_ALIASES``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

from server.domain.clock import FIRST_DAY, LAST_DAY
from server.domain.money import Group, MoneyError, Source, forbidden_use, parse_yuan
from server.errors import RowProblem

PROJECT_COLUMNS = ("contract_no", "county", "year", "name", "operator", "starts_on", "ends_on", "amount_yuan",
                   "stations", "ministry_province_yuan", "local_matching_yuan", "donations_yuan", "brand_services",
                   "other_services", "group", "line", "line_yuan")
REQUIRED_COLUMNS = ("contract_no", "county", "year", "name", "operator", "starts_on", "ends_on", "amount_yuan",
                    "stations", "group", "line", "line_yuan")
HEADER_ALIASES = {
    "合同编号": "contract_no", "县（市、区）代码": "county", "县代码": "county", "年度": "year", "项目名称": "name",
    "承接机构": "operator", "开始日期": "starts_on", "结束日期": "ends_on", "合同金额（元）": "amount_yuan",
    "社工站代码": "stations", "申请部省级资金（元）": "ministry_province_yuan",
    "州（市）、县（市、区）配套资金（元）": "local_matching_yuan", "配套资金（元）": "local_matching_yuan",
    "社会募集资金（元）": "donations_yuan", "品牌服务项目": "brand_services", "自选项目": "other_services", "类别": "group", "支出项目": "line", "金额（元）": "line_yuan",
}
GROUP_WORDS = {"I": Group.SERVICES, "一": Group.SERVICES, "1": Group.SERVICES,
               "II": Group.STAFF_PAY, "二": Group.STAFF_PAY, "2": Group.STAFF_PAY,
               "III": Group.VOLUNTEERS, "三": Group.VOLUNTEERS, "3": Group.VOLUNTEERS,
               "IV": Group.EXECUTION, "四": Group.EXECUTION, "4": Group.EXECUTION,
               "V": Group.PREMISES, "五": Group.PREMISES, "5": Group.PREMISES}
SOURCE_COLUMNS = {Source.MINISTRY_PROVINCE: "ministry_province_yuan", Source.LOCAL_MATCHING: "local_matching_yuan",
                  Source.DONATIONS: "donations_yuan"}
PROJECT_FIELDS = ("county", "year", "name", "operator", "starts_on", "ends_on", "amount_yuan", "stations",
                  *SOURCE_COLUMNS.values(), "brand_services", "other_services")
LIST_SEPARATORS = r"[,，、;；]+"  # between station codes, and between services (whose names may hold spaces)


def canonical_row(row: Mapping[str, str | None]) -> dict[str, str]:
    """A row with Chinese headers taken to their English names, every cell a stripped string."""
    return {HEADER_ALIASES.get(key, key): ("" if value is None else str(value).strip()) for key, value in row.items()}


@dataclass
class ProjectRows:
    """One project of the file: its own columns (from its first row) and its lines."""

    contract_no: str
    first_line: int
    county: str = ""
    year: int = 0
    name: str = ""
    operator: str = ""
    starts_on: date = FIRST_DAY
    ends_on: date = FIRST_DAY
    amount: int = 0
    stations: list[str] = field(default_factory=list)
    sources: dict[Source, int] = field(default_factory=dict)
    lines: list[tuple[Group, str, int]] = field(default_factory=list)
    services: list[tuple[str, str]] = field(default_factory=list)  # A2's "2 + N": (brand | other, name)


def _day(text: str, line: int, column: str, problems: list[RowProblem]) -> date:
    try:
        day = date.fromisoformat(text[:10])
        if FIRST_DAY <= day <= LAST_DAY:
            return day
    except ValueError:
        pass
    problems.append(RowProblem(line, f"“{text[:20]}”应为日期 YYYY-MM-DD", "a date is YYYY-MM-DD", column))
    return FIRST_DAY


def _yuan(text: str, line: int, column: str, problems: list[RowProblem], blank_is_zero: bool = False) -> int:
    if not text and blank_is_zero:
        return 0
    try:
        return parse_yuan(text)
    except MoneyError as error:
        zh, _, en = error.reason.partition(" / ")
        problems.append(RowProblem(line, zh, en or zh, column))
        return 0


def check_project_rows(rows: Iterable[Mapping[str, str | None]], first_line: int = 2) \
        -> tuple[list[ProjectRows], list[RowProblem]]:
    projects: dict[str, ProjectRows] = {}
    seen_values: dict[str, dict[str, str]] = {}
    problems: list[RowProblem] = []
    for line, raw in enumerate(rows, start=first_line):
        row = canonical_row(raw)
        if not any(row.values()):
            continue  # a blank row between projects
        contract = row.get("contract_no", "")
        if not contract:
            problems.append(RowProblem(line, "合同编号不能为空", "contract_no is empty", "contract_no"))
            continue
        if len(contract) > 60:
            problems.append(RowProblem(line, "合同编号超过 60 个字符", "contract_no is longer than 60", "contract_no"))
            continue
        project = projects.get(contract)
        if project is None:
            project = projects[contract] = ProjectRows(contract, line)
            seen_values[contract] = {key: row.get(key, "") for key in PROJECT_FIELDS}
            _read_project(project, row, line, problems)
        else:
            for key in PROJECT_FIELDS:
                if row.get(key, "") not in ("", seen_values[contract][key]):
                    problems.append(RowProblem(line, f"{key} 与第 {project.first_line} 行不同（同一合同编号的项目信息应一致）",
                                               f"{key} differs from line {project.first_line} of the same contract",
                                               key))
        group = GROUP_WORDS.get(row.get("group", "").upper().rstrip("、.．"))
        if group is None:
            problems.append(RowProblem(line, "类别应为一至五（或 I–V）", "group is one of I–V", "group"))
        name = " ".join(row.get("line", "").split())[:200]
        if not name:
            problems.append(RowProblem(line, "支出项目不能为空", "line is empty", "line"))
        elif (use := forbidden_use(name)) is not None:
            problems.append(RowProblem(line, f"A1 预算编制说明第3条：不得列支{use.name_zh}", f"A1 note 3 forbids {use.name_en}",
                                       "line"))
        amount = _yuan(row.get("line_yuan", ""), line, "line_yuan", problems)
        if group is not None and name:
            project.lines.append((group, name, amount))
    return list(projects.values()), problems


def _read_project(project: ProjectRows, row: dict[str, str], line: int, problems: list[RowProblem]) -> None:
    project.county = row.get("county", "")
    if not re.fullmatch(r"\d{6}", project.county):
        problems.append(RowProblem(line, "县（市、区）代码应为 6 位数字", "county is a 6-digit code", "county"))
    try:
        project.year = int(row.get("year", ""))
        if not FIRST_DAY.year <= project.year <= LAST_DAY.year:
            raise ValueError
    except ValueError:
        problems.append(RowProblem(line, "年度应为四位年份", "year is a 4-digit year", "year"))
    for key in ("name", "operator"):
        value = " ".join(row.get(key, "").split())
        if not value or len(value) > 200:
            problems.append(RowProblem(line, f"{key} 不能为空，且不超过 200 个字符", f"{key} is empty or too long", key))
        setattr(project, key, value[:200])
    project.starts_on = _day(row.get("starts_on", ""), line, "starts_on", problems)
    project.ends_on = _day(row.get("ends_on", ""), line, "ends_on", problems)
    if project.ends_on < project.starts_on:
        problems.append(RowProblem(line, "结束日期早于开始日期", "ends before it starts", "ends_on"))
    project.amount = _yuan(row.get("amount_yuan", ""), line, "amount_yuan", problems)
    project.stations = [code for code in re.split(r"[,，、;；\s]+", row.get("stations", "")) if code]
    if not project.stations:
        problems.append(RowProblem(line, "社工站代码不能为空", "stations is empty", "stations"))
    project.sources = {source: _yuan(row.get(column, ""), line, column, problems, blank_is_zero=True)
                       for source, column in SOURCE_COLUMNS.items()}
    project.sources = {source: amount for source, amount in project.sources.items() if amount}
    project.services = [(kind, name.strip()[:200]) for kind, column in (("brand", "brand_services"),
                                                                         ("other", "other_services"))
                        for name in re.split(LIST_SEPARATORS, row.get(column, "")) if name.strip()]


# --- a spending report file: one row per project, month and budget line ----------------------------------------

SPENDING_REQUIRED = ("contract_no", "month", "line", "amount_yuan")
SPENDING_ALIASES = {"合同编号": "contract_no", "月份": "month", "支出项目": "line", "金额（元）": "amount_yuan",
                    "本月支出（元）": "amount_yuan", "备注": "note", "县（市、区）代码": "county", "县代码": "county"}


@dataclass(frozen=True)
class SpendingRow:
    line_number: int
    contract_no: str
    county: str
    month: date
    line: str
    amount: int
    note: str


def check_spending_rows(rows: Iterable[Mapping[str, str | None]], first_line: int = 2) \
        -> tuple[list[SpendingRow], list[RowProblem]]:
    parsed, problems = [], []
    for number, raw in enumerate(rows, start=first_line):
        row = {SPENDING_ALIASES.get(k, k): ("" if v is None else str(v).strip()) for k, v in raw.items()}
        if not any(row.values()):
            continue
        contract = row.get("contract_no", "")
        if not contract:
            problems.append(RowProblem(number, "合同编号不能为空", "contract_no is empty", "contract_no"))
        try:
            month = date.fromisoformat(f"{row.get('month', '')[:7]}-01")
        except ValueError:
            problems.append(RowProblem(number, "月份应为 YYYY-MM", "month is YYYY-MM", "month"))
            month = FIRST_DAY
        line = " ".join(row.get("line", "").split())
        if not line:
            problems.append(RowProblem(number, "支出项目不能为空", "line is empty", "line"))
        amount = _yuan(row.get("amount_yuan", ""), number, "amount_yuan", problems)
        parsed.append(SpendingRow(number, contract, row.get("county", ""), month, line, amount,
                                  row.get("note", "")[:2000]))
    return parsed, problems
