"""The resident feedback page behind a plaque's QR code: tiny, no login, no script, works in WeChat.

  GET|POST /f/<token>     the questions of the resident_feedback form; POST stores a genuine submission
"""
from __future__ import annotations

from flask import current_app, render_template, request

from server.extensions import limiter
from server.media import media_storage
from server.services import feedback
from server.web import bp

HONEYPOT = "website"  # hidden from people by CSS; robots fill every field


def _client_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT_CLIENT"]


def _station_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT_STATION"]


def _station_key() -> str:
    return "plaque:" + (request.view_args or {}).get("token", "")


@bp.route("/f/<token>", methods=["GET", "POST"])
@limiter.limit(_client_limit, methods=["POST"])
@limiter.limit(_station_limit, methods=["POST"], key_func=_station_key)
def feedback_page(token: str):
    station = feedback.station_for_link(token)
    if request.method == "GET":
        return render_template("feedback.html", station=station, choices=feedback.SERVICE_CHOICES, form={})
    if request.form.get(HONEYPOT):
        return render_template("feedback_thanks.html", station=station)  # say thanks, keep nothing
    answers = feedback.check_answers(request.form)
    feedback.submit_feedback(station, answers, request.remote_addr or "", request.headers.get("User-Agent"),
                             media_storage())
    return render_template("feedback_thanks.html", station=station), 201
