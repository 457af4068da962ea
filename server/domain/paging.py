"""Keyset pagination cursors: opaque to clients, plain values inside. Pure.

A cursor comes back from the client and may be anything: every one is decoded through one schema (a
cursor shape), which bounds its length and each value's type and range before any query sees it —
an id past SQLite's 64-bit integers, a naive or out-of-range time, an overlong key are a 400, never a 500.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime, timezone
from typing import Callable

from server.errors import BadRequest

MAX_CURSOR_CHARS = 1024  # a cursor ending on a 200-character Chinese label is about 800
ROW_ID_MAX = 2**31 - 1  # the id columns are INTEGER: PostgreSQL refuses more, SQLite overflows past 2^63
KEY_MAX_CHARS = 64


def row_id(value: object) -> int:
    """A row id: an integer (never a boolean or a float) within the id columns' range on both databases."""
    if type(value) is not int or not 0 <= value <= ROW_ID_MAX:
        raise ValueError(value)
    return value


def moment(value: object) -> datetime:
    """An instant, as an aware UTC datetime (a time written without an offset is UTC, as the server writes it)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(value)
    parsed = datetime.fromisoformat(value)
    return (parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed).astimezone(timezone.utc)


def day(value: object) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError(value)
    return date.fromisoformat(value)


def text_key(value: object) -> str:
    """A text key (a case's UUID): short, printable."""
    if not isinstance(value, str) or not 0 < len(value) <= KEY_MAX_CHARS or not value.isprintable():
        raise ValueError(value)
    return value


def label(value: object) -> str:
    """A case's label (what a list sorted by name pages on): text of at most the column's 200 characters."""
    if not isinstance(value, str) or len(value) > 200 or "\x00" in value:
        raise ValueError(value)
    return value


# The cursor shapes of the app's lists.
BY_TIME = (moment, row_id)   # submissions and audit events: newest first by (created_at, id)
BY_DUE = (day, text_key)     # cases: most overdue first by (next_due, id)
BY_LABEL = (label, text_key)  # cases by name: (label, id)


def encode_cursor(*values: object) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str, ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_typed(cursor: str, *parsers: Callable[[object], object]) -> tuple:
    """Decode a cursor and turn each value back into its type through ``parsers`` (a cursor shape)."""
    values = decode_cursor(cursor, len(parsers))
    try:
        return tuple(parse(value) for parse, value in zip(parsers, values))
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadRequest(reason="分页游标无效 / invalid cursor") from exc


def page_of(found: list, limit: int, key) -> tuple[list, str | None]:
    """Split ``limit + 1`` fetched rows into the page and the cursor of the next one (None at the end)."""
    page = found[:limit]
    return page, (encode_cursor(*key(page[-1])) if len(found) > limit else None)


def decode_cursor(cursor: str, size: int) -> list:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadRequest(reason="分页游标无效 / invalid cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, RecursionError) as exc:
        raise BadRequest(reason="分页游标无效 / invalid cursor") from exc
    if not isinstance(values, list) or len(values) != size:
        raise BadRequest(reason="分页游标无效 / invalid cursor")
    return values
