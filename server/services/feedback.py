"""Residents' feedback through the station plaque's QR code: no app, no account.

A plaque carries a short link (/f/<token>). The answers become a genuine submission of the
``resident_feedback`` form — the same instance a worker's phone would send, received by the same
``ingest_submission`` — so both channels count alike. Anti-abuse never blocks a real resident:
a honeypot field catches form-filling robots, the same answers from the same client within ten
minutes are one submission (the instanceID is derived from them), and rate limits sit on the route.
The page's form carries a signed, time-limited token rather than a session-bound CSRF token: WeChat's
in-app browser may drop cookies, and a resident must never lose their answers to that.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from server.adapters.signing import sign, unsign
from server.domain.clock import CHINA, utc_now
from server.domain.stations import StaffRole
from server.domain.instances import build_instance
from server.errors import InvalidValue, LastmeterError, NotFound
from server.extensions import db
from server.media.storage import MediaStorage
from server.models import Station, StationLink
from server.queries import forms as form_queries
from server.queries import places as place_queries
from server.services.submissions import IngestResult, Origin, ingest_submission

FEEDBACK_FORM = "resident_feedback"
SERVICE_CHOICES = ("social_assistance", "elderly", "children", "community_governance", "social_affairs",
                   "volunteering", "emergency", "none")
DEDUPE_WINDOW_SECONDS = 600
FEEDBACK_NAMESPACE = uuid.UUID("5f1d1f9e-5b1a-4a59-9d3e-3c1f0a7e2a11")
TOKEN_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: readable when typed from a plaque
TOKEN_LENGTH = 10  # 32^10 ≈ 10^15 links: not guessable by trying
FORM_TOKEN_PURPOSE = "resident-feedback-form"
FORM_TOKEN_MAX_AGE = 24 * 3600  # a resident may leave the page open and come back to it


class LinkRevoked(LastmeterError):
    code = "410.1"
    zh = "这个二维码已停止使用。请扫描社工站门牌上的新二维码，或直接联系社工站。感谢您的关心！"
    en = "This code is no longer in use. Please scan the new code on the station's plaque, or contact the station."


class NoPlaqueLink(LastmeterError):
    code = "409.7"
    zh = "{station}还没有门牌二维码链接：请在社工站页面点击“停用旧二维码并生成新二维码”。"
    en = "{station} has no plaque link yet: issue one on the station's page (\"Revoke the old code and issue a new one\")."


class FeedbackFormExpired(LastmeterError):
    code = "400.14"
    zh = "这个页面打开的时间太久了。请再按一次“提交”，您填写的内容都还在。"
    en = "This page has been open for a long time. Please press Send once more; your answers are still here."


REASON_LIMIT = 200


@dataclass(frozen=True)
class FeedbackAnswers:
    service_received: str
    satisfaction: str
    improvement: str
    contact: str


def issue_station_link(station: Station) -> StationLink:
    """A new plaque link for the station; the previous one stops working."""
    now = utc_now()
    for link in place_queries.list_active_station_links(station.code):
        link.revoked_at = now
    token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
    link = StationLink(station_code=station.code, token=token, created_at=now)
    db.session.add(link)
    db.session.flush()
    return link


def reissue_station_link(station: Station, reason: str) -> StationLink:
    """A stolen or defaced plaque: its link stops working at once (a polite 410 to whoever scans it) and
    a new one is issued for the new plaque; audited with the reason."""
    from server.services import audit

    reason = reason.strip()
    if len(reason) > REASON_LIMIT:
        raise InvalidValue(field="原因 (reason)", reason=f"最多 {REASON_LIMIT} 个字 / at most {REASON_LIMIT} characters")
    revoked = len(place_queries.list_active_station_links(station.code))
    link = issue_station_link(station)
    audit.record("plaque_link.reissue", "station", station.code, {"reason": reason or None, "revoked": revoked})
    return link


def current_station_link(station: Station) -> StationLink:
    """The link the station's plaque carries now (read only: a GET never makes one)."""
    links = place_queries.list_active_station_links(station.code)
    if not links:
        raise NoPlaqueLink(station=station.official_name)
    return links[-1]


