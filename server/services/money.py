"""Projects and their money (docs/money.md): who may keep what, and each project's budget checked against A1.

- County supervisors and the city's administrators keep the projects of the counties in their scope: the project,
  its stations, its A1 budget (sources and lines; a line naming a forbidden use is refused, A1 note 3).
- Station heads see the projects that cover their station and report their monthly spending per budget line;
  county users may report too (an operator's paper report entered at the bureau). Workers see none of it.
- A county's year — its social-assistance spending (§4.5's denominator) and the tolerance that reads A1's "about" —
  is recorded by the city's administrators, never by the county the cap and the checks judge (the county sees
  both, with who recorded them and when); every change is in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from server.domain.access import Role, Scope
from server.domain.clock import utc_now
from server.domain.money import (
    A1_NOTES,
    A1Budget,
    a1_budget,
    EXECUTION_LINES,
    GROUP_NAMES_EN,
    GROUP_NAMES_ZH,
    MAX_TOLERANCE_BP,
    SOURCE_NAMES_ZH,
    CapCheck,
    Finding,
    Group,
    Line,
    Source,
    check_budget,
    check_county_cap,
    forbidden_use,
    format_yuan,
    line_progress,
    months_between,
    months_without_report,
)
from server.domain.places import AreaLevel
from server.domain.project_rows import (HEADER_ALIASES, REQUIRED_COLUMNS, SPENDING_ALIASES, SPENDING_REQUIRED,
                                       check_project_rows, check_spending_rows)
from server.errors import BadRequest, Forbidden, InvalidRows, InvalidValue, NotFound, RowProblem
from server.extensions import db
from server.models import (BudgetLine, CountyBudgetYear, Project, ProjectService, ProjectSource, ProjectStation,
                           SpendingReport, User)
from server.queries import money as queries
from server.queries import places as place_queries
from server.services import audit

MAX_LINES = 200
OFFICE_ROLES = (Role.ADMIN, Role.COUNTY)  # who keeps projects and a county's year


@dataclass(frozen=True)
class ProjectInput:
    county_code: str
    year: int
    name: str
    operator: str
    contract_no: str
    starts_on: date
    ends_on: date
    amount: int
    stations: list[str]
    sources: dict[Source, int]
    lines: list[Line]
    services: list[tuple[str, str]] = field(default_factory=list)  # A2's "2 + N": (brand | other, name)


def _require_office(user: User) -> None:
    if user.role not in OFFICE_ROLES:
        raise Forbidden()


def projects_in_scope(scope: Scope, year: int | None = None) -> list[Project]:
    return queries.list_projects_in_scope(scope, year)


def money_of_period(scope: Scope, start: date, end: date) -> dict[str, Any]:
    """What a report pack says of money for a period: the projects running in it (as of its last day) and the cap
    of each county among them for the period's year."""
    projects = [project_view(p, end, as_of=end) for p in queries.list_projects_in_scope(scope)
                if p.starts_on <= end and p.ends_on >= start]
    counties = sorted({p["county"]["code"] for p in projects})
    return {"projects": projects, "caps": [county_money_view(code, end.year) for code in counties],
            "breaches": sum(1 for p in projects if any(c["severity"] == "breach" for c in p["checks"])),
            "lines_over": sum(1 for p in projects for line in p["lines"] if line["over_budget"]),
            "months_missing": sum(len(p["months_without_report"]) for p in projects),
            "over_cap": sum(1 for cap in counties_caps(counties, end.year) if not cap.within)}


def counties_caps(counties: list[str], year: int) -> list[CapCheck]:
    return [cap for cap in (county_cap(code, year) for code in counties) if cap is not None]


def projects_of_station(station_code: str, day: date) -> list[Project]:
    return queries.projects_of_station(station_code, day)


def project_in_scope(scope: Scope, project_id: int) -> Project:
    """The project, if the caller's scope reaches it; else 404 (another county's projects are not there)."""
    if any(p.id == project_id for p in queries.list_projects_in_scope(scope)):
        return queries.get_project(project_id)
    raise NotFound(what="项目 / project", key=str(project_id))


def county_in_scope(scope: Scope, county_code: str):
    county = place_queries.get_area_by_code(county_code)
    if county is None or county.level != AreaLevel.COUNTY or not scope.contains_path(county.path):
        raise NotFound(what="县（市、区） / county", key=county_code)
    return county


