"""POST /api/v1/sessions (sign in, get a bearer token) and DELETE /api/v1/sessions/current."""
from __future__ import annotations

from flask import g, request

from server.api import bp
from server.api.auth import authenticated
from server.api.schemas import SessionRequestSchema, SessionSchema, load
from server.services import accounts
from server.throttle import sign_in_attempt


@bp.post("/sessions")
def create_session():
    body = load(SessionRequestSchema(), request.get_json(silent=True))
    with sign_in_attempt(body["username"]):
        token, session = accounts.open_api_session(body["username"], body["password"])
    return SessionSchema().dump({"token": token, "expires_at": session.expires_at, "user": session.user}), 201


@bp.delete("/sessions/current")
@authenticated()
def delete_session():
    accounts.close_api_session(g.api_session)
    return "", 204