def _link(token: str) -> StationLink | None:
    return place_queries.get_station_link(token.lower()) if token.isalnum() and len(token) <= 32 else None


def station_for_link(token: str) -> Station:
    link = _link(token)
    if link is None:
        raise NotFound(what="二维码", key=token[:32])
    if link.revoked_at is not None:
        raise LinkRevoked()
    return link.station


def revoked_link_station(token: str) -> Station | None:
    """The station a revoked plaque link belonged to (its page may then give the station's phone)."""
    link = _link(token)
    return link.station if link is not None and link.revoked_at is not None else None


def station_phone(station: Station) -> str | None:
    """The number a resident can call: the station head's, else the deputy's, else any active staff member's."""
    ranked = sorted((m for m in station.staff if m.active and m.phone and m.role != StaffRole.VOLUNTEER),
                    key=lambda m: (m.role != StaffRole.HEAD, m.role != StaffRole.DEPUTY_HEAD, m.id))
    return ranked[0].phone if ranked else None


def feedback_form_token(link_token: str, secret: str) -> str:
    """The token the feedback page's form carries: signed, bound to the plaque link, valid a day."""
    return sign(secret, FORM_TOKEN_PURPOSE, link_token.lower())


def check_feedback_form_token(form_token: str, link_token: str, secret: str) -> None:
    if unsign(secret, FORM_TOKEN_PURPOSE, form_token, FORM_TOKEN_MAX_AGE) != link_token.lower():
        raise FeedbackFormExpired()


def check_answers(form: dict[str, str]) -> FeedbackAnswers:
    answers = FeedbackAnswers(
        service_received=(form.get("service_received") or "").strip(),
        satisfaction=(form.get("satisfaction") or "").strip(),
        improvement=(form.get("improvement") or "").strip()[:1000],
        contact=(form.get("contact") or "").strip()[:20])
    if answers.satisfaction not in ("1", "2", "3", "4", "5"):
        raise InvalidValue(field="satisfaction", reason="请选择满意程度 / please choose how satisfied you are")
    if answers.service_received not in SERVICE_CHOICES:
        raise InvalidValue(field="service_received", reason="请选择您接受的服务 / please choose the service")
    if answers.contact and not (answers.contact.isdigit() and len(answers.contact) == 11):
        raise InvalidValue(field="contact", reason="电话请填 11 位手机号，或留空 / an 11-digit mobile number, or leave it empty")
    return answers


def submit_feedback(station: Station, answers: FeedbackAnswers, client: str, user_agent: str | None,
                    storage: MediaStorage, now: datetime | None = None) -> IngestResult:
    form = form_queries.get_form_by_xml_form_id(FEEDBACK_FORM)
    if form is None or form.current_version is None:
        raise NotFound(what="表单", key=FEEDBACK_FORM)
    now = now or utc_now()
    window = int(now.timestamp()) // DEDUPE_WINDOW_SECONDS
    fingerprint = "|".join((station.code, client, str(window), answers.service_received, answers.satisfaction,
                            answers.improvement, answers.contact))
    instance_id = f"uuid:{uuid.uuid5(FEEDBACK_NAMESPACE, hashlib.sha256(fingerprint.encode()).hexdigest())}"
    moment = datetime.fromtimestamp(window * DEDUPE_WINDOW_SECONDS, CHINA).isoformat(timespec="milliseconds")
    values = {"station_code": station.code, "channel": "plaque", "service_received": answers.service_received,
              "satisfaction": answers.satisfaction, "improvement": answers.improvement, "contact": answers.contact,
              "start": moment, "end": moment, "today": moment[:10], "deviceid": "plaque"}
    xml = build_instance(form.current_version.xml, values, instance_id)
    origin = Origin(submitter=None, device_id="plaque", user_agent=user_agent, station=station)
    return ingest_submission(xml, [], origin, storage)
