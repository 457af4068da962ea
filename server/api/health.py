"""``GET /healthz``: is the app up, can it reach its database and its file storage, are received visits being applied?

- ``200 {"status": "ok"}``: up;
- ``200 {"status": "degraded", "problems": [...]}``: up, but
  ``"jobs"``: the oldest visit waiting to be applied to its case has waited longer than ``LAG_DEGRADED_SECONDS`` —
  no job worker is running, or it cannot keep up (docs/deploy.md, "Background jobs"); phones' visits are still
  received and acknowledged;
  ``"storage"``: files cannot be stored — the bucket does not answer, or the disk under the media folder or the
  upload spool has less than ``LASTMETER_STORAGE_MIN_FREE_BYTES`` free (``storage_problem`` says which); visits
  with photos get 503/507 until it is mended (docs/deploy.md, "When things break");
  ``"ratelimit"``: the shared rate-limit counters (Redis, ``LASTMETER_RATELIMIT_STORAGE_URL``) do not answer —
  each app process counts failed sign-ins and feedback alone meanwhile (``server/throttle.py``);
  ``"clock"``: this machine's clock is more than a minute from the database's (``clock_skew_seconds``, positive:
  ahead) — the app keeps time by the database's clock meanwhile (``domain/clock.py``), but the machine's clock
  should be mended (NTP);
  A load balancer keeps sending traffic (pages, lists and visits without files still work); monitoring should page
  someone;
- ``503 {"status": "error"}``: the database cannot be reached.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server import throttle
from server.domain.clock import SKEW_TOLERANCE_SECONDS, elapsed_seconds, skew_seconds
from server.extensions import db
from server.media import media_storage
from server.queries import submissions as submission_queries

bp = Blueprint("health", __name__)
LAG_DEGRADED_SECONDS = 120  # appliers look every quarter second: two minutes means none is at work


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        waiting, oldest = submission_queries.pending_versions_summary()
    except SQLAlchemyError as exc:
        return jsonify(status="error", database="unreachable", detail=exc.__class__.__name__), 503
    lag = elapsed_seconds(oldest) if oldest is not None else 0.0
    storage = media_storage().problem(int(current_app.config["STORAGE_MIN_FREE_BYTES"]))
    skew = skew_seconds()
    problems = [name for name, failing in (("jobs", lag > LAG_DEGRADED_SECONDS), ("storage", storage),
                                           ("ratelimit", not throttle.shared_counters_answer()),
                                           ("clock", skew is not None and abs(skew) > SKEW_TOLERANCE_SECONDS))
                if failing]
    return jsonify(status="degraded" if problems else "ok", problems=problems, database=db.engine.dialect.name,
                   visits_waiting=waiting, oldest_waiting_seconds=round(lag, 1), storage_problem=storage,
                   clock_skew_seconds=None if skew is None else round(skew, 1))
