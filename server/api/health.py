"""``GET /healthz``: is the app up, can it reach its database, and are received visits being applied?

- ``200 {"status": "ok"}``: up;
- ``200 {"status": "degraded", "problems": ["jobs"]}``: up — phones' visits are received and acknowledged — but the
  oldest visit waiting to be applied to its case has waited longer than ``LAG_DEGRADED_SECONDS``: no job worker
  is running, or it cannot keep up (docs/deploy.md, "Background jobs"). A load balancer keeps sending traffic;
  monitoring should page someone;
- ``503 {"status": "error"}``: the database cannot be reached.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.extensions import db
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
    lag = (datetime.now(timezone.utc) - oldest).total_seconds() if oldest is not None else 0.0
    problems = ["jobs"] if lag > LAG_DEGRADED_SECONDS else []
    return jsonify(status="degraded" if problems else "ok", problems=problems, database=db.engine.dialect.name,
                   visits_waiting=waiting, oldest_waiting_seconds=round(max(lag, 0.0), 1))
