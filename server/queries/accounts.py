"""Queries on user accounts."""
from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import ApiSession, User


def get_user_by_username(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()


def get_user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_api_session_by_token_hash(token_hash: str) -> ApiSession | None:
    return db.session.scalars(select(ApiSession).where(ApiSession.token_hash == token_hash)).first()
