"""Volunteer service on pages (docs/volunteers.md): the station page's ledger and certificates, a certificate's
PDF, revoking one, and the public page a certificate's QR code opens."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from server.domain.access import Scope
from server.domain.clock import parse_day
from server.domain.volunteers import TARGET_VOLUNTEERS, hours_text, masked_volunteer_name
from server.errors import Conflict, InvalidValue, LastmeterError, NotFound
from server.models.volunteers import VolunteerCertificate
from server.queries import volunteers as queries
from server.services import audit, certificates, volunteers
from server.web import bp
from server.web.auth import current_user, login_required, station_in_scope
from server.web.labels import refusal

ISSUERS = certificates.ISSUERS


def _period(args, today: date) -> tuple[date, date]:
    try:
        start = parse_day(args.get("vfrom", ""), "vfrom") or date(today.year, 1, 1)
        end = parse_day(args.get("vto", ""), "vto") or today
    except LastmeterError:
        start, end = date(today.year, 1, 1), today
    return (start, end) if start <= end else (date(today.year, 1, 1), today)


def volunteer_section(scope: Scope, station, today: date, error: str | None, typed) -> dict:
    """What the station page shows of volunteering: the period's ledger, the station's totals against the 30,
    and its certificates."""
    start, end = _period(typed if typed and "vfrom" in typed else request.args, today)
    totals = volunteers.station_volunteering(scope, [station.code], start, end)[station.code]
    return {"volunteer_ledger": volunteers.ledger(scope, start, end, station.code), "volunteer_totals": totals,
            "volunteer_from": start, "volunteer_to": end, "volunteer_target": TARGET_VOLUNTEERS,
            "certificates": queries.list_certificates(station.code), "hours_text": hours_text,
            "can_certify": current_user().role in ISSUERS, "certificate_error": error}


@bp.post("/stations/<code>/volunteers/<int:member_id>/certificates")
@login_required
def certificate_issue(code: str, member_id: int):
    station = station_in_scope(code)
    member = queries.get_volunteer(station.code, member_id)
    if member is None:
        raise NotFound(what="志愿者", key=str(member_id))
    if current_user().role not in ISSUERS:
        raise NotFound(what="页面", key=request.path)
    form = request.form
    try:
        start = parse_day(form.get("vfrom", ""), "vfrom")
        end = parse_day(form.get("vto", ""), "vto")
        certificate = certificates.issue(station, member, start, end, current_user())
    except (InvalidValue, Conflict) as error:
        from server.web.stations import _station_page

        return _station_page(station, errors={"certificate": refusal(error)}, typed=form, status=error.http_status)
    flash(_("Certificate %(number)s issued.", number=certificate.number), "ok")
    return redirect(url_for("web.station_detail", code=station.code, _anchor="volunteers"))


def _certificate(number: str) -> VolunteerCertificate:
    certificate = queries.get_certificate(number)
    if certificate is None or current_user().role not in ISSUERS:
        raise NotFound(what="志愿服务证明", key=number)
    station_in_scope(certificate.station_code)
    return certificate


@bp.get("/certificates/<number>.pdf")
@login_required
def certificate_pdf(number: str):
    certificate = _certificate(number)
    made = certificates.render(certificate)
    audit.record("volunteer.certificate_download", "station", certificate.station_code,
                 {"certificate": certificate.number})
    return send_file(BytesIO(made.content), mimetype="application/pdf", download_name=made.filename)


@bp.post("/certificates/<number>/revoke")
@login_required
def certificate_revoke(number: str):
    certificate = _certificate(number)
    try:
        certificates.revoke(certificate, request.form.get("reason", ""), current_user())
    except (InvalidValue, Conflict) as error:
        from server.web.stations import _station_page

        return _station_page(station_in_scope(certificate.station_code), errors={"certificate": refusal(error)},
                             typed=request.form, status=error.http_status)
    flash(_("Certificate %(number)s revoked: its verification page now says so.", number=certificate.number), "ok")
    return redirect(url_for("web.station_detail", code=certificate.station_code, _anchor="volunteers"))


@bp.get("/v/<token>")
def certificate_verify(token: str):
    """Public: what a school or employer sees after scanning the certificate's QR code (the name partly masked)."""
    certificate = queries.get_certificate_by_token(token)
    if certificate is None:
        return render_template("certificate_verify.html", certificate=None), 404
    return render_template("certificate_verify.html", certificate=certificate,
                           name=masked_volunteer_name(certificate.volunteer_name),
                           hours=hours_text(certificate.minutes))
