"""Who is calling an OpenRosa URL: a token in the path, or Digest/Basic credentials.

- ``/key/<token>/…``: the token must be a live Collect token, else 403 — never 401, which
  would make Collect prompt for a password (ODK Central does the same).
- otherwise: no or bad credentials get 401 with a Digest challenge (and Basic over HTTPS).
Failed passwords and unknown tokens are counted (``server/throttle.py``): too many answer 429 with Retry-After.
"""
from __future__ import annotations


from flask import current_app, g, request

from server.errors import AuthenticationRequired, BadRequest, Forbidden, InvalidCredentials
from server.models import User
from server.domain import clock, digest
from server.services import accounts
from server.throttle import collect_token_attempt, sign_in_attempt


def authenticate_request(token: str | None) -> User:
    g.collect_token = token
    if token is not None:
        with collect_token_attempt():
            return accounts.user_for_collect_token(token)
    credentials = request.authorization
    if credentials is None:
        raise AuthenticationRequired()
    if credentials.type == "digest":
        return _digest_user(credentials.parameters)
    if credentials.type == "basic":
        return _basic_user(credentials.username or "", credentials.password or "")
    raise AuthenticationRequired()


def _digest_user(params: dict[str, str]) -> User:
    secret = str(current_app.config["SECRET_KEY"])
    state = digest.nonce_state(secret, params.get("nonce", ""), clock.timestamp())
    if state is digest.NonceState.INVALID or params.get("realm") != digest.REALM:
        raise InvalidCredentials()
    if not any(digest.uri_matches(params.get("uri", ""), uri) for uri in _request_uris()):
        raise BadRequest(reason="Digest uri 与请求地址不符 / the Digest uri does not match the request")
    with sign_in_attempt(params.get("username", "")):
        user = accounts.user_for_digest(params.get("username", ""))
        if user is None or not digest.response_valid(user.digest_ha1 or "", request.method, params):
            raise InvalidCredentials()
        if state is digest.NonceState.STALE:
            raise InvalidCredentials(stale=True)  # the password was right: not counted as a failure
    return _collect_user(user)


def _basic_user(username: str, password: str) -> User:
    if request.scheme != "https":
        # OpenRosa forbids Basic over plain HTTP; the password would cross the network in clear.
        raise InvalidCredentials()
    with sign_in_attempt(username):
        user = accounts.authenticate(username, password)
    return _collect_user(user)


def _collect_user(user: User) -> User:
    if user.role not in accounts.COLLECT_ROLES:
        raise Forbidden()
    return user


def _request_uris() -> list[str]:
    """The request's path and query as the client wrote it, with and without a proxy's prefix."""
    query = request.query_string.decode("latin-1")
    rebuilt = request.path + (f"?{query}" if query else "")
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or rebuilt
    return [raw, request.script_root + raw, request.script_root + rebuilt]
