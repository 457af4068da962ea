"""Importing an existing register of people served (CSV/XLSX), all or nothing.

Every row is checked — format, category, village in scope, duplicate ID numbers in the
file and in the registry, workers of the right station, household heads — and every
problem is reported with its line number before anything is written.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from server.adapters.tabular import Table
from server.domain.access import Scope
from server.domain.events import EventType
from server.domain.cases import CaseEventKind, id_number_valid, interval_days, next_due_date, parse_categories
from server.domain.clock import today_in_china
from server.domain.places import AreaLevel
from server.errors import BadRequest, InvalidRows, RowProblem
from server.extensions import db
from server.models import Case, CaseCategoryLink, CaseEvent, User
from server.queries import accounts as account_queries
from server.queries import cases as queries
from server.queries import places as place_queries
from server.services import audit, outbox
from server.services.accounts import COLLECT_ROLES
from server.services.cases import touch, visit_intervals

REQUIRED_COLUMNS = ("full_name", "category", "village_code")
OPTIONAL_COLUMNS = ("gender", "birth_date", "id_number", "phone", "address", "assigned_worker",
                    "household_head_id_number", "registered_on")
# Chinese headers, as registers kept in Excel by civil-affairs clerks have them.
HEADER_ALIASES = {"姓名": "full_name", "类别": "category", "对象类别": "category", "村（社区）代码": "village_code",
                  "村社区代码": "village_code", "性别": "gender", "出生日期": "birth_date", "身份证号": "id_number",
                  "身份证号码": "id_number", "联系电话": "phone", "住址": "address", "责任社工": "assigned_worker",
                  "户主身份证号": "household_head_id_number", "登记日期": "registered_on"}
GENDERS = {"male": "male", "female": "female", "男": "male", "女": "female"}
PHONE = re.compile(r"^1\d{10}$")


@dataclass
class _Row:
    line: int
    name: str
    categories: list
    village_code: str
    properties: dict = field(default_factory=dict)
    worker: str | None = None
    head_id_number: str | None = None
    registered_on: date | None = None


def normalise_columns(table: Table) -> Table:
    columns = tuple(HEADER_ALIASES.get(c, c) for c in table.columns)
    rows = [{HEADER_ALIASES.get(k, k): v for k, v in row.items()} for row in table.rows]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise BadRequest(reason=f"缺少列 / missing column(s): {', '.join(missing)}")
    return Table(columns, rows, table.first_line)


def import_cases(table: Table, scope: Scope, user: User | None,
                 progress: Callable[[int], None] | None = None) -> int:
    table = normalise_columns(table)
    rows, problems = _parse_rows(table)
    problems += _check_references(rows, scope)
    if problems:
        raise InvalidRows(sorted(problems, key=lambda p: p.line))
    created = _create(rows, user, progress)
    audit.record("case.import", "import", None, {"created": created}, user)
    return created


def _text(row: dict, column: str) -> str:
    return (row.get(column) or "").strip()


def _parse_rows(table: Table) -> tuple[list[_Row], list[RowProblem]]:
    rows: list[_Row] = []
    problems: list[RowProblem] = []
    today = today_in_china()
    for offset, raw in enumerate(table.rows):
        line = table.first_line + offset
        found: list[RowProblem] = []
        name = _text(raw, "full_name")
        if not name or len(name) > 50:
            found.append(RowProblem(line, "姓名为空或超过 50 字", "full_name is empty or longer than 50", "full_name"))
        categories, unknown = parse_categories(_text(raw, "category"))
        if unknown or not categories:
            found.append(RowProblem(line, f"类别无效：{'、'.join(unknown) or '（空）'}",
                                    f"unknown category: {', '.join(unknown) or '(empty)'}", "category"))
        properties: dict = {}
        gender = _text(raw, "gender")
        if gender:
            if gender.lower() not in GENDERS and gender not in GENDERS:
                found.append(RowProblem(line, f"性别“{gender}”无效", f"gender '{gender}' is not male/female", "gender"))
            else:
                properties["gender"] = GENDERS.get(gender.lower(), GENDERS.get(gender))
        birth = _date(raw, "birth_date", line, found)
        if birth is not None:
            if birth > today or (today.year - birth.year) > 120:
                found.append(RowProblem(line, "出生日期不合理", "birth_date is in the future or over 120 years ago",
                                        "birth_date"))
            properties["birth_date"] = birth.isoformat()
        id_number = _text(raw, "id_number").upper()
        if id_number:
            if not id_number_valid(id_number):
                found.append(RowProblem(line, f"身份证号 {id_number} 无效（位数或校验位不对）",
                                        f"id_number {id_number} is not a valid 18-character ID number", "id_number"))
            properties["id_number"] = id_number
        phone = _text(raw, "phone")
        if phone:
            if not PHONE.match(phone):
                found.append(RowProblem(line, f"电话 {phone} 应为 11 位手机号", f"phone {phone} is not an 11-digit mobile",
                                        "phone"))
            properties["phone"] = phone
        if _text(raw, "address"):
            properties["address"] = _text(raw, "address")
        registered = _date(raw, "registered_on", line, found)
        if registered is not None and registered > today:
            found.append(RowProblem(line, "登记日期不能晚于今天", "registered_on is in the future", "registered_on"))
        problems += found
        if not found:
            rows.append(_Row(line, name, categories, _text(raw, "village_code"), properties,
                             _text(raw, "assigned_worker") or None,
                             _text(raw, "household_head_id_number").upper() or None, registered))
    return rows, problems


def _date(raw: dict, column: str, line: int, problems: list[RowProblem]) -> date | None:
    text = _text(raw, column)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problems.append(RowProblem(line, f"{column} “{text}” 应为 YYYY-MM-DD", f"{column} '{text}' is not YYYY-MM-DD",
                                   column))
        return None


def _check_references(rows: list[_Row], scope: Scope) -> list[RowProblem]:
    problems: list[RowProblem] = []
    villages = place_queries.list_known_areas_for_codes(r.village_code for r in rows)
    in_file: dict[str, int] = {}
    for row in rows:
        number = row.properties.get("id_number")
        if number:
            if number in in_file:
                problems.append(RowProblem(row.line, f"身份证号与第 {in_file[number]} 行重复",
                                           f"id_number repeats line {in_file[number]}", "id_number"))
            in_file.setdefault(number, row.line)
    stored = queries.find_case_ids_by_id_number(list(in_file) + [r.head_id_number for r in rows if r.head_id_number])
    for row in rows:
        village = villages.get(row.village_code)
        if village is None or village.level != AreaLevel.VILLAGE:
            problems.append(RowProblem(row.line, f"村（社区）代码 {row.village_code} 不存在",
                                       f"village_code {row.village_code} is not a known village", "village_code"))
            continue
        area = place_queries.get_area_by_code(row.village_code)
        if not scope.contains_path(area.path):
            problems.append(RowProblem(row.line, f"{village.name} 不在您的管辖范围内",
                                       f"village {row.village_code} is outside your scope", "village_code"))
        elif place_queries.get_station_by_code(village.parent_code or "") is None:
            problems.append(RowProblem(row.line, f"{village.name} 所在乡镇（街道）还没有社工站",
                                       f"the township of {row.village_code} has no station", "village_code"))
        number = row.properties.get("id_number")
        if number and number in stored:
            problems.append(RowProblem(row.line, f"身份证号 {number} 已在服务对象名册中",
                                       f"id_number {number} is already registered", "id_number"))
        if row.worker:
            worker = account_queries.get_user_by_username(row.worker.lower())
            if worker is None or worker.role not in COLLECT_ROLES or worker.scope_code != village.parent_code:
                problems.append(RowProblem(row.line, f"责任社工 {row.worker} 不是该站的社工",
                                           f"assigned_worker {row.worker} is not a worker of that station",
                                           "assigned_worker"))
        if row.head_id_number and row.head_id_number not in in_file and row.head_id_number not in stored:
            problems.append(RowProblem(row.line, f"户主身份证号 {row.head_id_number} 在文件和名册中都找不到",
                                       f"household head {row.head_id_number} is neither in the file nor registered",
                                       "household_head_id_number"))
    return problems


def _create(rows: list[_Row], user: User | None, progress: Callable[[int], None] | None) -> int:
    intervals = visit_intervals()
    today = today_in_china()
    by_id_number: dict[str, Case] = {}
    villages = {code: place_queries.get_area_by_code(code) for code in {r.village_code for r in rows}}
    created: list[tuple[_Row, Case]] = []
    for index, row in enumerate(rows, 1):
        village = villages[row.village_code]
        registered = row.registered_on or today
        codes = [c.value for c in row.categories]
        case = Case(id=str(uuid.uuid4()), label=f"{row.name} · {village.name}"[:200], station_code=village.parent_code,
                    village_code=village.code, registered_on=registered, properties=row.properties, version=1,
                    next_due=next_due_date(None, registered, interval_days(codes, intervals)))
        case.categories = [CaseCategoryLink(category=c) for c in row.categories]
        if row.worker:
            case.assigned_worker_id = account_queries.get_user_by_username(row.worker.lower()).id
        touch(case)
        db.session.add(case)
        db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.IMPORTED, user_id=user.id if user else None,
                                 version=1))
        created.append((row, case))
        outbox.case_event(EventType.CASE_CREATED, case, new_object=True)
        if row.properties.get("id_number"):
            by_id_number[row.properties["id_number"]] = case
        if progress is not None:
            progress(1)
        if index % 500 == 0:
            db.session.flush()
    db.session.flush()
    stored = queries.find_case_ids_by_id_number([r.head_id_number for r, _ in created if r.head_id_number])
    for row, case in created:
        if row.head_id_number:
            head = by_id_number.get(row.head_id_number)
            parent_id = head.id if head is not None else stored.get(row.head_id_number)
            case.parent_id = parent_id if parent_id != case.id else None
    db.session.flush()
    return len(created)
