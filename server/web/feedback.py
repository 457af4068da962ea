"""The resident feedback page behind a plaque's QR code: tiny, no login, no script, works in WeChat.

  GET|POST /f/<token>[?lang=en]   the questions of the resident_feedback form; POST stores a genuine submission

A resident never loses their answers: the form carries a signed token instead of a session-bound CSRF token
(WeChat's in-app browser may drop cookies), and every refusal — a question left out, a page left open for a
day, too many sends, a failure to save — shows the form again, filled in as they left it, with a sentence a
resident understands. A mistyped or retired plaque link gets a page of its own, with the station's phone
when the link named a station. The language is chosen by ``?lang=`` as well as the cookie, for the same reason.
"""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import get_locale

from server.boundary import cacheable
from server.errors import InvalidValue, LastmeterError, NotFound
from server.extensions import csrf, limiter
from server.media import media_storage
from server.models import Station
from server.services import feedback
from server.web import bp

HONEYPOT = "website"  # hidden from people by CSS; robots fill every field
ANSWER_FIELDS = ("satisfaction", "service_received", "improvement", "contact")


def _client_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT_CLIENT"]


def _station_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT_STATION"]


def _station_key() -> str:
    return "plaque:" + (request.view_args or {}).get("token", "")


def _too_many(_limit):
    """Past a rate limit: the same form with the answers kept, and 'try again in a few minutes'."""
    token = (request.view_args or {}).get("token", "")
    try:
        station = feedback.station_for_link(token)
    except LastmeterError:
        return None  # the link itself is wrong: the plain 429 page
    return current_app.make_response(_form_page(station, token, "too_many", 429))


@bp.route("/f/<token>", methods=["GET", "POST"])
@cacheable("no-cache")  # the blank form holds no personal data: revalidated, as its signed token is fresh
@csrf.exempt  # protected by the signed form token instead: see the module docstring
@limiter.limit(_client_limit, methods=["POST"], on_breach=_too_many)
@limiter.limit(_station_limit, methods=["POST"], key_func=_station_key, on_breach=_too_many)
def feedback_page(token: str):
    try:
        station = feedback.station_for_link(token)
    except (NotFound, feedback.LinkRevoked) as error:
        return _link_problem(token, error)
    if request.method == "GET":
        return _form_page(station, token)
    if request.form.get(HONEYPOT):
        return _render("feedback_thanks.html", station=station)  # say thanks, keep nothing
    try:
        feedback.check_feedback_form_token(request.form.get("csrf_token", ""), token, _secret())
        answers = feedback.check_answers(request.form)
        feedback.submit_feedback(station, answers, request.remote_addr or "", request.headers.get("User-Agent"),
                                 media_storage())
    except feedback.FeedbackFormExpired:
        return _form_page(station, token, "expired", 400)
    except InvalidValue as error:
        return _form_page(station, token, str(error.details.get("field", "not_saved")), 400)
    except LastmeterError as error:
        return _form_page(station, token, "not_saved", error.http_status)
    return _render("feedback_thanks.html", station=station), 201


def _form_page(station: Station, token: str, problem: str = "", status: int = 200):
    answers = {name: request.form.get(name, "") for name in ANSWER_FIELDS} if request.method == "POST" else {}
    page = _render("feedback.html", station=station, token=token, choices=feedback.SERVICE_CHOICES, answers=answers,
                           problem=problem, phone=feedback.station_phone(station) if problem else None,
                           form_token=feedback.feedback_form_token(token, _secret()))
    return page, status


def _link_problem(token: str, error: LastmeterError):
    station = feedback.revoked_link_station(token) if isinstance(error, feedback.LinkRevoked) else None
    return _render("feedback_link.html", revoked=station is not None, station=station,
                           phone=feedback.station_phone(station) if station else None), error.http_status


def _render(template: str, **context) -> str:
    return render_template(template, lang=str(get_locale()), **context)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]
