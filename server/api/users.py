"""A worker's ODK Collect access: settings, token reissue and revocation.

  GET    /api/v1/users/<username>/collect-settings   settings JSON (+ QR payload) for the settings QR code
  POST   /api/v1/users/<username>/collect-token      issue a new token (the old one stops working)
  DELETE /api/v1/users/<username>/collect-token      revoke (a lost phone)
Admins may do this for any Collect user (worker or station head); county and station users for those in
their scope. Anyone else, or an account without Collect access, answers 404.
"""
from __future__ import annotations

from server.api import bp
from server.api.auth import authenticated, current_user
from server.domain.access import Role
from server.domain.collect_settings import qr_payload
from server.errors import NotFound
from server.models import User
from server.queries.accounts import get_user_by_username
from server.services import accounts
from server.services.onboarding import collect_settings_for

MANAGERS = (Role.ADMIN, Role.COUNTY, Role.STATION)


def _managed_user(username: str) -> User:
    """The Collect user (worker or station head), if the caller's scope covers them; otherwise 404, so scope
    leaks nothing — a supervisor's or admin's account has no Collect access to manage."""
    user = get_user_by_username(username.strip().lower())
    if (user is None or user.role not in accounts.COLLECT_ROLES
            or not accounts.scope_of(current_user()).contains_path(user.scope_area.path)):
        raise NotFound(what="用户", key=username)
    return user


def _settings_body(user: User) -> dict:
    settings = collect_settings_for(user)
    return {"username": user.username, "server_url": settings["general"]["server_url"], "settings": settings,
            "qr_payload": qr_payload(settings).decode("ascii")}


@bp.get("/users/<username>/collect-settings")
@authenticated(*MANAGERS)
def get_collect_settings(username: str):
    return _settings_body(_managed_user(username))


@bp.post("/users/<username>/collect-token")
@authenticated(*MANAGERS)
def reissue_collect_token(username: str):
    user = _managed_user(username)
    accounts.issue_collect_token(user)
    return _settings_body(user), 201


@bp.delete("/users/<username>/collect-token")
@authenticated(*MANAGERS)
def revoke_collect_token(username: str):
    accounts.revoke_collect_tokens(_managed_user(username))
    return "", 204
