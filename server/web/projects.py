"""Projects and their money on pages (docs/money.md): the projects in scope with their checks and the county's
§4.5 cap, a project's A1 table with spending to date, and the monthly spending report."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from server.domain.access import Role
from server.domain.clock import parse_day, today_in_china
from server.domain.places import AreaLevel
from server.domain.money import (A1_NOTES, GROUP_NAMES_EN, GROUP_NAMES_ZH, SOURCE_NAMES_ZH, Group, MoneyError, Source,
                                 format_wan, format_yuan, months_between, parse_yuan)
from server.errors import InvalidValue, LastmeterError, NotFound
from server.extensions import db
from server.queries import places as place_queries
from server.services import audit, money
from server.web import bp
from server.web.auth import current_scope, current_user, login_required
from server.web.labels import in_page_language, refusal

REPORTERS = (Role.ADMIN, Role.COUNTY, Role.STATION)


@bp.get("/projects")
@login_required
def project_list():
    today = today_in_china()
    projects = [money.project_view(p, today) for p in money.projects_in_scope(current_scope(), today.year)]
    caps = {}
    if current_user().role in KEEPERS:
        caps = {county.code: money.county_money_view(county.code, today.year)
                for county in place_queries.list_areas_in_scope(current_scope(), AreaLevel.COUNTY)}
    return render_template("projects.html", projects=projects, caps=caps, year=today.year)


def _project_page(project, typed: dict | None = None, error: str | None = None, status: int = 200):
    today = today_in_china()
    view = money.project_view(project, today)
    months = [m for m in months_between(project.starts_on, project.ends_on) if m <= today.replace(day=1)]
    groups = in_page_language(GROUP_NAMES_ZH, GROUP_NAMES_EN)
    return render_template("project.html", project=view, groups=[(g, groups[g]) for g in Group],
                           months=[m.strftime("%Y-%m") for m in reversed(months)], typed=typed or {}, error=error,
                           can_report=current_user().role in REPORTERS), status


@bp.get("/projects/<int:project_id>")
@login_required
def project_detail(project_id: int):
    return _project_page(money.project_in_scope(current_scope(), project_id))


@bp.post("/projects/<int:project_id>/spending")
@login_required
def project_spending(project_id: int):
    project = money.project_in_scope(current_scope(), project_id)
    form = request.form
    typed = {key: value for key, value in form.items() if key != "csrf_token"}
    try:
        try:
            month = date.fromisoformat(f"{form.get('month', '')}-01")
        except ValueError:
            raise InvalidValue(field="month", reason="请选择月份 / choose the month") from None
        amounts = {}
        for line in project.lines:
            text = form.get(f"line-{line.id}", "").strip()
            if text:
                try:
                    amounts[line.id] = parse_yuan(text)
                except MoneyError as error:
                    raise InvalidValue(field=line.name, reason=f"{line.name}：{error.reason}") from None
        money.report_spending(current_user(), project, month, amounts, form.get("note", ""), today_in_china())
    except LastmeterError as error:
        return _project_page(project, typed, refusal(error), 400)
    flash(_("The spending of %(month)s is saved.", month=month.strftime("%Y-%m")), "ok")
    return redirect(url_for("web.project_detail", project_id=project.id))


@bp.get("/projects/<int:project_id>/a1")
@login_required
def project_a1(project_id: int):
    """Attachment A1 (项目申报书) as printed: the budget part, filled from the project; the rest for the operator."""
    project = money.project_in_scope(current_scope(), project_id)
    table = money.a1_of(project)
    return render_template("project_a1.html", project=money.project_view(project, today_in_china()),
                           station_names=money.station_names(project), sources=table.sources,
                           sources_total=format_wan(table.sources_total), groups=table.groups,
                           lines_total=format_wan(table.lines_total), notes=A1_NOTES)


@bp.get("/projects/<int:project_id>/a1.xlsx")
@login_required
def project_a1_xlsx(project_id: int):
    project = money.project_in_scope(current_scope(), project_id)
    out = BytesIO()
    money.write_a1_xlsx(project, out)
    out.seek(0)
    audit.record("project.export_a1", "project", str(project.id))
    return send_file(out, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=f"项目申报书-{project.id}.xlsx")


# --- keeping a project (county supervisors, admins) ---------------------------------------------------------------

KEEPERS = money.OFFICE_ROLES  # who keeps projects: county supervisors and admins
BLANK_LINES, BLANK_SERVICES = 8, 3


def _keeper_only() -> None:
    if current_user().role not in KEEPERS:
        raise NotFound(what="页面", key=request.path)


def _form_values(project) -> dict:
    """A stored project as the form's fields."""
    values = {"county": project.county_code, "year": str(project.year), "name": project.name,
              "operator": project.operator, "contract_no": project.contract_no,
              "starts_on": project.starts_on.isoformat(), "ends_on": project.ends_on.isoformat(),
              "amount_yuan": format_yuan(project.amount).replace(",", ""),
              "stations": [s.station_code for s in project.stations]}
    for source in project.sources:
        values[f"source-{source.source.value}"] = format_yuan(source.amount).replace(",", "")
    for n, line in enumerate(project.lines):
        values.update({f"line-{n}-group": line.group.value, f"line-{n}-name": line.name,
                       f"line-{n}-yuan": format_yuan(line.amount).replace(",", "")})
    for n, item in enumerate(project.services):
        values.update({f"service-{n}-kind": item.kind, f"service-{n}-name": item.name})
    return values


