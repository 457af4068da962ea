"""The station network of the policy as plain data: area levels, codes, station names.

The policy's geography (POLICY.md "Geography and actors") is a tree
city → county → township/street → village/community, one station per township.
A province level sits above the city so that a province-wide deployment fits the
same tree. Area rows read from a file are checked here, as plain values, before
any of them reaches the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Mapping

from server.errors import RowProblem


class AreaLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


LEVEL_ORDER = (AreaLevel.PROVINCE, AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
LEVEL_NAMES_ZH = {
    AreaLevel.PROVINCE: "省",
    AreaLevel.CITY: "市",
    AreaLevel.COUNTY: "县（市、区）",
    AreaLevel.TOWNSHIP: "乡镇（街道）",
    AreaLevel.VILLAGE: "村（社区）",
}
# Official division codes: 6 digits for province/city/county (GB/T 2260), 9 for a
# township (GB/T 10114), 12 for a village (statistical division code).
CODE_PATTERN = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
ROOT_LEVELS = (AreaLevel.PROVINCE, AreaLevel.CITY)


def parent_level(level: AreaLevel) -> AreaLevel | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index else None


def child_path(parent_path: str, code: str) -> str:
    """Materialised path of an area: '/530100/530102/' — scope checks are prefix tests."""
    return f"{parent_path}{code}/"


def station_official_name(city: str, county: str, township: str) -> str:
    """The plaque text of POLICY.md §4.6: 昆明市{county}{township}社会工作服务站 — derived, never typed."""
    return f"{city}{county}{township}社会工作服务站"


@dataclass(frozen=True)
class AreaRow:
    """One valid row of an area file."""

    line: int
    code: str
    name: str
    parent_code: str | None
    level: AreaLevel


@dataclass(frozen=True)
class KnownArea:
    """What validation needs to know about an area already in the database."""

    code: str
    name: str
    parent_code: str | None
    level: AreaLevel


AREA_COLUMNS = ("code", "name", "parent_code", "level")


def check_area_rows(
    rows: Iterable[Mapping[str, str | None]], known: Mapping[str, KnownArea], first_line: int = 2
) -> tuple[list[AreaRow], list[RowProblem]]:
    """Validate area rows against each other and the areas already stored.

    Returns the rows in an order where each parent comes before its children, and the
    problems found (every one of them, with its line number). Rows may come in any order.
    """
    parsed: list[AreaRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for offset, raw in enumerate(rows):
        line = first_line + offset
        row, row_problems = _parse_area_row(raw, line)
        problems.extend(row_problems)
        if row is None:
            continue
        if row.code in seen:
            problems.append(RowProblem(line, f"区划代码 {row.code} 与第 {seen[row.code]} 行重复",
                                       f"code {row.code} repeats line {seen[row.code]}", "code"))
            continue
        seen[row.code] = line
        parsed.append(row)

    in_file = {r.code: r for r in parsed}
    for row in parsed:
        problems.extend(_check_against_tree(row, in_file, known))
    problems.sort(key=lambda p: p.line)
    return _parents_first(parsed), problems


def _parse_area_row(raw: Mapping[str, str | None], line: int) -> tuple[AreaRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []
    code = (raw.get("code") or "").strip()
    name = (raw.get("name") or "").strip()
    parent_code = (raw.get("parent_code") or "").strip() or None
    level_text = (raw.get("level") or "").strip().lower()
    if not CODE_PATTERN.match(code):
        problems.append(RowProblem(line, f"区划代码“{code}”应为 6、9 或 12 位数字",
                                   f"code '{code}' must be 6, 9 or 12 digits", "code"))
    if not name:
        problems.append(RowProblem(line, "名称不能为空", "name is empty", "name"))
    elif len(name) > 100:
        problems.append(RowProblem(line, "名称超过 100 个字符", "name is longer than 100 characters", "name"))
    if parent_code is not None and not CODE_PATTERN.match(parent_code):
        problems.append(RowProblem(line, f"上级代码“{parent_code}”应为 6、9 或 12 位数字",
                                   f"parent_code '{parent_code}' must be 6, 9 or 12 digits", "parent_code"))
    try:
        level = AreaLevel(level_text)
    except ValueError:
        allowed = ", ".join(LEVEL_ORDER)
        problems.append(RowProblem(line, f"层级“{level_text}”无效，应为 {allowed} 之一",
                                   f"level '{level_text}' is not one of {allowed}", "level"))
        level = None
    if problems or level is None:
        return None, problems
    return AreaRow(line, code, name, parent_code, level), []


def _check_against_tree(row: AreaRow, in_file: Mapping[str, AreaRow], known: Mapping[str, KnownArea]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    stored = known.get(row.code)
    if stored is not None and (stored.level != row.level or stored.parent_code != row.parent_code):
        problems.append(RowProblem(
            row.line,
            f"区划 {row.code} 已存在于其他位置（层级 {stored.level}，上级 {stored.parent_code or '无'}），不能移动",
            f"area {row.code} already exists elsewhere (level {stored.level}, parent {stored.parent_code or 'none'}); "
            "areas cannot be moved", "parent_code"))
        return problems
    expected_parent = parent_level(row.level)
    if row.parent_code is None:
        if row.level not in ROOT_LEVELS:
            problems.append(RowProblem(row.line, f"{LEVEL_NAMES_ZH[row.level]}必须填写上级代码",
                                       f"a {row.level} needs a parent_code", "parent_code"))
        return problems
    parent = in_file.get(row.parent_code) or known.get(row.parent_code)
    if parent is None:
        problems.append(RowProblem(row.line, f"上级代码 {row.parent_code} 不存在",
                                   f"parent_code {row.parent_code} does not exist", "parent_code"))
    elif parent.level != expected_parent:
        problems.append(RowProblem(
            row.line, f"上级 {row.parent_code} 是 {parent.level}，{row.level} 的上级应为 {expected_parent}",
            f"parent {row.parent_code} is a {parent.level}; a {row.level} belongs under a {expected_parent}",
            "parent_code"))
    return problems


def _parents_first(rows: list[AreaRow]) -> list[AreaRow]:
    return sorted(rows, key=lambda r: (LEVEL_ORDER.index(r.level), r.line))
