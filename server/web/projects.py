"""Projects and their money on pages (docs/money.md): the projects in scope with their checks and the county's
§4.5 cap, a project's A1 table with spending to date, and the monthly spending report."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from server.domain.access import Role
from server.domain.clock import today_in_china
from server.domain.money import (A1_NOTES, GROUP_NAMES_EN, GROUP_NAMES_ZH, Group, MoneyError, format_wan, months_between,
                                 parse_yuan)
from server.errors import InvalidValue, LastmeterError
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
    if current_user().role in (Role.ADMIN, Role.COUNTY):
        caps = {p["county"]["code"]: money.county_money_view(p["county"]["code"], today.year) for p in projects}
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