def _typed_values() -> dict:
    values = {key: value for key, value in request.form.items() if key not in ("csrf_token", "stations")}
    values["stations"] = request.form.getlist("stations")
    return values


def _input_from(values: dict) -> money.ProjectInput:
    def yuan(key: str, label: str, blank_is_zero: bool = False) -> int:
        text = str(values.get(key, "")).strip()
        if not text and blank_is_zero:
            return 0
        try:
            return parse_yuan(text)
        except MoneyError as error:
            raise InvalidValue(field=key, reason=f"{label}：{error.reason}") from None

    def day(key: str, label: str) -> date:
        parsed = parse_day(str(values.get(key, "")), key)
        if parsed is None:
            raise InvalidValue(field=key, reason=f"请填写{label} / {key} is required")
        return parsed

    try:
        year = int(values.get("year", ""))
    except ValueError:
        raise InvalidValue(field="year", reason="年度应为四位年份 / the year has four digits") from None
    lines, n = [], 0
    while f"line-{n}-group" in values:
        name = str(values.get(f"line-{n}-name", "")).strip()
        if name or str(values.get(f"line-{n}-yuan", "")).strip():
            group = values[f"line-{n}-group"]
            if group not in Group._value2member_map_:
                raise InvalidValue(field="group", reason="请选择类别 / choose the group")
            lines.append(money.Line(Group(group), name, yuan(f"line-{n}-yuan", name or "支出项目")))
        n += 1
    services, n = [], 0
    while f"service-{n}-kind" in values:
        name = str(values.get(f"service-{n}-name", "")).strip()
        if name:
            services.append(("brand" if values[f"service-{n}-kind"] == "brand" else "other", name))
        n += 1
    texts = {key: " ".join(str(values.get(key, "")).split()) for key in ("name", "operator", "contract_no")}
    for key, label in (("name", "项目名称"), ("operator", "承接机构")):
        if not texts[key]:
            raise InvalidValue(field=key, reason=f"请填写{label} / {key} is required")
    return money.ProjectInput(
        county_code=str(values.get("county", "")), year=year, name=texts["name"][:200],
        operator=texts["operator"][:200], contract_no=texts["contract_no"][:60],
        starts_on=day("starts_on", "开始日期"), ends_on=day("ends_on", "结束日期"),
        amount=yuan("amount_yuan", "合同金额"), stations=list(values.get("stations", [])),
        sources={source: amount for source in Source
                 if (amount := yuan(f"source-{source.value}", SOURCE_NAMES_ZH[source], blank_is_zero=True))},
        lines=lines, services=services)


