"""The case registry: cases created and updated by visits (ODK entities), their timeline,
visit schedules, and the station's case list as phones download it.

Entity rules follow ODK Central: ``create`` makes the case with the id the phone chose;
``update`` applies the saved properties and bumps the case's version. An update based on
an outdated version (two phones offline with the same case) is applied too — nothing a
worker recorded is dropped — and the case is flagged ``conflict`` for a supervisor.
A problem in the entity block never fails the submission: the visit is kept either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import Any, Iterable

from server.domain.cases import (
    DEFAULT_VISIT_INTERVAL_DAYS,
    REGISTRATION_EVENTS,
    VISIT_FORMS,
    CaseCategory,
    CaseEventKind,
    CaseStatus,
    CLOSING_REASON_NAMES_ZH,
    ClosingReason,
    RiskLevel,
    interval_days,
    next_due_date,
    parse_categories,
)
from server.domain.clock import CHINA, today_in_china
from server.domain.events import EventType
from server.domain.submission import SubmissionEnvelope, has_value_at, recorded_day, value_at
from server.domain.xform import XFormSchema
from server.errors import Conflict, InvalidValue, NotFound
from server.extensions import db
from server.models import Case, CaseCategoryLink, CaseEvent, Station, Submission, SubmissionVersion, User, VisitInterval
from server.models.types import utcnow
from server.domain.access import Scope
from server.queries import accounts as account_queries
from server.queries import cases as queries
from server.queries import places as place_queries
from server.services import audit, outbox

CASE_LIST = "cases"
# Entity properties kept in the case's own columns; every other saved property goes to ``properties``.
COLUMN_PROPERTIES = ("category", "village_code", "risk_level", "last_visit", "next_visit_date")


@dataclass
class VisitBatch:
    """What the visits applied together share, each read once: the visit intervals, the cases (those the batch
    names, looked up in one query with ``look_up``; those it registers, which the next visit finds here before
    anything is written: a batch is written in one flush, each table's rows together) and the villages it names."""
    intervals: dict[str, int]
    cases: dict[str, Case | None] = dataclass_field(default_factory=dict)  # None: looked up, not there
    villages: dict[str, str | None] = dataclass_field(default_factory=dict)  # village code → its station's code

    def look_up(self, case_ids: Iterable[str]) -> None:
        """Read these cases in one query (and remember the ids no case has)."""
        wanted = sorted({case_id for case_id in case_ids if case_id and case_id not in self.cases})
        # locked until the batch commits (PostgreSQL): an office change made meanwhile waits, never overwritten
        found = {case.id: case for case in queries.list_cases_by_ids(wanted, lock=True)}
        self.cases.update({case_id: found.get(case_id) for case_id in wanted})

    def case(self, case_id: str) -> Case | None:
        if case_id not in self.cases:
            self.cases[case_id] = queries.get_case_by_id(case_id)
        return self.cases[case_id]

    def station_of_village(self, village_code: str) -> str | None:
        if village_code not in self.villages:
            village = place_queries.get_area_by_code(village_code)
            self.villages[village_code] = village.parent_code if village is not None else None
        return self.villages[village_code]


@dataclass(frozen=True)
class VisitContext:
    submission: Submission
    version: SubmissionVersion
    envelope: SubmissionEnvelope
    schema: XFormSchema
    station: Station
    submitter: User | None
    edited: bool
    batch: VisitBatch


def visit_intervals() -> dict[str, int]:
    intervals = {c.value: d for c, d in DEFAULT_VISIT_INTERVAL_DAYS.items()}
    intervals.update({row.category.value: row.days for row in queries.list_visit_intervals()})
    return intervals


def set_visit_interval(category: str, days: int) -> int:
    """Change a category's interval and reschedule its open cases; returns how many moved."""
    try:
        category = CaseCategory(category)
    except ValueError:
        raise InvalidValue(field="category", reason=f"未知类别 / unknown category {category!r}")
    if not 1 <= days <= 730:
        raise InvalidValue(field="days", reason="间隔应在 1 到 730 天之间 / must be 1 to 730 days")
    row = db.session.get(VisitInterval, category) or VisitInterval(category=category)
    row.days = days
    db.session.add(row)
    db.session.flush()
    intervals = visit_intervals()
    moved = 0
    for case in queries.list_open_cases_in_category(category):
        due = next_due_date(case.last_visit, case.registered_on, interval_days(case.category_codes, intervals))
        if due != case.next_due:
            case.next_due = due
            touch(case)
            moved += 1
    db.session.flush()
    return moved


def touch(case: Case) -> None:
    """Every change to a case goes through here: it moves the case list's cache key."""
    case.updated_at = utcnow()


# --- visits and entities ----------------------------------------------------------------

def process_visit(context: VisitContext) -> Case | None:
    """Apply a new or edited submission to its case: entity create/update, then the visit itself.

    Nothing is flushed here: the lookups on the way (the case, the village, the intervals) must not each write out
    what is pending, and the applier writes a whole batch of visits in one flush, each table's rows together (an
    event about a case that already existed flushes first, to be numbered after what it follows: ``outbox.record``)."""
    with db.session.no_autoflush:
        return _process_visit(context)


def _process_visit(context: VisitContext) -> Case | None:
    case, changes, event_recorded = _apply_entity(context)
    if case is None and context.submission.case_id:
        case = context.batch.case(context.submission.case_id)
    if case is None:
        return None
    created = case in db.session.new and context.batch.cases.get(case.id) is not case  # by this visit, not before
    context.batch.cases[case.id] = case
    context.submission.case_id = case.id
    if context.submission.form.xml_form_id in VISIT_FORMS:
        _record_visit(case, context)
    if not event_recorded:
        db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.VISITED, submission_id=context.submission.id,
                                 user_id=_user_id(context), version=case.version, changes=changes,
                                 note="修改后的提交 (edited submission)" if context.edited else None))
    if context.submission.form.xml_form_id in VISIT_FORMS:
        _propose_closing(case, context)
    touch(case)
    outbox.case_event(EventType.CASE_CREATED if created else EventType.CASE_UPDATED, case, new_object=created)
    return case


