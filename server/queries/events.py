"""Queries of events out: the alert rules' lookups, the daily digest's counts, and the alerts page."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from server.domain.access import Scope
from server.domain.cases import CaseStatus
from server.domain.events import AlertRule, TargetKind
from server.extensions import db
from server.models import Case, ReviewState, Submission
from server.models.events import Alert, Subscription
from server.models.forms import Form

FEEDBACK_FORM = "resident_feedback"


def alert_exists(dedupe_key: str) -> bool:
    return db.session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)) is not None


def list_newly_overdue_cases(first_due: date, last_due: date) -> list[Case]:
    """Open, unerased cases whose due day fell between ``first_due`` and ``last_due``: overdue since then."""
    return list(db.session.scalars(select(Case).where(
        Case.status == CaseStatus.OPEN, Case.erased_at.is_(None),
        Case.next_due >= first_due, Case.next_due <= last_due).order_by(Case.next_due, Case.id)))


def list_digest_robots() -> list[Subscription]:
    """Active robots of chat groups that asked for the daily digest."""
    robots = db.session.scalars(select(Subscription).where(Subscription.kind != TargetKind.WEBHOOK,
                                                           Subscription.active.is_(True)))
    return [robot for robot in robots if AlertRule.DIGEST.value in (robot.topics or [])]


def digest_counts(station_code: str, today: date) -> dict[str, int]:
    """What a station head reads at 08:00: overdue cases, visits waiting for review, returned visits not redone."""
    overdue = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.station_code == station_code, Case.status == CaseStatus.OPEN, Case.erased_at.is_(None),
        Case.next_due < today))
    waiting = db.session.scalar(select(func.count()).select_from(Submission).join(Form, Form.id == Submission.form_id)
                                .where(Submission.station_code == station_code, Form.xml_form_id != FEEDBACK_FORM,
                                       Submission.review_state.in_([ReviewState.RECEIVED, ReviewState.EDITED])))
    returned = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.station_code == station_code, Case.status == CaseStatus.OPEN, Case.redo.is_(True)))
    return {"overdue": int(overdue or 0), "waiting_review": int(waiting or 0), "returned": int(returned or 0)}


def list_alerts(scope: Scope, limit: int, before: tuple[datetime, int] | None = None,
                rule: str | None = None) -> list[Alert]:
    query = select(Alert).where(Alert.area_path.startswith(scope.area_path, autoescape=True))
    if rule:
        query = query.where(Alert.rule == rule)
    if before:
        query = query.where((Alert.raised_at < before[0]) | ((Alert.raised_at == before[0]) & (Alert.id < before[1])))
    return list(db.session.scalars(query.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit)))
