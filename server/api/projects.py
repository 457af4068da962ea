"""Purchased-service projects and their money (docs/money.md).

  GET  /api/v1/projects?year=                     the projects in the caller's scope, each with its A1 budget, checks,
                                                  spending to date and months without a report
  POST /api/v1/projects                           (county, admin) a new project with its stations and A1 budget
  GET  /api/v1/projects/<id>
  PUT  /api/v1/projects/<id>                      (county, admin) the whole project again (lines kept by group and name
                                                  keep their spending)
  POST /api/v1/projects/import                    (county, admin) projects from a CSV/XLSX, one row per budget line
                                                  (docs/money.md, "Importing projects"); all or nothing
  POST /api/v1/projects/spending/import           (station head, county, admin) monthly spending from a CSV/XLSX,
                                                  one row per project, month and line; all or nothing
  PUT  /api/v1/projects/<id>/spending/<YYYY-MM>   (station head of a covered station, county, admin) the month's
                                                  spending per budget line, replacing that month's report
  GET  /api/v1/counties/<code>/money/<year>       the county's year for §4.5: social-assistance spending, the cap
  PUT  /api/v1/counties/<code>/money/<year>       (admin: the spending and the tolerance; the county only reads them)

Amounts are written as yuan strings with at most two decimals (``"12345.67"``) and answered as
``{"fen": 1234567, "yuan": "12,345.67"}``: no floating point anywhere.
"""
from __future__ import annotations

from datetime import date

from flask import request
from marshmallow import Schema, ValidationError, fields, validate

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import load, load_args
from server.api.uploads import uploaded_table
from server.domain.access import Role
from server.domain.clock import FIRST_DAY, LAST_DAY, today_in_china
from server.domain.money import Group, MoneyError, Source, parse_yuan
from server.errors import InvalidValue
from server.services import accounts
from server.services import money as service

YEARS = validate.Range(min=FIRST_DAY.year, max=LAST_DAY.year)


class Yuan(fields.String):
    """An amount in yuan, as a string (or an integer) with at most two decimals; loads as fen."""

    def __init__(self, **kwargs) -> None:
        super().__init__(metadata={"description": "yuan, at most two decimals, e.g. \"12345.67\"",
                                   "example": "12345.67"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError("应为元，如 \"12345.67\" / yuan as a string, such as \"12345.67\"")
        try:
            return parse_yuan(value)
        except MoneyError as error:
            raise ValidationError(error.reason) from None


class LineSchema(Schema):
    group = fields.String(required=True, validate=validate.OneOf([g.value for g in Group]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_yuan = Yuan(required=True)


class ServiceSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["brand", "other"]),
                         metadata={"description": "A2's \"2 + N\": brand (品牌服务项目) or other (自选项目)"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ProjectBodySchema(Schema):
    county = fields.String(required=True, validate=validate.Length(max=12))
    year = fields.Integer(required=True, validate=YEARS)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    operator = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contract_no = fields.String(load_default="", validate=validate.Length(max=60))
    starts_on = fields.Date(required=True, validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))
    ends_on = fields.Date(required=True, validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))
    amount_yuan = Yuan(required=True)
    stations = fields.List(fields.String(validate=validate.Length(max=12)), required=True,
                           validate=validate.Length(min=1, max=50))
    sources = fields.Dict(keys=fields.String(validate=validate.OneOf([s.value for s in Source])), values=Yuan(),
                          load_default=dict)
    lines = fields.List(fields.Nested(LineSchema), load_default=list, validate=validate.Length(max=service.MAX_LINES))
    services = fields.List(fields.Nested(ServiceSchema), load_default=list, validate=validate.Length(max=30))


class SpendingLineSchema(Schema):
    line_id = fields.Integer(required=True)
    amount_yuan = Yuan(required=True)


class SpendingBodySchema(Schema):
    lines = fields.List(fields.Nested(SpendingLineSchema), required=True, validate=validate.Length(max=500))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CountyMoneySchema(Schema):
    social_assistance_yuan = Yuan(load_default=None, allow_none=True)
    tolerance_points = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=5),
                                    metadata={"description": "percentage points A1's 70 % / 30 % may be exceeded "
                                                             "by as a notice (stored to 0.01)"})


class ProjectListArgsSchema(Schema):
    year = fields.Integer(load_default=None, validate=YEARS)


