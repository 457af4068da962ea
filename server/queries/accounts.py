"""Queries on user accounts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from server.extensions import db
from server.models import ApiSession, Area, CollectToken, User


def get_user_by_username(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()


def get_user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_api_session_by_token_hash(token_hash: str) -> ApiSession | None:
    return db.session.scalars(select(ApiSession).where(ApiSession.token_hash == token_hash)).first()


def get_api_session_by_id(session_id: int) -> ApiSession | None:
    return db.session.get(ApiSession, session_id)


def list_open_api_sessions(user_id: int) -> list[ApiSession]:
    query = select(ApiSession).where(ApiSession.user_id == user_id, ApiSession.revoked_at.is_(None))
    return list(db.session.scalars(query))


def get_collect_token(token: str) -> CollectToken | None:
    """The token with its user, in one query (every request from a phone asks)."""
    return db.session.scalars(select(CollectToken).where(CollectToken.token == token)
                              .options(joinedload(CollectToken.user))).first()


def list_active_collect_tokens(user_id: int) -> list[CollectToken]:
    query = (select(CollectToken).where(CollectToken.user_id == user_id, CollectToken.revoked_at.is_(None))
             .order_by(CollectToken.id))
    return list(db.session.scalars(query))


def list_users_by_ids(ids: list[int]) -> list[User]:
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids))))


def list_station_users_in_scope(scope_path: str) -> list[User]:
    """Workers and station heads whose station lies under a scope path (for filters and station pages)."""
    query = (select(User).join(Area, Area.code == User.scope_code)
             .where(Area.path.startswith(scope_path, autoescape=True), User.role.in_(("worker", "station")))
             .order_by(User.username))
    return list(db.session.scalars(query))


def delete_ended_api_sessions(before: datetime) -> int:
    """Remove sessions (API and web) that expired or were revoked before ``before``; returns how many."""
    result = db.session.execute(delete(ApiSession).where(
        or_(ApiSession.expires_at < before, ApiSession.revoked_at < before)))
    return int(result.rowcount or 0)
