"""Pages for people: supervisors and station heads, Chinese first with an English switch.

Route table (views by module):
  auth.py         GET|POST /login, POST /logout, GET /lang/<zh|en>
  submissions.py  GET /submissions, GET /submissions/export?format=csv|xlsx|geojson|media (the list's filters),
                  GET /submissions/<instance_id>,
                  POST /submissions/<instance_id>/review | /comment | /return | /verdict,
                  GET /media/<instance_id>/<name>[?size=240|640|1280]
  cases.py        GET /cases[?q=&station=&category=&risk=&status=&overdue=&returned=&proposed=&sort=&cursor=],
                  GET /cases/<case_id>, POST /cases/<case_id>/close | /reopen | /close-proposal/dismiss
  stations.py     GET /stations, GET /stations/<code>, POST /stations/<code>/record (admin, county),
                  GET /stations/<code>/plaque.<png|pdf>, POST /stations/<code>/plaque-link (admin, county, station:
                  revoke a stolen plaque's link, issue a new one), POST /stations/<code>/plaque-installed (admin,
                  county: §4.6), GET /stations/<code>/workers/<u>/collect-qr.png
  dashboard.py    GET /dashboard[?area=CODE&period=2026-10|2026-Q3|2026-H2], GET /dashboard/print (A4 report),
                  GET /dashboard/report.xlsx (report pack)
  feedback.py     GET|POST /f/<token>[?lang=en]   (public: the resident feedback page behind a plaque's QR code)
  maps.py         GET /visits/map, GET /visits/map.json (the list's filters: the visits on one map)
  volunteers.py   POST /stations/<code>/volunteers/<id>/certificates (issue, admin/county/station),
                  GET /certificates/<number>.pdf, POST /certificates/<number>/revoke,
                  GET /v/<token> (public: a certificate's QR code verification page)
  fill.py         GET /fill/ (workers and station heads: forms in the browser, ODK Web Forms), GET /fill/<form>,
                  GET /fill/returned/<instance_id> (edit a returned visit), POST /fill/submission, the form's
                  files, GET /fill/status, GET /fill/sw.js (offline), GET /fill/collect (Collect QR code)
  quality.py      GET /quality[?station=&months=3|6|12] (visit quality: authenticity flags per 100 visits),
                  GET|POST /quality/thresholds/<county> (admin, county: the county's own thresholds)
  audit.py        GET /audit[?user=&object_type=&object_id=&from=&to=&cursor=] (admin: the audit log)
  integrations.py GET|POST /integrations, GET /integrations/<id>, POST /integrations/<id>/test | /pause | /resume |
                  /delete | /deliveries/<d>/resend (admin, county: webhooks and chat robots, their delivery logs);
                  GET /alerts[?rule=&cursor=] (the alerts raised for chat groups, every office role)
Every page is scoped: a county user sees only their county, a station user only their station,
and anything else answers 404. Every POST carries a CSRF token; sign-in is rate limited.
"""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, session, url_for

from server.extensions import babel, csrf, limiter

bp = Blueprint("web", __name__, template_folder="../templates/web")
LANGUAGES = ("zh", "en")


def init_app(app: Flask) -> None:
    from server.web import (audit, auth, cases, dashboard, feedback, fill, integrations,  # noqa: F401  (routes register on bp)
                            maps, projects, quality, stations, submissions, volunteers)

    from server.domain.clock import beijing_time

    app.add_template_filter(beijing_time, "beijing")  # every time on a page is Beijing time
    babel.init_app(app, locale_selector=_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    app.register_blueprint(bp)
    app.after_request(_security_headers)


def exempt_from_csrf(blueprint: Blueprint) -> None:
    """Token-authenticated APIs (REST, OpenRosa) carry no session cookie to forge requests with."""
    csrf.exempt(blueprint)


def _locale() -> str:
    # The resident page names its language in the URL too: WeChat's browser may not keep the cookie.
    lang = request.args.get("lang") if request.endpoint == "web.feedback_page" else None
    lang = lang if lang in LANGUAGES else session.get("lang")
    return lang if lang in LANGUAGES else "zh"


def _security_headers(response):
    if request.blueprint != "web" and response.mimetype != "text/html":
        return response  # OpenRosa XML and JSON; every page, even a 404 outside the blueprint, is covered
    from server.media import media_storage
    from server.services.media import download_origin

    from server.web.maps import map_tiles

    tiles = map_tiles()
    image_hosts = tiles.image_origins() if tiles else set()
    signed = download_origin(media_storage())  # photos redirected to signed object-storage URLs
    if signed:
        image_hosts.add(signed)
    tile_hosts = " ".join(sorted(image_hosts))
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src 'self' data: {tile_hosts}; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@bp.get("/")
def home():
    return redirect(url_for("web.submission_list"))
