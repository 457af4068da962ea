"""marshmallow schemas: the API's boundary. They load and dump; they never query or read the current user."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from server.domain.cases import CaseCategory, CaseOrder, CaseStatus, ClosingReason, RiskLevel, is_overdue
from server.domain.clock import FIRST_DAY, LAST_DAY, today_in_china
from server.domain.flags import ANY_FLAG, SubmissionFlag
from server.domain.review import CHOOSABLE_REASONS, ExclusionReason, ReviewAction
from server.errors import BadRequest
from server.models import ReviewState
from server.services.exports import EXPORTERS as EXPORT_FORMATS


class SessionRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    scope_code = fields.String()


class SessionSchema(Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserSchema)


class FormVersionSchema(Schema):
    version = fields.String()
    title = fields.String()
    md5 = fields.String()
    attachments = fields.List(fields.Dict())
    published_at = fields.AwareDateTime()


class FormSchema(Schema):
    xml_form_id = fields.String()
    state = fields.String()
    current_version = fields.Nested(FormVersionSchema, allow_none=True)
    versions = fields.List(fields.Nested(FormVersionSchema, only=("version", "md5", "published_at")))


class VisitIntervalRequestSchema(Schema):
    days = fields.Integer(required=True, strict=True,  # true is not 1 day; the service checks the range
                          metadata={"minimum": 1, "maximum": 730, "description": "days between visits"})


class ErasureRequestSchema(Schema):
    reason = fields.String(required=True, metadata={"description": "why (e.g. the person's request and its date)"})


class PlaqueLinkRequestSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=200),
                           metadata={"description": "why (e.g. 门牌被盗); kept in the audit log"})


class PlaqueLinkSchema(Schema):
    station = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "the new link the new plaque's QR code carries"})
    issued_at = fields.AwareDateTime(required=True)
class CaseCloseRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in ClosingReason]),
                           metadata={"description": "why the service ended (docs/cases.md)"})
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "what happened, in words (a date, who said so)"})


class CaseNoteRequestSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "why (the case is reopened; a worker's proposal is dismissed)"})


class PublishResultSchema(Schema):
    xml_form_id = fields.String()
    version = fields.String()
    title = fields.String()
    outcome = fields.String()
    warnings = fields.List(fields.String())


def load(schema: Schema, data: object) -> dict:
    """Validate input; a ValidationError becomes the API's 400 with every field's messages."""
    if not isinstance(data, dict):
        raise BadRequest(reason="请求体应为 JSON 对象 / the body must be a JSON object")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise BadRequest(reason="; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.messages.items()),
                         fields=exc.messages) from exc


# --- query arguments ----------------------------------------------------------------------

def day_argument(data_key: str) -> fields.Date:
    """An optional ``YYYY-MM-DD`` query argument between FIRST_DAY and LAST_DAY."""
    return fields.Date(load_default=None, data_key=data_key, validate=validate.Range(min=FIRST_DAY, max=LAST_DAY))


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None)


class CaseListArgsSchema(PageArgsSchema):
    station = fields.String(load_default=None, validate=validate.Length(max=12))
    category = fields.String(load_default=None, validate=validate.OneOf([c.value for c in CaseCategory]))
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in CaseStatus]))
    overdue = fields.Boolean(load_default=False)
    worker = fields.String(load_default=None)
    village = fields.String(load_default=None, validate=validate.Length(max=12))
    q = fields.String(load_default=None, validate=validate.Length(max=100), metadata={
        "description": "name, village name or phone containing this; the ID number too, in full for roles that see "
                       "it in full, else only its last 4 characters, given exactly (docs/cases.md)"})
    risk = fields.String(load_default=None, validate=validate.OneOf([r.value for r in RiskLevel]))
    returned = fields.Boolean(load_default=False, metadata={"description": "only cases whose last visit was "
                                                                          "returned to the worker"})
    close_proposed = fields.Boolean(load_default=False, metadata={
        "description": "only cases a worker reported the service ended for, waiting for a station head"})
    sort = fields.String(load_default="due", validate=validate.OneOf([o.value for o in CaseOrder]),
                         metadata={"description": "due: most overdue first; name: by name"})


class SubmissionListArgsSchema(PageArgsSchema):
    form = fields.String(load_default=None)
    station = fields.String(load_default=None, validate=validate.Length(max=12))
    case = fields.String(load_default=None, metadata={"description": "a case id, or part of its name"})
    worker = fields.String(load_default=None)
    date_from = day_argument("from")
    date_to = day_argument("to")
    review_state = fields.String(load_default=None, validate=validate.OneOf([r.value for r in ReviewState]))
    flag = fields.String(load_default=None, validate=validate.OneOf([ANY_FLAG, *(f.value for f in SubmissionFlag)]))


class SubmissionExportArgsSchema(SubmissionListArgsSchema):
    """The list's filters and the format; no paging (``limit`` and ``cursor`` are excluded, so refused)."""

    format = fields.String(required=True, validate=validate.OneOf(list(EXPORT_FORMATS)))


