"""People who sign in: one role, one scope (an area code)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.domain.access import Role
from server.extensions import db
from server.models.places import Area
from server.models.types import UTCDateTime, str_enum, utcnow


class User(db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # MD5(username:realm:password) for HTTP Digest, the only scheme ODK Collect offers over plain
    # HTTP. Password-equivalent for this realm only; the scrypt hash above serves every other login.
    digest_ha1: Mapped[Optional[str]] = mapped_column(String(32))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    scope_code: Mapped[str] = mapped_column(ForeignKey("area.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scope_area: Mapped[Area] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiSession(db.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; revocation is immediate."""

    __tablename__ = "api_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class CollectToken(db.Model):
    """A worker's ODK Collect token (Central's App User key): the secret part of their server URL.

    Kept readable because the station head shows it again as the worker's settings QR code.
    """

    __tablename__ = "collect_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
