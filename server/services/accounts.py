"""User accounts: creation with role and scope rules, password checks, scopes."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from server.domain.access import ROLE_NAMES_ZH, STATION_ROLES, Role, Scope, scope_level_allowed
from server.domain.clock import utc_now
from server.domain.passwords import password_problem
from server.domain.places import LEVEL_NAMES_ZH
from server.errors import AuthenticationRequired, Conflict, Forbidden, InvalidCredentials, InvalidValue, NotFound
from server.extensions import db
from server.models import ApiSession, CollectToken, User
from server.domain.digest import ha1_for
from server.queries import accounts as queries
from server.queries import places as place_queries

# Roles that fill forms in ODK Collect: they get a Collect token and a Digest credential.
COLLECT_ROLES = STATION_ROLES
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# scrypt is the KDF werkzeug uses by default; named here so the choice is explicit.
PASSWORD_METHOD = "scrypt"
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = generate_password_hash("lastmeter-timing-guard", method=PASSWORD_METHOD)


def check_password_policy(password: str, username: str = "") -> None:
    """InvalidValue naming the rule a new password breaks (``domain/passwords.py``); the password is never shown."""
    problem = password_problem(password, username)
    if problem is not None:
        raise InvalidValue(field="password", reason=f"{problem[0]} / {problem[1]}")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return generate_password_hash(password, method=PASSWORD_METHOD)


def create_user(username: str, role: Role | str, scope_code: str, password: str, display_name: str = "",
                password_hash: str | None = None) -> User:
    """Create a user whose scope is an area of the level their role needs.

    ``password_hash`` (from ``hash_password(password)``) spares the KDF when many accounts are
    made with one password at once, as the demo data does.
    """
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise InvalidValue(field="username",
                           reason="用户名为 3–64 位小写字母、数字、点、下划线或连字符 / "
                                  "3–64 lowercase letters, digits, '.', '_' or '-'")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidValue(field="role", reason=f"应为 {', '.join(Role)} 之一 / must be one of {', '.join(Role)}")
    check_password_policy(password, username)
    area = place_queries.get_area_by_code(scope_code)
    if area is None:
        raise NotFound(what="区划", key=scope_code)
    if not scope_level_allowed(role, area.level):
        raise InvalidValue(field="scope", reason=f"{ROLE_NAMES_ZH[role]}的范围不能是{LEVEL_NAMES_ZH[area.level]} "
                                                 f"{area.name} / a {role} cannot have a {area.level} as scope")
    if role in (Role.STATION, Role.WORKER) and place_queries.get_station_by_code(scope_code) is None:
        raise NotFound(what="社工站", key=scope_code)
    if queries.get_user_by_username(username) is not None:
        raise Conflict(reason=f"用户名 {username} 已存在 / username {username} is taken")
    user = User(username=username, display_name=display_name or username, role=role, scope_code=scope_code,
                password_hash=password_hash or generate_password_hash(password, method=PASSWORD_METHOD),
                digest_ha1=ha1_for(username, password) if role in COLLECT_ROLES else None)
    db.session.add(user)
    db.session.flush()
    if role in COLLECT_ROLES:
        issue_collect_token(user)
    return user


def set_password(user: User, password: str, now: datetime | None = None) -> None:
    """A new password; every open web and API session of the user ends with the old one."""
    check_password_policy(password, user.username)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.digest_ha1 = ha1_for(user.username, password) if user.role in COLLECT_ROLES else None
    for session in queries.list_open_api_sessions(user.id):
        session.revoked_at = now or utc_now()
    db.session.flush()


def authenticate(username: str, password: str) -> User:
    """The active user with these credentials, or InvalidCredentials (same error either way)."""
    user = queries.get_user_by_username(username.strip().lower())
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidCredentials()
    if not check_password_hash(user.password_hash, password) or not user.active:
        raise InvalidCredentials()
    return user


def scope_of(user: User) -> Scope:
    return Scope(role=user.role, area_code=user.scope_code, area_path=user.scope_area.path)


API_SESSION_LIFETIME = timedelta(hours=12)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_api_session(username: str, password: str, now: datetime | None = None) -> tuple[str, ApiSession]:
    """Check the credentials and issue a bearer token (returned once; only its hash is kept)."""
    return _new_session(authenticate(username, password), now)


def open_web_session(user: User, now: datetime | None = None) -> ApiSession:
    """The server-side record of a web sign-in: the signed cookie names it, sign-out revokes it.

    Flask's cookie is only signed, so without this a copy of it taken before sign-out would stay
    good for its whole lifetime. Its token is never handed out, so it is no bearer token either.
    """
    return _new_session(user, now)[1]


def user_for_web_session(session_id: int, now: datetime | None = None) -> tuple[User, ApiSession] | None:
    found = queries.get_api_session_by_id(session_id)
    return (found.user, found) if _live(found, now) else None


def _live(session: ApiSession | None, now: datetime | None) -> bool:
    """Read from the database on every request: revocation holds at once, in every process."""
    now = now or utc_now()
    return session is not None and session.revoked_at is None and session.expires_at > now and session.user.active


def _new_session(user: User, now: datetime | None) -> tuple[str, ApiSession]:
    now = now or utc_now()
    token = secrets.token_urlsafe(32)
    session = ApiSession(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                         expires_at=now + API_SESSION_LIFETIME)
    session.user = user
    db.session.add(session)
    db.session.flush()
    return token, session


def user_for_api_token(token: str, now: datetime | None = None) -> tuple[User, ApiSession]:
    session = queries.get_api_session_by_token_hash(_token_hash(token))
    if not _live(session, now):
        raise AuthenticationRequired()
    return session.user, session


def close_api_session(session: ApiSession, now: datetime | None = None) -> None:
    session.revoked_at = now or utc_now()
    db.session.flush()


# --- ODK Collect tokens (Central's App User keys) -----------------------------------------

def issue_collect_token(user: User, now: datetime | None = None) -> CollectToken:
    """Give a station user a new Collect token, revoking any earlier one."""
    if user.role not in COLLECT_ROLES:
        raise InvalidValue(field="role", reason="只有社工站账号使用 ODK Collect / only station accounts use ODK Collect")
    revoke_collect_tokens(user, now)
    token = CollectToken(user_id=user.id, token=secrets.token_urlsafe(36), created_at=now or utc_now())
    db.session.add(token)
    db.session.flush()
    return token


def revoke_collect_tokens(user: User, now: datetime | None = None) -> int:
    revoked = 0
    for token in queries.list_active_collect_tokens(user.id):
        token.revoked_at = now or utc_now()
        revoked += 1
    db.session.flush()
    return revoked


def active_collect_token(user: User) -> CollectToken | None:
    tokens = queries.list_active_collect_tokens(user.id)
    return tokens[-1] if tokens else None


def user_for_collect_token(token: str) -> User:
    """The user behind a token URL; Forbidden (403, never 401) when unknown or revoked, as Central does."""
    found = queries.get_collect_token(token) if TOKEN_PATTERN.match(token) else None
    if found is None or found.revoked_at is not None or not found.user.active:
        raise Forbidden()
    return found.user


def user_for_digest(username: str) -> User | None:
    user = queries.get_user_by_username(username.strip().lower())
    if user is None or not user.active or not user.digest_ha1:
        return None
    return user


ENDED_SESSIONS_KEPT = timedelta(days=30)  # how long an ended session's row stays (for the audit of sign-ins)


def purge_ended_sessions(now: datetime | None = None) -> int:
    """Delete API and web sessions that ended (expired or signed out) more than ENDED_SESSIONS_KEPT ago."""
    return queries.delete_ended_api_sessions((now or utc_now()) - ENDED_SESSIONS_KEPT)
