"""HTTP Digest authentication as ODK Collect speaks it (RFC 2617, MD5, qop=auth), and the HA1 an account
stores for it (`services/accounts.py` sets it with the password; `openrosa/auth.py` checks requests).

Pure. Nonces are stateless: a timestamp signed with the app's secret, so any number
of app processes agree on them without shared state. A nonce older than its lifetime
is answered with ``stale=true`` and Collect retries silently with a fresh one.
Collect puts the path *and query* in the digest ``uri`` (``/submission?deviceID=…``).
"""
from __future__ import annotations

import hashlib
import hmac
from enum import Enum
from urllib.parse import unquote

REALM = "lastmeter"
NONCE_LIFETIME_SECONDS = 3600


class NonceState(Enum):
    VALID = "valid"
    STALE = "stale"
    INVALID = "invalid"


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def ha1_for(username: str, password: str) -> str:
    return md5_hex(f"{username}:{REALM}:{password}")


def _sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def make_nonce(secret: str, now: float) -> str:
    stamp = str(int(now))
    return f"{stamp}-{_sign(secret, 'nonce:' + stamp)}"


def make_opaque(secret: str) -> str:
    return _sign(secret, "opaque")


def nonce_state(secret: str, nonce: str, now: float, lifetime: int = NONCE_LIFETIME_SECONDS) -> NonceState:
    stamp, _, signature = nonce.partition("-")
    if not stamp.isdigit() or not hmac.compare_digest(signature, _sign(secret, "nonce:" + stamp)):
        return NonceState.INVALID
    age = now - int(stamp)
    if age < -60:
        return NonceState.INVALID
    return NonceState.STALE if age > lifetime else NonceState.VALID


def challenge(secret: str, now: float, stale: bool = False) -> str:
    header = (f'Digest realm="{REALM}", qop="auth", nonce="{make_nonce(secret, now)}", '
              f'opaque="{make_opaque(secret)}", algorithm=MD5')
    return header + (", stale=true" if stale else "")


def expected_response(ha1: str, method: str, uri: str, nonce: str, nc: str, cnonce: str, qop: str) -> str:
    ha2 = md5_hex(f"{method}:{uri}")
    if qop:
        return md5_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return md5_hex(f"{ha1}:{nonce}:{ha2}")


def uri_matches(digest_uri: str, request_uri: str) -> bool:
    """The digest's uri names this request (compared decoded: proxies re-encode paths)."""
    return unquote(digest_uri) == unquote(request_uri)


def response_valid(ha1: str, method: str, params: dict[str, str]) -> bool:
    qop = params.get("qop", "")
    if qop not in ("", "auth"):
        return False
    wanted = expected_response(ha1, method, params.get("uri", ""), params.get("nonce", ""), params.get("nc", ""),
                               params.get("cnonce", ""), qop)
    return hmac.compare_digest(wanted, params.get("response", ""))