def _line_name(line: Line, index: int) -> str:
    name = " ".join(line.name.split())[:200]
    if not name:
        raise InvalidValue(field=f"lines[{index}].name", reason="请填写支出项目 / name the line")
    use = forbidden_use(name)
    if use is not None:
        raise InvalidValue(field=f"lines[{index}].name",
                           reason=f"A1 预算编制说明第3条：不得列支{use.name_zh} / A1 note 3 forbids {use.name_en}")
    if line.group == Group.EXECUTION:
        for standard in EXECUTION_LINES.values():
            bare = standard.split(".", 1)[1]
            if name in (standard, bare) or name.lstrip("0123456789.、 ").startswith(bare):
                return standard + name.lstrip("0123456789.、 ")[len(bare):]
        raise InvalidValue(field=f"lines[{index}].name",
                           reason="项目执行费用只能列交通费、培训费、会议费、管理费、印刷宣传费（A1） / execution lines are "
                                  "A1's five: transport, training, meetings, management, printing and publicity")
    return name


def _validate(data: ProjectInput, scope: Scope) -> None:
    county = county_in_scope(scope, data.county_code)
    if data.ends_on < data.starts_on:
        raise InvalidValue(field="ends_on", reason="结束日期早于开始日期 / ends before it starts")
    if not data.stations:
        raise InvalidValue(field="stations", reason="请至少选择一个社工站 / at least one station")
    for code in data.stations:
        station = place_queries.get_station_by_code(code)
        township = place_queries.get_area_by_code(code)
        if station is None or township is None or township.parent_code != county.code:
            raise InvalidValue(field="stations", reason=f"{code} 不是{county.name}的社工站 / not a station of the county")
    if len(data.lines) > MAX_LINES:
        raise InvalidValue(field="lines", reason=f"最多 {MAX_LINES} 行 / at most {MAX_LINES} lines")


def _write_budget(project: Project, sources: dict[Source, int], lines: list[Line]) -> None:
    names = [_line_name(line, i) for i, line in enumerate(lines)]
    kept = {(line.group, line.name): line for line in project.lines}
    project.sources = [ProjectSource(source=source, amount=amount) for source, amount in sources.items()]
    new_lines = []
    for position, (line, name) in enumerate(zip(lines, names)):
        existing = kept.pop((line.group, name), None)  # a line kept by group and name keeps its spending
        if existing is None:
            existing = BudgetLine(group=line.group, name=name)
        existing.amount, existing.position = line.amount, position
        new_lines.append(existing)
    project.lines = new_lines


def _write_services(project: Project, services: list[tuple[str, str]]) -> None:
    wanted = [(kind, " ".join(name.split())[:200]) for kind, name in services if name.strip()]
    if [(s.kind, s.name) for s in project.services] != wanted:
        project.services = [ProjectService(kind=kind, name=name, position=n) for n, (kind, name) in enumerate(wanted)]


def brand_services_of_station(station_code: str, day: date) -> int | None:
    """A2's flagship count of a station from the projects covering it on ``day``: the distinct brand services they
    list; None when none of them lists its services (the station record's own count then stands)."""
    projects = queries.projects_of_station(station_code, day)
    if not any(p.services for p in projects):
        return None
    return len({s.name for p in projects for s in p.services if s.kind == "brand"})


def create_project(user: User, scope: Scope, data: ProjectInput) -> Project:
    _require_office(user)
    _validate(data, scope)
    project = Project(county_code=data.county_code, year=data.year, name=data.name, operator=data.operator,
                      contract_no=data.contract_no, starts_on=data.starts_on, ends_on=data.ends_on, amount=data.amount)
    project.stations = [ProjectStation(station_code=code) for code in sorted(set(data.stations))]
    _write_budget(project, data.sources, data.lines)
    _write_services(project, data.services)
    db.session.add(project)
    db.session.flush()
    audit.record("project.create", "project", str(project.id), {"name": data.name, "amount": data.amount}, user)
    return project


def update_project(user: User, scope: Scope, project: Project, data: ProjectInput) -> Project:
    _require_office(user)
    _validate(data, scope)
    for key in ("county_code", "year", "name", "operator", "contract_no", "starts_on", "ends_on", "amount"):
        setattr(project, key, getattr(data, key))
    wanted = sorted(set(data.stations))
    if [s.station_code for s in project.stations] != wanted:
        project.stations = [ProjectStation(station_code=code) for code in wanted]
    _write_budget(project, data.sources, data.lines)
    _write_services(project, data.services)
    project.updated_at = utc_now()
    db.session.flush()
    audit.record("project.update", "project", str(project.id), {"amount": data.amount}, user)
    return project


@dataclass(frozen=True)
class ProjectImportSummary:
    created: int
    updated: int