# --- answers (for the OpenAPI document) ---

class YuanAmountSchema(Schema):
    fen = fields.Integer(required=True)
    yuan = fields.String(required=True, metadata={"description": "e.g. \"12,345.67\""})


class _ProjectLineSchema(Schema):
    id = fields.Integer(required=True)
    group = fields.String(required=True, metadata={"description": "A1's group: I–V"})
    group_name = fields.String(required=True)
    group_name_en = fields.String(required=True)
    name = fields.String(required=True)
    budget = fields.Nested(YuanAmountSchema, required=True)
    spent = fields.Nested(YuanAmountSchema, required=True)
    remaining = fields.Nested(YuanAmountSchema, required=True)
    over_budget = fields.Boolean(required=True)


class _ProjectSourceSchema(Schema):
    source = fields.String(required=True)
    name = fields.String(required=True)
    fen = fields.Integer(required=True)
    yuan = fields.String(required=True)


class _CheckSchema(Schema):
    code = fields.String(required=True)
    clause = fields.String(required=True)
    severity = fields.String(required=True, metadata={"description": "breach or notice"})
    message = fields.String(required=True)
    message_en = fields.String(required=True)


class _CountyCapSchema(Schema):
    social_assistance = fields.Nested(YuanAmountSchema, required=True)
    purchases = fields.Nested(YuanAmountSchema, required=True)
    cap = fields.Nested(YuanAmountSchema, required=True)
    margin = fields.Nested(YuanAmountSchema, required=True)
    within = fields.Boolean(required=True)
    recorded_by = fields.String(required=True, allow_none=True)
    recorded_at = fields.String(required=True, allow_none=True)


class _CountyRefSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)


class ProjectSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    operator = fields.String(required=True)
    contract_no = fields.String(required=True)
    county = fields.Nested(_CountyRefSchema, required=True)
    year = fields.Integer(required=True)
    starts_on = fields.String(required=True)
    ends_on = fields.String(required=True)
    amount = fields.Nested(YuanAmountSchema, required=True)
    stations = fields.List(fields.String(), required=True)
    services = fields.List(fields.Nested(ServiceSchema), required=True)
    sources = fields.List(fields.Nested(_ProjectSourceSchema), required=True)
    lines = fields.List(fields.Nested(_ProjectLineSchema), required=True)
    spent = fields.Nested(YuanAmountSchema, required=True)
    checks = fields.List(fields.Nested(_CheckSchema), required=True)
    tolerance_points = fields.Float(required=True)
    months_without_report = fields.List(fields.String(), required=True)
    county_cap = fields.Nested(_CountyCapSchema, required=True, allow_none=True)


class ProjectImportResultSchema(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)


class SpendingImportResultSchema(Schema):
    months = fields.Integer(required=True, metadata={"description": "(project, month) reports replaced"})
    lines = fields.Integer(required=True)


class ProjectListSchema(Schema):
    projects = fields.List(fields.Nested(ProjectSchema), required=True)


class CountyMoneyAnswerSchema(Schema):
    county = fields.String(required=True)
    county_name = fields.String(required=True, allow_none=True)
    year = fields.Integer(required=True)
    social_assistance = fields.Nested(YuanAmountSchema, required=True, allow_none=True)
    tolerance_points = fields.Float(required=True)
    purchases = fields.Nested(YuanAmountSchema, required=True)
    cap = fields.Nested(YuanAmountSchema, required=True, allow_none=True)
    margin = fields.Nested(YuanAmountSchema, required=True, allow_none=True)
    within = fields.Boolean(required=True, allow_none=True)
    recorded_by = fields.String(required=True, allow_none=True)
    recorded_at = fields.String(required=True, allow_none=True)


def _text(body: dict, key: str) -> str:
    value = " ".join(body[key].split())
    if not value:
        raise InvalidValue(field=key, reason="不能为空 / must not be blank")
    return value


def _input(body: dict) -> service.ProjectInput:
    return service.ProjectInput(
        county_code=body["county"], year=body["year"], name=_text(body, "name"), operator=_text(body, "operator"),
        contract_no=body["contract_no"].strip(), starts_on=body["starts_on"], ends_on=body["ends_on"],
        amount=body["amount_yuan"], stations=body["stations"],
        sources={Source(key): value for key, value in body["sources"].items()},
        lines=[service.Line(Group(line["group"]), line["name"], line["amount_yuan"]) for line in body["lines"]],
        services=[(item["kind"], item["name"]) for item in body["services"]])