class AttachmentArgsSchema(Schema):
    size = fields.Integer(load_default=None)


def load_args(schema: Schema, args) -> dict:
    """Query-string arguments through a schema; unknown arguments are refused (a typo is not a filter), and so
    is an argument given twice (``?station=A&station=B`` would otherwise silently mean A)."""
    repeated = sorted(name for name, values in args.lists() if len(values) > 1)
    if repeated:
        raise BadRequest(reason=f"参数重复 / repeated argument: {', '.join(repeated)}",
                         fields={name: ["repeated"] for name in repeated})
    try:
        return schema.load(args.to_dict())
    except ValidationError as exc:
        raise BadRequest(reason="; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.messages.items()),
                         fields=exc.messages) from exc


# --- cases and submissions ------------------------------------------------------------------

class CaseSchema(Schema):
    id = fields.String()
    label = fields.String()
    station_code = fields.String()
    village_code = fields.String(allow_none=True)
    village_name = fields.Function(lambda c: c.village.name if c.village else None)
    categories = fields.Function(lambda c: c.category_codes)
    status = fields.String()
    closing_reason = fields.String(allow_none=True, validate=validate.OneOf([r.value for r in ClosingReason]))
    closed_reason = fields.String(allow_none=True, metadata={"description": "the words given with closing_reason"})
    close_proposal_reason = fields.String(allow_none=True, metadata={
        "description": "a worker's 'service ended' from a visit, waiting for a station head to close or dismiss"})
    close_proposal_note = fields.String(allow_none=True)
    assigned_worker_id = fields.Integer(allow_none=True)
    risk_level = fields.String(allow_none=True)
    registered_on = fields.Date()
    last_visit = fields.Date(allow_none=True)
    next_due = fields.Date(allow_none=True)
    overdue = fields.Function(lambda c: c.status == "open" and is_overdue(c.next_due, today_in_china()))
    redo = fields.Boolean()
    redo_reason = fields.String(allow_none=True)
    conflict = fields.Boolean()
    version = fields.Integer()
    parent_id = fields.String(allow_none=True)
    properties = fields.Dict()
    erased_at = fields.AwareDateTime(allow_none=True)  # personal data erased on request (docs/cases.md)


class CaseEventSchema(Schema):
    kind = fields.String()
    created_at = fields.AwareDateTime(metadata={"description": "when the server recorded it"})
    occurred_on = fields.Date(metadata={"description": "the China day it happened (a registration: the case's "
                                                      "registration date); the timeline is in this order"})
    instance_id = fields.Function(lambda e: e.submission.instance_id if e.submission else None)
    form = fields.Function(lambda e: e.submission.form.xml_form_id if e.submission else None)
    user_id = fields.Integer(allow_none=True)
    base_version = fields.Integer(allow_none=True)
    version = fields.Integer(allow_none=True)
    changes = fields.Dict()
    note = fields.String(allow_none=True)


class AttachmentSchema(Schema):
    name = fields.String()
    present = fields.Boolean()
    url = fields.String(allow_none=True)
    thumbnails = fields.Dict(keys=fields.String(), values=fields.String())
    detected_type = fields.String(allow_none=True)  # what the bytes are; served only as this


