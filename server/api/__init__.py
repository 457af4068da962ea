"""The JSON REST API under ``/api/v1`` (bearer tokens from ``POST /api/v1/sessions``).

Route table — one module per resource:
- ``sessions.py``  POST /sessions, DELETE /sessions/current
- ``forms.py``     GET /forms, POST /forms (admin: publish an XLSForm)
- ``users.py``     GET /users/<u>/collect-settings, POST|DELETE /users/<u>/collect-token
- ``cases.py``     GET /cases, GET /cases/<id>, POST /cases/<id>/close|reopen, POST /cases/import, GET /overdue,
  GET|PUT /visit-intervals
- ``indicators.py`` GET /indicators?area=&from=&to=, GET /stations/<code>/compliance
- ``stations.py``  POST /stations/import, POST /stations/staff/import (station records and staff from a file),
                   POST /stations/<code>/plaque-link (a stolen plaque: revoke its link, issue a new one)
- ``submissions.py`` GET /submissions, GET /submissions/export?format=csv|xlsx|geojson|media,
  GET /submissions/<instance_id>, …/attachments/<name>[?size=]
- ``review.py``    PATCH /submissions/<instance_id> {"reviewState"}, POST …/comments, POST …/return,
  PUT …/exclusion (resident feedback out of the indicators, with a reason), POST …/verdict (genuine or not, on a
  visit the authenticity checks flagged)
- ``quality.py``   GET /quality (authenticity flags per 100 visits by station, worker and month),
  GET|PUT /counties/<code>/authenticity-thresholds
- ``volunteers.py`` GET /volunteers (the volunteer ledger: hours per volunteer and station)
- ``projects.py``  GET|POST /projects, GET|PUT /projects/<id>, PUT /projects/<id>/spending/<YYYY-MM>,
  GET|PUT /counties/<code>/money/<year> (purchased-service projects, their A1 budgets and spending; §4.5's cap)
- ``openapi.py``  GET /openapi.json (public: this table as an OpenAPI 3 document; a test keeps them equal)
- ``audit.py``     GET /audit (admin: the audit log, filters user, object_type, object_id, from, to)
``health.py`` holds ``GET /healthz`` outside the versioned prefix.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from server.api import (alerts, audit, cases, changes, forms, health, indicators, openapi, review,  # noqa: F401
                            projects, quality, sessions, stations, submissions, users, volunteers, webhooks)

    app.register_blueprint(bp)
    app.register_blueprint(health.bp)
