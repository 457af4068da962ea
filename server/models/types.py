"""Column types shared by the models."""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import DateTime, Enum, TypeDecorator

from server.domain.clock import utc_now

E = TypeVar("E", bound=StrEnum)


def str_enum(enum: type[E], length: int = 20, check: bool = True) -> Enum:
    """Store a StrEnum as its value in a VARCHAR with a CHECK constraint (same on SQLite and PostgreSQL).
    ``check=False`` for columns added to a large table after the fact: adding a CHECK on SQLite means copying
    the table, which its foreign keys would cascade into; the values are still checked on the way in."""
    return Enum(enum, native_enum=False, create_constraint=check, length=length,
                values_callable=lambda e: [m.value for m in e], name=enum.__name__.lower(),
                validate_strings=True)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC values")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """Column defaults take the app's one time source (``domain.clock.utc_now``)."""
    return utc_now()