def _user_id(context: VisitContext) -> int | None:
    return context.submitter.id if context.submitter is not None else None


def _saved_properties(context: VisitContext) -> dict[str, Any]:
    data = context.version.data
    return {prop: value_at(data, path) for prop, path in context.schema.saved_properties().items()
            if has_value_at(data, path)}


def _apply_entity(context: VisitContext) -> tuple[Case | None, dict[str, Any], bool]:
    """The case the entity block names, what changed, and whether a timeline event was written."""
    entity = context.envelope.entity
    if entity is None or entity.dataset != CASE_LIST or not entity.entity_id:
        return None, {}, False
    existing = context.batch.case(entity.entity_id)
    if existing is not None and existing.station_code != context.station.code:
        return None, {}, False  # never let one station's phone write into another's case
    properties = _saved_properties(context)
    if existing is None and entity.create:
        return _create_case(entity.entity_id, entity.label, properties, context), {}, True
    if existing is not None and (entity.update or context.edited):
        changes, conflict = _update_case(existing, entity.base_version, properties, context)
        return existing, changes, conflict
    return existing, {}, False


def _create_case(case_id: str, label: str, properties: dict[str, Any], context: VisitContext) -> Case:
    # Every column a later visit of the batch reads is given here: a column default is only filled in at the INSERT,
    # and the case may be read before it is written (the batch is written in one flush).
    case = Case(id=case_id, label=(label or case_id)[:200], station_code=context.station.code,
                assigned_worker_id=_user_id(context), registered_on=_visit_date(context), version=1,
                properties={}, status=CaseStatus.OPEN, redo=False, conflict=False)
    db.session.add(case)
    changes = _set_properties(case, properties, context)
    db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.CREATED, submission_id=context.submission.id,
                             user_id=_user_id(context), version=1, changes=changes))
    return case


def _update_case(case: Case, base_version: str, properties: dict[str, Any],
                 context: VisitContext) -> tuple[dict[str, Any], bool]:
    """Apply the update; returns the changes and whether it was a conflict (then already on the timeline)."""
    base = int(base_version) if base_version.isdigit() else None
    stale = not context.edited and base is not None and base < case.version
    changes = _set_properties(case, properties, context)
    case.version += 1
    if stale:
        case.conflict = True
        db.session.add(CaseEvent(
            case_id=case.id, kind=CaseEventKind.CONFLICT, submission_id=context.submission.id,
            user_id=_user_id(context), base_version=base, version=case.version, changes=changes,
            note=f"离线更新基于第 {base} 版，服务器已是第 {case.version - 1} 版；两次走访均已保留，请督导核对。"
                 f" (Offline update based on version {base} while the server had {case.version - 1}; "
                 "both visits are kept.)"))
    return changes, stale