class SubmissionSummarySchema(Schema):
    instance_id = fields.String()
    form = fields.Function(lambda s: s.form.xml_form_id)
    station_code = fields.String()
    case_id = fields.String(allow_none=True)
    submitter_id = fields.Integer(allow_none=True)
    review_state = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime(allow_none=True)
    instance_name = fields.String(allow_none=True)
    flags = fields.Function(lambda s: (s["flags"] if isinstance(s, dict) else s.flags) or [])


class SubmissionEventSchema(Schema):
    """One line of a submission's review history: who, when (UTC), what."""

    kind = fields.String(metadata={"description": "review, comment or returned"})
    review_state = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "an exclusion's reason"})
    body = fields.String(allow_none=True)
    user = fields.Function(lambda e: e.user.username if e.user else None, allow_none=True)
    created_at = fields.AwareDateTime()


class ExclusionSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in ExclusionReason]))
    note = fields.String(required=True, allow_none=True)


class AuthenticityCheckSchema(Schema):
    code = fields.String(metadata={"description": "the flag's code (photo_reused, far_from_home…)"})
    explanation = fields.String(metadata={"description": "what it rests on, in Chinese"})
    explanation_en = fields.String()
    detail = fields.Dict(metadata={"description": "the numbers behind it (metres, km/h, bits, the reference used…)"})
    others = fields.List(fields.String(), metadata={"description": "the other visits it names, inside the "
                                                                   "caller's area (instance IDs)"})


class VerdictSchema(Schema):
    verdict = fields.String(attribute="reason", metadata={"description": "genuine or not_genuine"})
    note = fields.String(attribute="body", allow_none=True)
    user = fields.Function(lambda e: e.user.username if e.user else None, allow_none=True)
    created_at = fields.AwareDateTime()


class VerdictRequestSchema(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(["genuine", "not_genuine"]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class SubmissionDetailSchema(SubmissionSummarySchema):
    form = fields.String()
    form_version = fields.String()
    data = fields.Dict()
    geopoint = fields.Dict(allow_none=True)
    device_id = fields.String(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    versions = fields.List(fields.Dict())
    exclusion = fields.Nested(ExclusionSchema, allow_none=True,
                              metadata={"description": "resident feedback left out of the indicators, and why"})
    events = fields.List(fields.Nested(SubmissionEventSchema), metadata={"description": "the review history"})
    actions = fields.List(fields.String(validate=validate.OneOf([a.value for a in ReviewAction])),
                          metadata={"description": "the review actions the caller may take"})
    authenticity = fields.List(fields.Nested(AuthenticityCheckSchema),
                               metadata={"description": "why the visit deserves a second look (docs/authenticity.md)"})
    verdict = fields.Nested(VerdictSchema, allow_none=True,
                            metadata={"description": "the last verdict on the flagged visit; null: none yet"})


# Review in ODK Central's words (PATCH …/submissions/<instanceId> {"reviewState": …}).
CENTRAL_REVIEW_STATES = {"approved": ReviewState.APPROVED, "hasIssues": ReviewState.HAS_ISSUES,
                         "rejected": ReviewState.REJECTED}


class ReviewRequestSchema(Schema):
    review_state = fields.String(required=True, data_key="reviewState",
                                 validate=validate.OneOf(list(CENTRAL_REVIEW_STATES)))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CommentRequestSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReturnRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "what the worker reads on the phone"})


class ExclusionRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in CHOOSABLE_REASONS]))
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


# --- the audit log ---------------------------------------------------------------------------

class AuditArgsSchema(PageArgsSchema):
    user = fields.String(load_default=None, validate=validate.Length(max=64))
    object_type = fields.String(load_default=None, validate=validate.Length(max=20))
    object_id = fields.String(load_default=None, validate=validate.Length(max=255))
    date_from = day_argument("from")
    date_to = day_argument("to")


class AuditEventSchema(Schema):
    id = fields.Integer()
    created_at = fields.AwareDateTime()
    user_id = fields.Integer(allow_none=True)
    username = fields.String()
    client_ip = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
