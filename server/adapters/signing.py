"""Signed, time-limited tokens (itsdangerous, which Flask itself ships): the one module that imports it.

A page that must work without cookies (the resident page: WeChat's in-app browser may drop them) carries
such a token in its form instead of a session-bound CSRF token.
"""
from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer


def sign(secret: str, purpose: str, value: str) -> str:
    """``value`` signed for ``purpose`` (a token for one purpose never passes for another), with the time."""
    return URLSafeTimedSerializer(secret, salt=purpose).dumps(value)


def unsign(secret: str, purpose: str, token: str, max_age_seconds: int) -> str | None:
    """The signed value, or None when the token is missing, forged, made for another purpose or too old."""
    if not token:
        return None
    try:
        value = URLSafeTimedSerializer(secret, salt=purpose).loads(token, max_age=max_age_seconds)
    except BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, str) else None