def import_projects(table, scope: Scope, user: User) -> ProjectImportSummary:
    """Projects from a file, one row per budget line (``domain/project_rows.py``); a contract number already
    known in its county updates that project. All or nothing: every problem of every row is reported, by line."""
    _require_office(user)
    columns = {HEADER_ALIASES.get(c, c) for c in table.columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise BadRequest(reason=f"缺少列 / missing column(s): {', '.join(missing)}")
    projects, problems = check_project_rows(table.rows, table.first_line)
    inputs = []
    for rows in projects:
        data = ProjectInput(rows.county, rows.year, rows.name, rows.operator, rows.contract_no, rows.starts_on,
                            rows.ends_on, rows.amount, rows.stations, rows.sources,
                            [Line(group, name, amount) for group, name, amount in rows.lines], rows.services)
        try:
            _validate(data, scope)
            for index, line in enumerate(data.lines):
                if forbidden_use(line.name) is None:  # (already reported on its own row)
                    _line_name(line, index)
        except (InvalidValue, NotFound) as error:
            zh, _, en = str(error.details.get("reason") or error.message("zh")).partition(" / ")
            problems.append(RowProblem(rows.first_line, f"合同 {rows.contract_no}：{zh}",
                                       f"contract {rows.contract_no}: {en or zh}"))
        inputs.append(data)
    if problems:
        raise InvalidRows(sorted(problems, key=lambda p: p.line))
    created = updated = 0
    for data in inputs:
        existing = queries.get_project_by_contract(data.county_code, data.contract_no)
        if existing is None:
            create_project(user, scope, data)
            created += 1
        else:
            update_project(user, scope, existing, data)
            updated += 1
    return ProjectImportSummary(created, updated)


@dataclass(frozen=True)
class SpendingImportSummary:
    months: int
    lines: int


def _line_key(name: str) -> str:
    """A budget line's name as the file may write it: group IV's "交通费" is "1.交通费"."""
    bare = name.lstrip("0123456789.、 ")
    for standard in EXECUTION_LINES.values():
        if bare.startswith(standard.split(".", 1)[1]):
            return standard + bare[len(standard.split(".", 1)[1]):]
    return name


def import_spending(table, scope: Scope, user: User, today: date) -> SpendingImportSummary:
    """Monthly spending from a file, one row per project (by contract number), month and budget line (by name);
    each (project, month) the file names is replaced by its rows. All or nothing, every problem by line."""
    if user.role == Role.WORKER:
        raise Forbidden()
    columns = {SPENDING_ALIASES.get(c, c) for c in table.columns}
    missing = [c for c in SPENDING_REQUIRED if c not in columns]
    if missing:
        raise BadRequest(reason=f"缺少列 / missing column(s): {', '.join(missing)}")
    rows, problems = check_spending_rows(table.rows, table.first_line)
    in_scope = queries.list_projects_in_scope(scope)
    reports: dict[tuple[int, date], dict[int, int]] = {}
    notes: dict[tuple[int, date], str] = {}
    projects: dict[int, Project] = {}
    for row in rows:
        if not row.contract_no or not row.line:
            continue
        found = [p for p in in_scope if p.contract_no == row.contract_no and row.county in ("", p.county_code)]
        if len(found) != 1:
            problems.append(RowProblem(row.line_number, f"找不到合同编号为 {row.contract_no} 的项目" if not found else
                                       f"合同编号 {row.contract_no} 对应多个县的项目，请填写县（市、区）代码",
                                       f"no project with contract {row.contract_no}" if not found else
                                       f"contract {row.contract_no} is in several counties: give the county",
                                       "contract_no"))
            continue
        project = projects[found[0].id] = found[0]
        lines = {line.name: line.id for line in project.lines}
        line_id = lines.get(row.line) or lines.get(_line_key(row.line))
        if line_id is None:
            problems.append(RowProblem(row.line_number, f"项目 {row.contract_no} 没有预算行“{row.line}”",
                                       f"contract {row.contract_no} has no budget line {row.line}", "line"))
            continue
        if row.month not in months_between(project.starts_on, project.ends_on) or row.month > today.replace(day=1):
            problems.append(RowProblem(row.line_number, "月份不在项目期内或尚未到来", "month outside the project or to come",
                                       "month"))
            continue
        month_lines = reports.setdefault((project.id, row.month), {})
        month_lines[line_id] = month_lines.get(line_id, 0) + row.amount
        if row.note:
            notes[(project.id, row.month)] = row.note
    if problems:
        raise InvalidRows(sorted(problems, key=lambda p: p.line))
    for (project_id, month), amounts in sorted(reports.items()):
        report_spending(user, projects[project_id], month, amounts, notes.get((project_id, month), ""), today)
    return SpendingImportSummary(len(reports), sum(len(a) for a in reports.values()))


def report_spending(user: User, project: Project, month: date, amounts: dict[int, int], note: str,
                    today: date) -> list[SpendingReport]:
    """Replace ``month``'s report: what was spent on each budget line (lines not named: nothing)."""
    if user.role == Role.WORKER:
        raise Forbidden()
    month = month.replace(day=1)
    if month not in months_between(project.starts_on, project.ends_on):
        raise InvalidValue(field="month", reason="不在项目期内 / outside the project's months")
    if month > today.replace(day=1):
        raise InvalidValue(field="month", reason="不能填报未来月份 / a month still to come")
    lines = {line.id: line for line in project.lines}
    unknown = sorted(set(amounts) - set(lines))
    if unknown:
        raise InvalidValue(field="lines", reason=f"不是本项目的预算行 / not this project's lines: {unknown[:5]}")
    for report in queries.list_month_reports(project.id, month):
        db.session.delete(report)
    db.session.flush()
    reports = [SpendingReport(project_id=project.id, line_id=line_id, month=month, amount=amount, note=note[:2000],
                              reported_by_id=user.id) for line_id, amount in sorted(amounts.items())]
    db.session.add_all(reports)
    db.session.flush()
    audit.record("project.spending", "project", str(project.id),
                 {"month": month.isoformat(), "total": sum(amounts.values())}, user)
    return reports


def set_county_year(user: User, scope: Scope, county_code: str, year: int, social_assistance: int | None,
                    tolerance_bp: int | None) -> CountyBudgetYear:
    if user.role != Role.ADMIN:
        raise Forbidden()  # the county does not set the numbers its own cap and checks are judged by
    county_in_scope(scope, county_code)
    if tolerance_bp is not None and not 0 <= tolerance_bp <= MAX_TOLERANCE_BP:
        raise InvalidValue(field="tolerance_points", reason="应在 0 至 5 之间 / between 0 and 5")
    row = queries.get_county_year(county_code, year) or CountyBudgetYear(county_code=county_code, year=year,
                                                                         tolerance_bp=0)
    if social_assistance is not None:
        row.social_assistance = social_assistance
    if tolerance_bp is not None:
        row.tolerance_bp = tolerance_bp
    row.updated_at, row.updated_by_id = utc_now(), user.id
    db.session.add(row)
    db.session.flush()
    audit.record("county.money", "area", county_code,
                 {"year": year, "social_assistance": social_assistance, "tolerance_bp": tolerance_bp}, user)
    return row


# --- what a project's page and the API show ---------------------------------------------------------------------

def a1_of(project: Project) -> A1Budget:
    return a1_budget([Line(line.group, line.name, line.amount) for line in project.lines],
                     {source.source: source.amount for source in project.sources})


def station_names(project: Project) -> list[str]:
    stations = [place_queries.get_station_by_code(s.station_code) for s in project.stations]
    return [station.official_name for station in stations if station is not None]


def write_a1_xlsx(project: Project, out) -> None:
    """Attachment A1's budget part as a workbook laid out as the attachment (万元, its rows in its order)."""
    from decimal import Decimal

    from server.adapters.tabular import Sheet, write_workbook

    def wan(fen: int) -> Decimal:
        return Decimal(fen) / 1_000_000

    table = a1_of(project)
    county = place_queries.get_area_by_code(project.county_code)
    rows: list[list[Any]] = [["昆明市乡镇（街道）社会工作服务站建设项目申报书", ""],
                             ["项目名称", project.name], ["申报单位", project.operator],
                             ["社工站项目建设地区", f"{county.name if county else project.county_code}："
                                              + "、".join(station_names(project))],
                             ["合同编号", project.contract_no], ["项目期", f"{project.starts_on} 至 {project.ends_on}"],
                             [], ["项目经费预算", ""], ["资金来源", "金额（万元）"]]
    rows += [[row.name, wan(row.amount)] for row in table.sources]
    rows += [["资金总额合计", wan(table.sources_total)], [], ["预算资金支出明细", ""], ["项目", "金额（万元）"]]
    for group in table.groups:
        rows.append([group.name, wan(group.amount)])
        rows += [[f"    {row.name}", wan(row.amount)] for row in group.lines]
    rows += [["资金支出合计", wan(table.lines_total)], [], ["预算编制说明", ""]]
    rows += [[f"{n}. {note}", ""] for n, note in enumerate(A1_NOTES, start=1)]
    write_workbook([Sheet("附件1 项目申报书", rows, widths=(60, 16))], out)


def tolerance_of(county_code: str, year: int) -> int:
    row = queries.get_county_year(county_code, year)
    return row.tolerance_bp if row else 0


def budget_findings(project: Project) -> list[Finding]:
    return check_budget([Line(line.group, line.name, line.amount) for line in project.lines],
                        {source.source: source.amount for source in project.sources}, project.amount,
                        tolerance_of(project.county_code, project.year))


def county_cap(county_code: str, year: int) -> CapCheck | None:
    row = queries.get_county_year(county_code, year)
    if row is None or row.social_assistance is None:
        return None
    return check_county_cap(row.social_assistance, queries.county_purchases(county_code, year))


def yuan_view(fen: int) -> dict[str, Any]:
    return {"fen": fen, "yuan": format_yuan(fen)}


def _username(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return user.username if user else None


def project_view(project: Project, today: date, as_of: date | None = None) -> dict[str, Any]:
    """The project as pages, the API and report packs show it; ``as_of`` (a report's last day): spending reported
    for months up to it, and months missing before the month after it."""
    if as_of is not None:
        today = as_of + timedelta(days=1)
    spent = queries.spent_by_line(project.id, until=as_of)
    progress = {p.key: p for p in line_progress({str(line.id): line.amount for line in project.lines},
                                                {str(k): v for k, v in spent.items()})}
    missing = months_without_report(project.starts_on, project.ends_on, queries.reported_months(project.id), today)
    cap = county_cap(project.county_code, project.year)
    county_row = queries.get_county_year(project.county_code, project.year)
    county = place_queries.get_area_by_code(project.county_code)
    return {
        "id": project.id, "name": project.name, "operator": project.operator, "contract_no": project.contract_no,
        "county": {"code": project.county_code, "name": county.name if county else None}, "year": project.year,
        "starts_on": project.starts_on.isoformat(), "ends_on": project.ends_on.isoformat(),
        "amount": yuan_view(project.amount),
        "stations": [s.station_code for s in project.stations],
        "services": [{"kind": s.kind, "name": s.name} for s in project.services],
        "sources": [{"source": s.source.value, "name": SOURCE_NAMES_ZH[s.source], **yuan_view(s.amount)}
                    for s in sorted(project.sources, key=lambda s: list(Source).index(s.source))],
        "lines": [{"id": line.id, "group": line.group.value, "group_name": GROUP_NAMES_ZH[line.group],
                   "group_name_en": GROUP_NAMES_EN[line.group], "name": line.name, "budget": yuan_view(line.amount),
                   "spent": yuan_view(progress[str(line.id)].spent), "remaining": yuan_view(progress[str(line.id)].remaining),
                   "over_budget": progress[str(line.id)].over} for line in project.lines],
        "spent": yuan_view(sum(spent.values())),
        "checks": [{"code": f.code, "clause": f.clause, "severity": f.severity, "message": f.message_zh,
                    "message_en": f.message_en} for f in budget_findings(project)],
        "tolerance_points": (county_row.tolerance_bp if county_row else 0) / 100,
        "months_without_report": [m.strftime("%Y-%m") for m in missing],
        "county_cap": None if cap is None else {
            "social_assistance": yuan_view(cap.spending), "purchases": yuan_view(cap.purchases), "cap": yuan_view(cap.cap),
            "margin": yuan_view(cap.margin), "within": cap.within,
            "recorded_by": _username(county_row.updated_by_id) if county_row else None,
            "recorded_at": county_row.updated_at.isoformat() if county_row and county_row.updated_at else None},
    }


def county_money_view(county_code: str, year: int) -> dict[str, Any]:
    row = queries.get_county_year(county_code, year)
    cap = county_cap(county_code, year)
    county = place_queries.get_area_by_code(county_code)
    return {"county": county_code, "county_name": county.name if county else None, "year": year,
            "social_assistance": None if row is None or row.social_assistance is None
            else yuan_view(row.social_assistance),
            "tolerance_points": (row.tolerance_bp if row else 0) / 100,
            "purchases": yuan_view(queries.county_purchases(county_code, year)),
            "cap": None if cap is None else yuan_view(cap.cap),
            "margin": None if cap is None else yuan_view(cap.margin),
            "within": None if cap is None else cap.within,
            "recorded_by": _username(row.updated_by_id) if row else None,
            "recorded_at": row.updated_at.isoformat() if row and row.updated_at else None}
