"""``GET /healthz``: is the app up and can it reach its database?"""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify(status="error", database="unreachable", detail=exc.__class__.__name__), 503
    return jsonify(status="ok", database=db.engine.dialect.name)
