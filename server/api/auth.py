"""Bearer-token authentication and role checks for the REST API."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, request

from server.domain.access import Role
from server.errors import AuthenticationRequired, Forbidden
from server.models import User
from server.services import accounts


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationRequired()
    return token.strip()


def authenticated(*roles: Role) -> Callable:
    """Require a valid bearer token, and one of ``roles`` when any are named."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            user, session = accounts.user_for_api_token(_bearer_token())
            if roles and user.role not in roles:
                raise Forbidden()
            g.api_user, g.api_session = user, session
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_user() -> User:
    return g.api_user
