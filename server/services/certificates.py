"""志愿服务证明: certificates of a volunteer's hours over a period (docs/volunteers.md).

Issued by a station head, county supervisor or admin from the ledger; numbered per station and year; the facts
certified (hours, activities and their list) are copied into the certificate when it is issued, so what the QR
code's public page confirms is exactly what was printed — even if a record is rejected later (then revoke it and
issue a new one). Issuing, downloading and revoking are audited.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy.exc import IntegrityError

from server.adapters.glyphs import missing_characters
from server.adapters.pdf import render_certificate_pdf
from server.adapters.qr import qr_matrix
from server.domain.access import Role
from server.domain.certificate import certificate_layout
from server.domain.clock import today_in_china
from server.domain.volunteers import certificate_number, check_period
from server.errors import Conflict, InvalidValue
from server.extensions import db
from server.models import StaffMember, Station, User
from server.models.types import utcnow
from server.models.volunteers import VolunteerCertificate
from server.queries import volunteers as queries
from server.services import audit
from server.services.plaques import plaque_font

ISSUERS = (Role.ADMIN, Role.COUNTY, Role.STATION)


@dataclass(frozen=True)
class CertificateFile:
    content: bytes
    filename: str


def verify_url(certificate: VolunteerCertificate) -> str:
    return f"{current_app.config['PUBLIC_URL']}/v/{certificate.token}"


def issue(station: Station, member: StaffMember, start: date | None, end: date | None, user: User | None,
          today: date | None = None) -> VolunteerCertificate:
    today = today or today_in_china()
    problem = check_period(start, end, today)
    if problem:
        raise InvalidValue(field="period", reason=problem)
    rows = queries.volunteer_ledger_of(member.id, start, end)
    if not rows:
        raise InvalidValue(field="period", reason="该志愿者在此期间没有已计入的服务记录 / no counted service in this period")
    minutes, activities = rows
    font = plaque_font()
    missing = missing_characters(*font, member.name + station.official_name)
    if missing:
        raise InvalidValue(field="name", reason=f"字库缺少“{''.join(missing)}”，无法印制 / the typeface lacks "
                                                f"{''.join(missing)}")
    lines = [(day, _printable(title, font), part) for day, title, part in queries.activities_of(member.id, start, end)]
    for _ in range(5):  # two issuers at the same moment: the later takes the next number
        serial = queries.next_certificate_serial(station.code, today.year)
        certificate = VolunteerCertificate(
            number=certificate_number(station.code, today.year, serial), token=secrets.token_urlsafe(18),
            staff_member_id=member.id, volunteer_name=member.name, station_code=station.code,
            station_name=station.official_name, period_from=start, period_to=end, minutes=minutes,
            activities=activities, activity_lines=[[d.isoformat(), t, m] for d, t, m in lines], issued_on=today,
            issued_by_id=user.id if user else None, issued_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
            break
        except IntegrityError:
            continue
    else:
        raise Conflict(reason="证明编号冲突，请重试 / the number was taken; try again")
    audit.record("volunteer.certificate_issue", "station", station.code,
                 {"certificate": certificate.number, "volunteer": member.id}, user)
    return certificate


def _printable(title: str, font: tuple[str, int]) -> str:
    """An activity title as the certificate can print it: one line, without characters the typeface lacks (an
    emoji typed on a phone) — every certificate issued can be printed."""
    text = " ".join(title.split())
    lacking = set(missing_characters(*font, text))
    return "".join(c for c in text if c not in lacking and c.isprintable())


def revoke(certificate: VolunteerCertificate, reason: str, user: User | None) -> None:
    text = (reason or "").strip()[:500]
    if not text:
        raise InvalidValue(field="reason", reason="请写明撤销原因，核验页面会显示 / give the reason; the verification "
                                                  "page shows it")
    if certificate.revoked_at is not None:
        raise Conflict(reason="该证明已撤销 / already revoked")
    certificate.revoked_at, certificate.revoked_reason = utcnow(), text
    audit.record("volunteer.certificate_revoke", "station", certificate.station_code,
                 {"certificate": certificate.number, "reason": text}, user)


def render(certificate: VolunteerCertificate) -> CertificateFile:
    url = verify_url(certificate)
    layout = certificate_layout(
        certificate.number, certificate.volunteer_name, certificate.station_name, certificate.period_from,
        certificate.period_to, certificate.minutes, certificate.activities,
        [(date.fromisoformat(d), t, m) for d, t, m in certificate.activity_lines or []], certificate.issued_on, url)
    return CertificateFile(render_certificate_pdf(layout, qr_matrix(url, level="M"), plaque_font()),
                           f"volunteer-certificate-{certificate.number}.pdf")