def _set_properties(case: Case, properties: dict[str, Any], context: VisitContext) -> dict[str, Any]:
    """Apply saved entity properties; returns what changed. Unusable values are noted, not fatal."""
    changes: dict[str, Any] = {}
    if "category" in properties:
        raw = properties["category"]
        categories, _unknown = parse_categories(" ".join(raw) if isinstance(raw, list) else str(raw or ""))
        if categories and [c.value for c in categories] != case.category_codes:
            case.categories = [CaseCategoryLink(category=c) for c in categories]
            changes["category"] = [c.value for c in categories]
    village = properties.get("village_code")
    if village and village != case.village_code and \
            context.batch.station_of_village(str(village)) == context.station.code:
        case.village_code = str(village)
        changes["village_code"] = village
    risk = properties.get("risk_level")
    if risk in RiskLevel._value2member_map_ and risk != (case.risk_level.value if case.risk_level else None):
        case.risk_level = RiskLevel(risk)
        changes["risk_level"] = risk
    extra = {k: v for k, v in properties.items() if k not in COLUMN_PROPERTIES and v is not None}
    changed_extra = {k: v for k, v in extra.items() if (case.properties or {}).get(k) != v}
    if changed_extra:
        case.properties = {**(case.properties or {}), **changed_extra}
        changes.update(changed_extra)
    return changes


def _visit_date(context: VisitContext) -> date:
    return context.submission.visit_date or recorded_day(context.version.data, context.submission.created_at)


def _record_visit(case: Case, context: VisitContext) -> None:
    visited = _visit_date(context)
    if case.last_visit is None or visited > case.last_visit:
        case.last_visit = visited
    proposed_raw = value_at(context.version.data, "next_visit_date")
    try:
        proposed = date.fromisoformat(proposed_raw) if isinstance(proposed_raw, str) else None
    except ValueError:
        proposed = None
    case.next_due = next_due_date(case.last_visit, case.registered_on,
                                  interval_days(case.category_codes, context.batch.intervals), proposed)
    if case.redo:
        # The worker went back, as the supervisor asked: the flag has done its job.
        case.redo, case.redo_reason = False, None


# The visit form's "service ended" question (home_visit, group service_end; docs/forms.md).
SERVICE_ENDED, END_REASON, END_NOTE = "service_end/service_ended", "service_end/end_reason", "service_end/end_note"
MAX_NOTE = 2000


def _propose_closing(case: Case, context: VisitContext) -> None:
    """A worker's "service ended" is kept as a proposal for a station head to confirm or dismiss. It never
    closes the case by itself: a worker alone cannot shrink the coverage denominator."""
    data = context.version.data
    reason = value_at(data, END_REASON)
    if value_at(data, SERVICE_ENDED) != "yes" or case.status != CaseStatus.OPEN or \
            reason not in ClosingReason._value2member_map_:
        return
    case.close_proposal_reason = ClosingReason(reason)
    case.close_proposal_note = str(value_at(data, END_NOTE) or "").strip()[:MAX_NOTE] or None
    words = f"{CLOSING_REASON_NAMES_ZH[case.close_proposal_reason]}：{case.close_proposal_note or ''}"
    db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.CLOSE_PROPOSED, submission_id=context.submission.id,
                             user_id=_user_id(context), changes={"closing_reason": reason}, note=words))
    audit.record("case.close_proposal", "case", case.id, {"closing_reason": reason,
                                                           "instance_id": context.submission.instance_id},
                 context.submitter)


# --- closing and reopening ------------------------------------------------------------------
# A closed case leaves the phones' cases.csv (touch() moves its cache key) and the coverage denominator,
# which counts open cases only (docs/indicators.md). Only office roles close and reopen (the API's rule);
# a worker proposes from a visit form and a station head confirms.