def _edit_page(values: dict, project=None, error: str | None = None, status: int = 200):
    scope = current_scope()
    counties = [a for a in place_queries.list_areas_in_scope(scope, AreaLevel.COUNTY)]
    stations = place_queries.list_stations_in_scope(scope)
    lines = max(n for n in [-1] + [int(k.split("-")[1]) for k in values if k.startswith("line-")]) + 1
    services = max(n for n in [-1] + [int(k.split("-")[1]) for k in values if k.startswith("service-")]) + 1
    groups = in_page_language(GROUP_NAMES_ZH, GROUP_NAMES_EN)
    return render_template("project_edit.html", values=values, project=project, error=error, counties=counties,
                           stations=stations, groups=[(g.value, groups[g]) for g in Group],
                           sources=[(s.value, SOURCE_NAMES_ZH[s]) for s in Source],
                           line_rows=range(lines + BLANK_LINES), service_rows=range(services + BLANK_SERVICES)), status


@bp.get("/projects/new")
@login_required
def project_new():
    _keeper_only()
    year = today_in_china().year
    return _edit_page({"year": str(year), "starts_on": f"{year}-01-01", "ends_on": f"{year}-12-31", "stations": []})


def _save(project_id: int | None = None):
    """Create (no ``project_id``) or update a project from the form; a refusal shows the form again as typed."""
    _keeper_only()
    project = money.project_in_scope(current_scope(), project_id) if project_id else None
    values = _typed_values()
    try:
        data = _input_from(values)
        if project is None:
            project = money.create_project(current_user(), current_scope(), data)
        else:
            money.update_project(current_user(), current_scope(), project, data)
    except LastmeterError as error:
        db.session.rollback()  # nothing of a refused form is kept
        project = money.project_in_scope(current_scope(), project_id) if project_id else None
        return _edit_page(values, project, refusal(error) or _("The project could not be saved."), 400)
    flash(_("The project is saved."), "ok")
    return redirect(url_for("web.project_detail", project_id=project.id))


@bp.post("/projects/new")
@login_required
def project_create():
    return _save()


@bp.get("/projects/<int:project_id>/edit")
@login_required
def project_edit(project_id: int):
    _keeper_only()
    project = money.project_in_scope(current_scope(), project_id)
    return _edit_page(_form_values(project), project)


@bp.post("/projects/<int:project_id>/edit")
@login_required
def project_update(project_id: int):
    return _save(project_id)


@bp.post("/counties/<county_code>/money")
@login_required
def county_money(county_code: str):
    """Record a county's year for §4.5: its social-assistance spending and A1's tolerance (the city's admins)."""
    if current_user().role != Role.ADMIN:
        raise NotFound(what="页面", key=request.path)
    money.county_in_scope(current_scope(), county_code)  # another county's: not there
    form = request.form
    try:
        try:
            year = int(form.get("year", ""))
        except ValueError:
            raise InvalidValue(field="year", reason="年度应为四位年份 / the year has four digits") from None
        spending_text = form.get("social_assistance_yuan", "").strip()
        try:
            spending = parse_yuan(spending_text) if spending_text else None
        except MoneyError as error:
            raise InvalidValue(field="social_assistance_yuan", reason=error.reason) from None
        tolerance_text = form.get("tolerance_points", "").strip()
        tolerance = None
        if tolerance_text:
            try:
                tolerance = parse_yuan(tolerance_text)  # points with two decimals read exactly, as hundredths
            except MoneyError:
                raise InvalidValue(field="tolerance_points", reason="容差应为 0 至 5 的数 / tolerance between 0 "
                                                                     "and 5") from None
        if spending is None and tolerance is None:
            raise InvalidValue(field="social_assistance_yuan", reason="请填写社会救助支出 / give the spending")
        money.set_county_year(current_user(), current_scope(), county_code, year, spending, tolerance)
    except LastmeterError as error:
        db.session.rollback()
        flash(refusal(error) or _("Not saved: you may not change this."), "error")
        return redirect(url_for("web.project_list"))
    flash(_("Saved."), "ok")
    return redirect(url_for("web.project_list"))
