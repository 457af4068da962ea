"""Signed, time-limited tokens (itsdangerous, which Flask itself ships): the one module that imports it.

A page that must work without cookies (the resident page: WeChat's in-app browser may drop them) carries
such a token in its form instead of a session-bound CSRF token.

Every timestamp in a signature — these tokens and Flask's session cookie (``SessionInterface``) — is taken from
the app's time source (``domain/clock.py``), not the machine's clock: a cookie signed on one machine is not
"from the future" on another whose clock is behind, nor after this machine's clock jumped back.
"""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from server.domain.clock import timestamp


class ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(timestamp())


def _serializer(secret, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=purpose, signer=ClockSigner)


def sign(secret: str, purpose: str, value: str) -> str:
    """``value`` signed for ``purpose`` (a token for one purpose never passes for another), with the time."""
    return _serializer(secret, purpose).dumps(value)


def unsign(secret: str, purpose: str, token: str, max_age_seconds: int) -> str | None:
    """The signed value, or None when the token is missing, forged, made for another purpose or too old."""
    if not token:
        return None
    try:
        value = _serializer(secret, purpose).loads(token, max_age=max_age_seconds)
    except BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, str) else None


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its age judged by the app's clock."""

    def get_signing_serializer(self, app):
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            serializer.signer = ClockSigner
        return serializer
