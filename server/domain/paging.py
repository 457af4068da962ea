"""Keyset pagination cursors: opaque to clients, plain values inside. Pure."""
from __future__ import annotations

import base64
import json

from server.errors import BadRequest


def encode_cursor(*values: object) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_typed(cursor: str, *parsers) -> tuple:
    """Decode a cursor and turn each value back into its type (``date.fromisoformat``, ``int``…)."""
    values = decode_cursor(cursor, len(parsers))
    try:
        return tuple(parse(value) for parse, value in zip(parsers, values))
    except (TypeError, ValueError) as exc:
        raise BadRequest(reason="分页游标无效 / invalid cursor") from exc


def page_of(found: list, limit: int, key) -> tuple[list, str | None]:
    """Split ``limit + 1`` fetched rows into the page and the cursor of the next one (None at the end)."""
    page = found[:limit]
    return page, (encode_cursor(*key(page[-1])) if len(found) > limit else None)


def decode_cursor(cursor: str, size: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(reason="分页游标无效 / invalid cursor") from exc
    if not isinstance(values, list) or len(values) != size:
        raise BadRequest(reason="分页游标无效 / invalid cursor")
    return values
