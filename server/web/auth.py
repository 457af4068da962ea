"""Signing in and out of the web pages, the page language, and the signed-in user."""
from __future__ import annotations

import base64
from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from server.boundary import wants_json
from server.domain.access import Role, Scope
from server.errors import AuthenticationRequired, Forbidden, InvalidCredentials, NotFound
from server.extensions import limiter
from server.models import User
from server.services import accounts, onboarding
from server.throttle import sign_in_attempt
from server.web import LANGUAGES, bp

# The office pages are for the people who supervise; workers (and station heads) fill forms in the
# browser (fill.py) when they have no Android phone for ODK Collect.
WEB_ROLES = (Role.ADMIN, Role.COUNTY, Role.STATION)
FILL_ROLES = (Role.WORKER, Role.STATION)


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        signed_in = accounts.user_for_web_session(session.get("session_id") or 0)
        if signed_in is not None and signed_in[0].role == Role.WORKER:
            return redirect(url_for("web.fill_home"))  # a worker's pages are their forms
        if signed_in is None or signed_in[0].role not in WEB_ROLES:
            session.pop("session_id", None)
            return redirect(url_for("web.login", next=request.full_path))
        g.web_user, g.web_session = signed_in
        return view(*args, **kwargs)

    return wrapper


def fill_login_required(view: Callable) -> Callable:
    """Signed in as a worker or station head: a page sends others to sign in; a script's request gets 401 JSON."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        signed_in = accounts.user_for_web_session(session.get("session_id") or 0)
        if signed_in is None:
            session.pop("session_id", None)
            if wants_json():
                raise AuthenticationRequired()
            return redirect(url_for("web.login", next=request.full_path))
        if signed_in[0].role not in FILL_ROLES:
            raise Forbidden()
        g.web_user, g.web_session = signed_in
        return view(*args, **kwargs)

    return wrapper


def current_user() -> User:
    return g.web_user


def current_scope() -> Scope:
    return accounts.scope_of(g.web_user)


def station_in_scope(code: str):
    """The station of township ``code`` if the signed-in user's scope holds it; 404 otherwise."""
    from server.errors import NotFound
    from server.queries import places as place_queries

    station = place_queries.get_station_by_code(code)
    if station is None or not current_scope().contains_path(station.township.path):
        raise NotFound(what="社工站", key=code)
    return station


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "")
    try:
        with sign_in_attempt(username):
            user = accounts.authenticate(username, request.form.get("password", ""))
    except InvalidCredentials:
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=username), 401
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in: nothing set before it survives
    session.permanent = True
    session["session_id"] = accounts.open_web_session(user).id
    if lang:
        session["lang"] = lang
    if user.role == Role.WORKER:
        return redirect(_safe_next(request.args.get("next"), url_for("web.fill_home")))
    return redirect(_safe_next(request.args.get("next")))


def collect_qr_of(user: User) -> str | None:
    """The user's ODK Collect settings QR code as base64 PNG; None when their Collect token was revoked."""
    try:
        return base64.b64encode(onboarding.collect_settings_qr(user)).decode("ascii")
    except NotFound:  # their Collect token was revoked (a lost phone): the station head issues a new one
        return None


@bp.post("/logout")
def logout():
    signed_in = accounts.user_for_web_session(session.get("session_id") or 0)
    if signed_in is not None:
        accounts.close_api_session(signed_in[1])  # a copy of the cookie is worthless from now on
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("web.login"))


@bp.get("/lang/<lang>")
def set_language(lang: str):
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None, home: str | None = None) -> str:
    """Only redirect within this site (never to another host named in ?next=)."""
    home = home or url_for("web.submission_list")
    if not target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return home
    return target