def close_case(case: Case, reason: str, note: str, user: User) -> None:
    """End the service: a reason from the fixed list and words to go with it."""
    closing, text = parse_closing(reason, note)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(reason="该服务对象已结案 / the case is already closed")
    case.status, case.closing_reason, case.closed_reason = CaseStatus.CLOSED, closing, text
    case.close_proposal_reason = case.close_proposal_note = None
    db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.CLOSED, user_id=user.id,
                             changes={"closing_reason": closing.value},
                             note=f"{CLOSING_REASON_NAMES_ZH[closing]}：{text}"))
    audit.record("case.close", "case", case.id, {"closing_reason": closing.value}, user)
    touch(case)
    outbox.case_event(EventType.CASE_CLOSED, case)


def reopen_case(case: Case, note: str, user: User) -> None:
    """Serve the person again (closed by mistake, moved back): the case is due as if never closed."""
    text = _words(note, "请说明重新开案的原因 / say why the case is reopened")
    if case.status != CaseStatus.CLOSED:
        raise Conflict(reason="该服务对象未结案 / the case is not closed")
    case.status, case.closing_reason, case.closed_reason = CaseStatus.OPEN, None, None
    db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.REOPENED, user_id=user.id, note=text))
    audit.record("case.reopen", "case", case.id, user=user)
    touch(case)
    outbox.case_event(EventType.CASE_REOPENED, case)


def dismiss_close_proposal(case: Case, note: str, user: User) -> None:
    """A station head finds the service has not ended: the worker's proposal is dropped, with the reason why."""
    text = _words(note, "请说明不结案的原因 / say why the case stays open")
    if case.close_proposal_reason is None:
        raise Conflict(reason="没有待确认的服务终止报告 / no proposal to close this case is waiting")
    proposed = case.close_proposal_reason
    case.close_proposal_reason = case.close_proposal_note = None
    db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.PROPOSAL_DISMISSED, user_id=user.id,
                             changes={"closing_reason": proposed.value}, note=text))
    audit.record("case.close_proposal_dismissed", "case", case.id, {"closing_reason": proposed.value}, user)
    touch(case)
    outbox.case_event(EventType.CASE_UPDATED, case)


def parse_closing(reason: str, note: str) -> tuple[ClosingReason, str]:
    """A closing reason code and its words, or the error naming what is missing."""
    if reason not in ClosingReason._value2member_map_:
        raise InvalidValue(field="closing_reason", reason="请从列表中选择结案原因 / choose a reason from the list")
    return ClosingReason(reason), _words(note, "请说明结案情况 / describe why the service ended")


def _words(note: str | None, missing: str) -> str:
    """The words a decision on a case needs, or the error saying what they should say."""
    text = (note or "").strip()[:MAX_NOTE]
    if not text:
        raise InvalidValue(field="note", reason=missing)
    return text


# --- the timeline -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    day: date  # the China day it happened: the registration date for a registration

    @property
    def at(self) -> datetime:
        """When it was recorded, in Beijing time."""
        return self.event.created_at.astimezone(CHINA)


def case_timeline(case: Case) -> list[TimelineEntry]:
    """The case's events in the order they happened, registration at the case's registration date."""
    entries = [TimelineEntry(event, case.registered_on if event.kind in REGISTRATION_EVENTS
                             else today_in_china(event.created_at))
               for event in queries.list_case_events(case.id)]
    return sorted(entries, key=lambda e: (e.day, e.event.kind not in REGISTRATION_EVENTS, e.event.created_at,
                                          e.event.id))


def get_case(case_id: str) -> Case:
    case = queries.get_case_by_id(case_id)
    if case is None:
        raise NotFound(what="服务对象", key=case_id)
    return case


# --- schedules: who is overdue ----------------------------------------------------------------

def worker_id(username: str | None) -> int | None:
    """The id behind a username filter; an unknown name matches nobody rather than everybody."""
    if not username:
        return None
    user = account_queries.get_user_by_username(username.strip().lower())
    return user.id if user is not None else -1


def overdue_summary(scope: Scope, today: date) -> dict[str, Any]:
    stations = queries.count_overdue_by_station(scope, today)
    workers = queries.count_overdue_by_worker(scope, today)
    names = {u.id: u for u in account_queries.list_users_by_ids([w for w, *_ in workers if w is not None])}
    return {
        "as_of": today.isoformat(),
        "open": sum(total for _, total, _ in stations),
        "overdue": sum(late for _, _, late in stations),
        "by_station": [{"station": code, "open": total, "overdue": late} for code, total, late in stations],
        "by_worker": [{"worker": names[w].username if w in names else None, "station": station, "open": total,
                       "overdue": late} for w, station, total, late in workers],
    }