def _month(text: str) -> date:
    try:
        month = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise InvalidValue(field="month", reason="应为 YYYY-MM / a month is YYYY-MM") from None
    if not FIRST_DAY <= month <= LAST_DAY:
        raise InvalidValue(field="month", reason="月份超出范围 / month out of range")
    return month


@bp.get("/projects")
@authenticated(Role.ADMIN, Role.COUNTY, Role.STATION)
def list_projects():
    args = load_args(ProjectListArgsSchema(), request.args)
    scope = accounts.scope_of(current_user())
    today = today_in_china()
    return {"projects": [service.project_view(p, today)
                         for p in service.projects_in_scope(scope, args["year"])]}


@bp.post("/projects")
@authenticated(Role.ADMIN, Role.COUNTY)
def create_project():
    body = load(ProjectBodySchema(), request.get_json(silent=True))
    project = service.create_project(current_user(), accounts.scope_of(current_user()), _input(body))
    return service.project_view(project, today_in_china()), 201


@bp.post("/projects/import")
@authenticated(Role.ADMIN, Role.COUNTY)
def import_projects():
    table = uploaded_table(())
    summary = service.import_projects(table, accounts.scope_of(current_user()), current_user())
    return {"created": summary.created, "updated": summary.updated}


@bp.post("/projects/spending/import")
@authenticated(Role.ADMIN, Role.COUNTY, Role.STATION)
def import_spending():
    table = uploaded_table(())
    summary = service.import_spending(table, accounts.scope_of(current_user()), current_user(), today_in_china())
    return {"months": summary.months, "lines": summary.lines}


@bp.get("/projects/<int:project_id>")
@authenticated(Role.ADMIN, Role.COUNTY, Role.STATION)
def get_project(project_id: int):
    project = service.project_in_scope(accounts.scope_of(current_user()), project_id)
    return service.project_view(project, today_in_china())


@bp.put("/projects/<int:project_id>")
@authenticated(Role.ADMIN, Role.COUNTY)
def update_project(project_id: int):
    scope = accounts.scope_of(current_user())
    project = service.project_in_scope(scope, project_id)
    body = load(ProjectBodySchema(), request.get_json(silent=True))
    service.update_project(current_user(), scope, project, _input(body))
    return service.project_view(project, today_in_china())


@bp.put("/projects/<int:project_id>/spending/<month>")
@authenticated(Role.ADMIN, Role.COUNTY, Role.STATION)
def report_spending(project_id: int, month: str):
    project = service.project_in_scope(accounts.scope_of(current_user()), project_id)
    body = load(SpendingBodySchema(), request.get_json(silent=True))
    amounts: dict[int, int] = {}
    for line in body["lines"]:
        amounts[line["line_id"]] = amounts.get(line["line_id"], 0) + line["amount_yuan"]
    today = today_in_china()
    service.report_spending(current_user(), project, _month(month), amounts, body["note"], today)
    return service.project_view(project, today)


@bp.get("/counties/<county_code>/money/<int:year>")
@authenticated(Role.ADMIN, Role.COUNTY)
def get_county_money(county_code: str, year: int):
    service.county_in_scope(accounts.scope_of(current_user()), county_code)
    return service.county_money_view(county_code, year)


@bp.put("/counties/<county_code>/money/<int:year>")
@authenticated(Role.ADMIN)
def set_county_money(county_code: str, year: int):
    service.county_in_scope(accounts.scope_of(current_user()), county_code)
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise InvalidValue(field="year", reason="年份超出范围 / year out of range")
    body = load(CountyMoneySchema(), request.get_json(silent=True))
    points = body["tolerance_points"]
    if body["social_assistance_yuan"] is None and points is None:
        raise InvalidValue(field="social_assistance_yuan", reason="请填写社会救助支出或容差 / give the spending or the "
                                                                  "tolerance")
    service.set_county_year(current_user(), accounts.scope_of(current_user()), county_code, year,
                            body["social_assistance_yuan"], None if points is None else round(points * 100))
    return service.county_money_view(county_code, year)
