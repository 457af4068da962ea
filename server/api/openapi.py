"""``GET /api/v1/openapi.json``: the REST API's OpenAPI 3 document (public; it describes, it holds no data).

Generated with apispec (the only module that imports it) from the marshmallow schemas the views load and dump
(``server/api/schemas.py``); what the views build by hand is described here by small schemas of its own. The
operation table below follows the route table of ``server/api/__init__.py``; a test compares the two, so a new
route without a line here fails the suite. Errors are the one JSON shape of ``LastmeterError.to_dict()``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify
from marshmallow import Schema, fields, validate

from server.api import bp, quality, schemas
from server.api.alerts import AlertArgsSchema, AlertPageSchema
from server.api.changes import ChangesArgsSchema, ChangesPageSchema
from server.api.indicators import IndicatorArgsSchema
from server.api.projects import (CountyMoneyAnswerSchema, CountyMoneySchema, ProjectBodySchema, ProjectImportResultSchema,
                                 ProjectListArgsSchema, ProjectListSchema, ProjectSchema, SpendingBodySchema,
                                 SpendingImportResultSchema)
from server.api.volunteers import VolunteerArgsSchema, VolunteerLedgerSchema
from server.api.webhooks import (DeliveryArgsSchema, DeliveryPageSchema, DeliverySchema, PauseRequestSchema,
                                 SubscriptionListSchema, SubscriptionRequestSchema, SubscriptionSchema)
from server.domain.cases import CaseCategory
from server.domain.review import ExclusionReason

API_VERSION = "1"
ERROR_CODE = r"^[1-5][0-9]{2}\.[0-9]+$"


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi_spec())


# --- shapes the views build by hand ---------------------------------------------------------

class ErrorSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(ERROR_CODE),
                         metadata={"description": "stable code '<http status>.<n>' (server/errors.py)"})
    message = fields.String(required=True, metadata={"description": "Simplified Chinese"})
    message_en = fields.String(required=True)
    details = fields.Dict(required=True)


class FormListSchema(Schema):
    forms = fields.List(fields.Nested(schemas.FormSchema), required=True)


class CollectSettingsSchema(Schema):
    username = fields.String(required=True)
    server_url = fields.String(required=True)
    settings = fields.Dict(required=True, metadata={"description": "ODK Collect settings JSON"})
    qr_payload = fields.String(required=True, metadata={"description": "what the settings QR code holds"})


class CaseDetailSchema(schemas.CaseSchema):
    members = fields.List(fields.Nested(schemas.CaseSchema), required=True)
    timeline = fields.List(fields.Nested(schemas.CaseEventSchema), required=True)


class CasePageSchema(Schema):
    cases = fields.List(fields.Nested(schemas.CaseSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ErasureResultSchema(Schema):
    case_ids = fields.List(fields.String(), required=True, metadata={"description": "the case and its members"})
    submissions = fields.Integer(required=True)
    files = fields.Integer(required=True)


class CaseImportResultSchema(Schema):
    created = fields.Integer(required=True)


class OverdueRowSchema(Schema):
    station = fields.String(required=True)
    worker = fields.String(allow_none=True)
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)


class OverdueSummarySchema(Schema):
    as_of = fields.Date(required=True)
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    by_station = fields.List(fields.Nested(OverdueRowSchema(exclude=("worker",))), required=True)
    by_worker = fields.List(fields.Nested(OverdueRowSchema), required=True)


class VisitIntervalsSchema(Schema):
    intervals = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class VisitIntervalResultSchema(Schema):
    category = fields.String(required=True)
    days = fields.Integer(required=True)
    rescheduled = fields.Integer(required=True)


RATE = validate.Range(min=0, max=1)  # every rate of docs/indicators.md; null when its denominator is 0


class RatioSchema(Schema):
    numerator = fields.Integer(required=True)
    denominator = fields.Integer(required=True)
    rate = fields.Float(required=True, allow_none=True, validate=RATE)


class CoverageSchema(RatioSchema):
    target = fields.Float(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["met", "not_met", "no_cases"]))
    by_category = fields.Dict(keys=fields.String(), values=fields.Nested(RatioSchema), required=True)


class ExcludedResponsesSchema(Schema):
    responses = fields.Integer(required=True, metadata={"description": "left out of this rate in the period"})
    by_reason = fields.Dict(keys=fields.String(validate=validate.OneOf([r.value for r in ExclusionReason])),
                            values=fields.Integer(), required=True)


class SatisfactionSchema(Schema):
    satisfied = fields.Integer(required=True)
    responses = fields.Integer(required=True)
    rate = fields.Float(required=True, allow_none=True, validate=RATE)
    ci_low = fields.Float(required=True, allow_none=True, validate=RATE)
    ci_high = fields.Float(required=True, allow_none=True, validate=RATE)
    target = fields.Float(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["met", "not_met", "insufficient"]))
    min_responses = fields.Integer(required=True)
    excluded = fields.Nested(ExcludedResponsesSchema, required=True,
                             metadata={"description": "resident answers excluded by a county supervisor or admin"})


class StationCoverageSchema(Schema):
    stations = fields.Integer(required=True)
    townships = fields.Integer(required=True)
    rate = fields.Float(required=True, allow_none=True, validate=RATE)
    target = fields.Float(required=True)


class AreaRefSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)


class PeriodSchema(Schema):
    date_from = fields.Date(required=True, data_key="from")
    date_to = fields.Date(required=True, data_key="to")


class AreaIndicatorsSchema(Schema):
    area = fields.Nested(AreaRefSchema, required=True)
    period = fields.Nested(PeriodSchema, required=True)
    coverage = fields.Nested(CoverageSchema, required=True)
    satisfaction = fields.Nested(SatisfactionSchema, required=True)
    station_coverage = fields.Nested(StationCoverageSchema, metadata={"description": "absent for a village"})


class IndicatorsSchema(AreaIndicatorsSchema):
    children = fields.List(fields.Nested(AreaIndicatorsSchema), required=True)


class ComplianceCheckSchema(Schema):
    rule = fields.String(required=True)
    clause = fields.String(required=True)
    passed = fields.Boolean(required=True, allow_none=True, metadata={"description": "null: not recorded"})
    detail = fields.String(required=True, allow_none=True)


class ComplianceSchema(Schema):
    station = fields.String(required=True)
    name = fields.String(required=True)
    compliant = fields.Boolean(required=True)
    checks = fields.List(fields.Nested(ComplianceCheckSchema), required=True)


class StationImportResultSchema(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class StaffImportResultSchema(StationImportResultSchema):
    removed = fields.Integer(required=True)


class SubmissionPageSchema(Schema):
    submissions = fields.List(fields.Nested(schemas.SubmissionSummarySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class AuditPageSchema(Schema):
    events = fields.List(fields.Nested(schemas.AuditEventSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


# --- the operations -------------------------------------------------------------------------

BINARY = {"type": "string", "format": "binary"}
EXPORT_TYPES = {  # format=csv and media: a zip (CSV files in ODK Central's layout; the photos)
    "application/zip": {"schema": BINARY},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": BINARY},
    "application/geo+json": {"schema": {"type": "object", "required": ["type", "features"],
                                        "properties": {"type": {"enum": ["FeatureCollection"]},
                                                       "features": {"type": "array"}}}},
}
PUBLIC: list = []


def _path(name: str, description: str, **schema: Any) -> dict:
    return {"in": "path", "name": name, "required": True, "description": description,
            "schema": {"type": "string", **schema}}


def _upload(description: str) -> dict:
    """A request body of one multipart field ``file``."""
    return {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {"file": {**BINARY, "description": description}}}}}}


TABLE_FILE = _upload("a CSV (UTF-8 or GB18030) or XLSX file")
INSTANCE_ID = _path("instance_id", "the instanceID (uuid:…)")
SUBSCRIPTION_ID = _path("subscription_id", "the subscription", type="integer", minimum=1)
PROJECT_ID = _path("project_id", "the project", type="integer", minimum=1)
COUNTY = _path("county_code", "the county's area code")
COUNTY_YEAR = [COUNTY, _path("year", "the budget year", type="integer")]


def _body(schema: Any) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _json(schema: Any, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_DESCRIPTIONS = {
    400: "bad request: arguments, body or file (codes 400.x)", 401: "no valid bearer token (401.x)",
    403: "the caller's role may not do this (403.1)", 404: "not there, or outside the caller's scope (404.1)",
    409: "conflicts with what is stored (409.x)", 413: "upload larger than the server accepts (413.0)",
    429: "too many failed sign-ins: wait Retry-After seconds (429.1)",
}


def _errors(*statuses: int) -> dict[str, dict]:
    return {str(s): _json("Error", ERROR_DESCRIPTIONS[s]) for s in statuses}


SIGNED_IN = (400, 401)
SCOPED = (400, 401, 404)

OPERATIONS: dict[str, dict[str, dict]] = {
    "/openapi.json": {"get": {
        "summary": "This document", "security": PUBLIC, "tags": ["meta"],
        "responses": {"200": _json({"type": "object"}, "the OpenAPI 3 document")}}},
    "/sessions": {"post": {
        "summary": "Sign in: a bearer token for 12 hours", "security": PUBLIC, "tags": ["sessions"],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.SessionRequestSchema}}},
        "responses": {"201": _json(schemas.SessionSchema, "signed in"), **_errors(400, 401, 429)}}},
    "/sessions/current": {"delete": {
        "summary": "Sign out (revoke this token)", "tags": ["sessions"],
        "responses": {"204": {"description": "signed out"}, **_errors(401)}}},
    "/forms": {
        "get": {"summary": "Published forms and their versions", "tags": ["forms"],
                "responses": {"200": _json(FormListSchema, "forms"), **_errors(401)}},
        "post": {"summary": "Publish an XLSForm (admin)", "tags": ["forms"],
                 "requestBody": _upload("the XLSForm (.xlsx)"),
                 "responses": {"200": _json(schemas.PublishResultSchema, "unchanged: this version is already published"),
                               "201": _json(schemas.PublishResultSchema, "a new form or a new version"),
                               **_errors(400, 401, 403, 409, 413)}}},
    "/users/{username}/collect-settings": {"get": {
        "summary": "A worker's ODK Collect settings and QR payload", "tags": ["users"],
        "parameters": [_path("username", "the worker's username")],
        "responses": {"200": _json(CollectSettingsSchema, "settings"), **_errors(401, 403, 404)}}},
    "/users/{username}/collect-token": {
        "post": {"summary": "Issue a new Collect token (the old one stops working)", "tags": ["users"],
                 "parameters": [_path("username", "the worker's username")],
                 "responses": {"201": _json(CollectSettingsSchema, "the new settings"), **_errors(401, 403, 404)}},
        "delete": {"summary": "Revoke the Collect token (a lost phone)", "tags": ["users"],
                   "parameters": [_path("username", "the worker's username")],
                   "responses": {"204": {"description": "revoked"}, **_errors(401, 403, 404)}}},
    "/cases": {"get": {
        "summary": "Cases in scope, by next due date; keyset pages", "tags": ["cases"],
        "parameters": [{"in": "query", "schema": schemas.CaseListArgsSchema}],
        "responses": {"200": _json(CasePageSchema, "a page of cases"), **_errors(*SIGNED_IN)}}},
    "/cases/{case_id}": {"get": {
        "summary": "A case with its household members and timeline", "tags": ["cases"],
        "parameters": [_path("case_id", "the case (entity) id")],
        "responses": {"200": _json(CaseDetailSchema, "the case"), **_errors(401, 404)}}},
    "/cases/{case_id}/close": {"post": {
        "summary": "Close a case: the service ended, for a reason of the list (admin, county, station)",
        "tags": ["cases"], "parameters": [_path("case_id", "the case (entity) id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.CaseCloseRequestSchema}}},
        "responses": {"200": _json(schemas.CaseSchema, "closed"), **_errors(400, 401, 403, 404, 409)}}},
    "/cases/{case_id}/reopen": {"post": {
        "summary": "Reopen a closed case (admin, county, station)", "tags": ["cases"],
        "parameters": [_path("case_id", "the case (entity) id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.CaseNoteRequestSchema}}},
        "responses": {"200": _json(schemas.CaseSchema, "reopened"), **_errors(400, 401, 403, 404, 409)}}},
    "/cases/{case_id}/close-proposal/dismiss": {"post": {
        "summary": "Do not confirm a worker's report that the service ended; the case stays open (admin, county, "
                   "station)", "tags": ["cases"],
        "parameters": [_path("case_id", "the case (entity) id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.CaseNoteRequestSchema}}},
        "responses": {"200": _json(schemas.CaseSchema, "dismissed"), **_errors(400, 401, 403, 404, 409)}}},
    "/cases/{case_id}/erasure": {"post": {
        "summary": "Erase a person's data on request (admin); what the indicators count is kept", "tags": ["cases"],
        "parameters": [_path("case_id", "the case (entity) id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.ErasureRequestSchema}}},
        "responses": {"200": _json(ErasureResultSchema, "erased (again: what arrived since)"),
                      **_errors(400, 401, 403, 404)}}},
    "/cases/import": {"post": {
        "summary": "Import a register of people served, all or nothing", "tags": ["cases"],
        "requestBody": TABLE_FILE,
        "responses": {"201": _json(CaseImportResultSchema, "imported"), **_errors(400, 401, 403, 413)}}},
    "/overdue": {"get": {
        "summary": "Open and overdue cases per station and per worker", "tags": ["cases"],
        "responses": {"200": _json(OverdueSummarySchema, "counts"), **_errors(401, 403)}}},
    "/visit-intervals": {"get": {
        "summary": "Days between visits per category", "tags": ["cases"],
        "responses": {"200": _json(VisitIntervalsSchema, "intervals"), **_errors(401)}}},
    "/visit-intervals/{category}": {"put": {
        "summary": "Change a category's interval (admin); open cases are rescheduled", "tags": ["cases"],
        "parameters": [_path("category", "a case category", enum=[c.value for c in CaseCategory])],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.VisitIntervalRequestSchema}}},
        "responses": {"200": _json(VisitIntervalResultSchema, "changed"), **_errors(400, 401, 403)}}},
    "/indicators": {"get": {
        "summary": "Coverage, satisfaction and station coverage of an area and each area below it",
        "tags": ["indicators"], "parameters": [{"in": "query", "schema": IndicatorArgsSchema}],
        "responses": {"200": _json(IndicatorsSchema, "indicators"), **_errors(*SCOPED)}}},
    "/stations/{code}/compliance": {"get": {
        "summary": "The station standard, rule by rule with its clause", "tags": ["indicators"],
        "parameters": [_path("code", "the station's township code")],
        "responses": {"200": _json(ComplianceSchema, "checks"), **_errors(401, 404)}}},
    "/stations/{code}/plaque-link": {"post": {
        "summary": "Revoke a station plaque's link and issue a new one (admin, county, station head)",
        "tags": ["stations"], "parameters": [_path("code", "the station's township code")],
        "requestBody": {"required": False,
                        "content": {"application/json": {"schema": schemas.PlaqueLinkRequestSchema}}},
        "responses": {"201": _json(schemas.PlaqueLinkSchema, "the new link"), **_errors(400, 401, 403, 404)}}},
    "/stations/import": {"post": {
        "summary": "Create or update station records from a file (admin, county)", "tags": ["stations"],
        "requestBody": TABLE_FILE,
        "responses": {"200": _json(StationImportResultSchema, "imported"), **_errors(400, 401, 403, 413)}}},
    "/stations/staff/import": {"post": {
        "summary": "Make a file the staff list of each station it names (admin, county)", "tags": ["stations"],
        "requestBody": TABLE_FILE,
        "responses": {"200": _json(StaffImportResultSchema, "imported"), **_errors(400, 401, 403, 413)}}},
    "/submissions": {"get": {
        "summary": "Submissions in scope, newest first; keyset pages", "tags": ["submissions"],
        "parameters": [{"in": "query", "schema": schemas.SubmissionListArgsSchema}],
        "responses": {"200": _json(SubmissionPageSchema, "a page of submissions"), **_errors(*SIGNED_IN)}}},
    "/submissions/export": {"get": {
        "summary": "Streamed export with the list's filters (csv, xlsx and media need a form)", "tags": ["submissions"],
        "parameters": [{"in": "query", "schema": schemas.SubmissionExportArgsSchema(exclude=("limit", "cursor"))}],
        "responses": {"200": {"description": "the file, streamed",
                              "content": EXPORT_TYPES},
                      **_errors(*SCOPED)}}},
    "/submissions/{instance_id}": {
        "get": {"summary": "A submission: typed values, GPS, attachments with URLs, versions, review history",
                "tags": ["submissions"], "parameters": [INSTANCE_ID],
                "responses": {"200": _json(schemas.SubmissionDetailSchema, "the submission"), **_errors(401, 404)}},
        "patch": {"summary": "Review, in ODK Central's states: approved, hasIssues, rejected (a visit only); "
                             "approving excluded resident feedback counts it again",
                  "tags": ["review"], "parameters": [INSTANCE_ID],
                  "requestBody": _body(schemas.ReviewRequestSchema),
                  "responses": {"200": _json(schemas.SubmissionDetailSchema, "reviewed"),
                                **_errors(400, 401, 403, 404)}}},
    "/submissions/{instance_id}/comments": {"post": {
        "summary": "Comment on a submission (every role in scope)", "tags": ["review"],
        "parameters": [INSTANCE_ID], "requestBody": _body(schemas.CommentRequestSchema),
        "responses": {"201": _json(schemas.SubmissionEventSchema, "the comment"), **_errors(400, 401, 404)}}},
    "/submissions/{instance_id}/return": {"post": {
        "summary": "Return a visit to its worker: has issues, and its case shows 'to redo' with the reason on the "
                   "phone (station heads, county supervisors, admins); a submission without a case: 409",
        "tags": ["review"], "parameters": [INSTANCE_ID], "requestBody": _body(schemas.ReturnRequestSchema),
        "responses": {"200": _json(schemas.SubmissionDetailSchema, "returned"), **_errors(400, 401, 403, 404, 409)}}},
    "/submissions/{instance_id}/exclusion": {"put": {
        "summary": "Leave resident feedback out of the indicators, with a reason (county supervisors in their "
                   "county, admins); disclosed beside every satisfaction rate", "tags": ["review"],
        "parameters": [INSTANCE_ID], "requestBody": _body(schemas.ExclusionRequestSchema),
        "responses": {"200": _json(schemas.SubmissionDetailSchema, "excluded"), **_errors(400, 401, 403, 404)}}},
    "/submissions/{instance_id}/verdict": {"post": {
        "summary": "The verdict on a visit the authenticity checks flagged: genuine, or not_genuine (rejects it; a "
                   "note is required) — station heads, county supervisors, admins; an unflagged visit: 409",
        "tags": ["review"], "parameters": [INSTANCE_ID], "requestBody": _body(schemas.VerdictRequestSchema),
        "responses": {"200": _json(schemas.SubmissionDetailSchema, "judged"), **_errors(400, 401, 403, 404, 409)}}},
    "/quality": {"get": {
        "summary": "Visit quality: authenticity flags per 100 visits by kind, per station (per worker of one station; "
                   "a station head: theirs) and by month (admin, county, station; workers: 403)",
        "tags": ["quality"], "parameters": [{"in": "query", "schema": quality.QualityArgsSchema}],
        "responses": {"200": _json(quality.QualitySchema, "the view"), **_errors(400, 401, 403, 404)}}},
    "/counties/{county_code}/authenticity-thresholds": {
        "get": {"summary": "A county's thresholds for the authenticity checks: in force, its own, the defaults "
                           "(admin, the county's supervisors)", "tags": ["quality"], "parameters": [COUNTY],
                "responses": {"200": _json(quality.ThresholdsSchema, "the thresholds"), **_errors(401, 403, 404)}},
        "put": {"summary": "Replace a county's own thresholds (a key left out keeps the default); a value out of "
                           "range: 400, nothing saved", "tags": ["quality"], "parameters": [COUNTY],
                "requestBody": _body(quality.ThresholdsBodySchema),
                "responses": {"200": _json(quality.ThresholdsSchema, "saved"), **_errors(400, 401, 403, 404)}}},
    "/audit": {"get": {
        "summary": "The audit log, newest first; keyset pages (admin; others get 404)", "tags": ["audit"],
        "parameters": [{"in": "query", "schema": schemas.AuditArgsSchema}],
        "responses": {"200": _json(AuditPageSchema, "a page of events"), **_errors(*SCOPED)}}},
    "/projects": {
        "get": {"summary": "Purchased-service projects in the caller's scope (a station head: those covering the "
                           "station), each with its A1 budget, checks, spending and months without a report",
                "tags": ["money"], "parameters": [{"in": "query", "schema": ProjectListArgsSchema}],
                "responses": {"200": _json(ProjectListSchema, "the projects"), **_errors(400, 401, 403)}},
        "post": {"summary": "A new project with its stations and A1 budget (county, admin); a line naming a use A1 "
                            "note 3 forbids is refused", "tags": ["money"], "requestBody": _body(ProjectBodySchema),
                 "responses": {"201": _json(ProjectSchema, "created"), **_errors(400, 401, 403, 404)}}},
    "/projects/import": {"post": {
        "summary": "Create or update projects from a file, one row per budget line (admin, county); a contract number "
                   "known in its county updates that project; all or nothing", "tags": ["money"],
        "requestBody": TABLE_FILE,
        "responses": {"200": _json(ProjectImportResultSchema, "imported"), **_errors(400, 401, 403, 413)}}},
    "/projects/spending/import": {"post": {
        "summary": "Monthly spending from a file, one row per project (contract number), month and budget line; each "
                   "project's month named is replaced (station head, county, admin); all or nothing",
        "tags": ["money"], "requestBody": TABLE_FILE,
        "responses": {"200": _json(SpendingImportResultSchema, "imported"), **_errors(400, 401, 403, 413)}}},
    "/projects/{project_id}": {
        "get": {"summary": "A project", "tags": ["money"], "parameters": [PROJECT_ID],
                "responses": {"200": _json(ProjectSchema, "the project"), **_errors(401, 403, 404)}},
        "put": {"summary": "The whole project again (county, admin); lines kept by group and name keep their "
                           "spending", "tags": ["money"], "parameters": [PROJECT_ID],
                "requestBody": _body(ProjectBodySchema),
                "responses": {"200": _json(ProjectSchema, "updated"), **_errors(400, 401, 403, 404)}}},
    "/projects/{project_id}/spending/{month}": {"put": {
        "summary": "A month's spending per budget line, replacing that month's report (station head of a covered "
                   "station, county, admin)", "tags": ["money"],
        "parameters": [PROJECT_ID, _path("month", "YYYY-MM", pattern=r"^\d{4}-\d{2}$")],
        "requestBody": _body(SpendingBodySchema),
        "responses": {"200": _json(ProjectSchema, "the project with its spending"), **_errors(400, 401, 403, 404)}}},
    "/counties/{county_code}/money/{year}": {
        "get": {"summary": "A county's year for §4.5: social-assistance spending, its projects, the 5 % cap and the "
                           "margin", "tags": ["money"], "parameters": COUNTY_YEAR,
                "responses": {"200": _json(CountyMoneyAnswerSchema, "the county's year"), **_errors(401, 403, 404)}},
        "put": {"summary": "Record the year's social-assistance spending or A1's tolerance in percentage points "
                           "(admin only: never the county its cap judges)", "tags": ["money"], "parameters": COUNTY_YEAR,
                "requestBody": _body(CountyMoneySchema),
                "responses": {"200": _json(CountyMoneyAnswerSchema, "recorded"), **_errors(400, 401, 403, 404)}}},
    "/volunteers": {"get": {
        "summary": "The volunteer ledger: hours and activities per volunteer and per station, from service records "
                   "not rejected (default: this year)", "tags": ["volunteers"],
        "parameters": [{"in": "query", "schema": VolunteerArgsSchema}],
        "responses": {"200": _json(VolunteerLedgerSchema, "the ledger"), **_errors(*SCOPED)}}},
    "/changes": {"get": {
        "summary": "The change feed: events after a cursor, in order, scoped and masked as the caller's own GETs "
                   "(admin, county, station); following next_cursor yields every event exactly once",
        "tags": ["events"], "parameters": [{"in": "query", "schema": ChangesArgsSchema}],
        "responses": {"200": _json(ChangesPageSchema, "a page of events"), **_errors(400, 401, 403)}}},
    "/alerts": {"get": {
        "summary": "Alerts raised for chat groups, newest first (admin, county, station)", "tags": ["events"],
        "parameters": [{"in": "query", "schema": AlertArgsSchema}],
        "responses": {"200": _json(AlertPageSchema, "a page of alerts"), **_errors(400, 401, 403)}}},
    "/subscriptions": {
        "get": {"summary": "Webhooks and chat robots in the caller's scope (admin, county)", "tags": ["events"],
                "responses": {"200": _json(SubscriptionListSchema, "subscriptions"), **_errors(401, 403)}},
        "post": {"summary": "Subscribe a webhook (event types) or a WeCom / DingTalk / Feishu robot (alert rules) "
                            "within the caller's scope", "tags": ["events"],
                 "requestBody": _body(SubscriptionRequestSchema),
                 "responses": {"201": _json(SubscriptionSchema, "subscribed"), **_errors(400, 401, 403)}}},
    "/subscriptions/{subscription_id}": {
        "get": {"summary": "A subscription, with a webhook's signing secret", "tags": ["events"],
                "parameters": [SUBSCRIPTION_ID],
                "responses": {"200": _json(SubscriptionSchema, "the subscription"), **_errors(401, 403, 404)}},
        "delete": {"summary": "Delete a subscription and its delivery log", "tags": ["events"],
                   "parameters": [SUBSCRIPTION_ID],
                   "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404)}}},
    "/subscriptions/{subscription_id}/pause": {"post": {
        "summary": "Stop delivering (events are still queued for it)", "tags": ["events"],
        "parameters": [SUBSCRIPTION_ID],
        "requestBody": {"required": False, "content": {"application/json": {"schema": PauseRequestSchema}}},
        "responses": {"200": _json(SubscriptionSchema, "paused"), **_errors(400, 401, 403, 404)}}},
    "/subscriptions/{subscription_id}/resume": {"post": {
        "summary": "Deliver again, starting with what waited", "tags": ["events"], "parameters": [SUBSCRIPTION_ID],
        "responses": {"200": _json(SubscriptionSchema, "resumed"), **_errors(401, 403, 404)}}},
    "/subscriptions/{subscription_id}/test": {"post": {
        "summary": "Queue a test event for this subscription only", "tags": ["events"],
        "parameters": [SUBSCRIPTION_ID],
        "responses": {"202": _json(DeliverySchema, "queued"), **_errors(401, 403, 404)}}},
    "/subscriptions/{subscription_id}/deliveries": {"get": {
        "summary": "The delivery log, newest first (times in Beijing time)", "tags": ["events"],
        "parameters": [SUBSCRIPTION_ID, {"in": "query", "schema": DeliveryArgsSchema}],
        "responses": {"200": _json(DeliveryPageSchema, "a page of deliveries"), **_errors(400, 401, 403, 404)}}},
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}/resend": {"post": {
        "summary": "Send a delivery again now, with a fresh set of attempts", "tags": ["events"],
        "parameters": [SUBSCRIPTION_ID, _path("delivery_id", "the delivery", type="integer", minimum=1)],
        "responses": {"202": _json(DeliverySchema, "queued again"), **_errors(401, 403, 404)}}},
    "/submissions/{instance_id}/attachments/{name}": {"get": {
        "summary": "An attachment, or a JPEG thumbnail of a photo", "tags": ["submissions"],
        "parameters": [_path("instance_id", "the instanceID"), _path("name", "the file name"),
                       {"in": "query", "schema": schemas.AttachmentArgsSchema}],
        "responses": {"200": {"description": "the file, typed by its content",
                              "content": {"*/*": {"schema": BINARY}}},
                      "302": {"description": "redirect to a short-lived signed URL (media on S3)"},
                      "304": {"description": "not modified (ETag)"},
                      **_errors(*SCOPED)}}},
}


def _schema_name(schema: type[Schema] | Schema) -> str | None:
    """Components are named after their classes; a schema narrowed with only/exclude is written inline."""
    if isinstance(schema, Schema) and (schema.only or schema.exclude):
        return None
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


@lru_cache(maxsize=1)
def openapi_spec() -> dict[str, Any]:
    spec = APISpec(title="Lastmeter REST API", version=API_VERSION, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
                   info={"description": "Township social work stations: forms, cases, submissions, indicators. "
                                        "Everything is scoped by the caller's role; what is outside answers 404."},
                   servers=[{"url": bp.url_prefix}], security=[{"bearer": []}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "a token from POST /api/v1/sessions"})
    spec.components.schema("Error", schema=ErrorSchema)
    for path, operations in OPERATIONS.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
