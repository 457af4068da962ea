"""Throttling of failed sign-ins, one mechanism for every way in: the web sign-in page, ``POST /api/v1/sessions``,
OpenRosa Digest/Basic, and Collect token URLs (``/key/<token>/``).

Counters live in Flask-Limiter's storage (``RATELIMIT_STORAGE_URL``), so every app process sharing that storage
shares them. Only *failures* are counted, and checked before the credentials are: once an address or a username
has failed too often, every attempt answers 429 (``TooManyAttempts``, with ``Retry-After``) without the password
being tried, so a correct guess cannot be told from a wrong one.

Why failures only, and two keys: a station's workers often share one address (the office router, or a mobile
carrier's NAT), so counting every sign-in per address would slow them all down each morning. Counting failures
per address (a generous limit) stops one machine guessing many accounts; counting failures per username (a
tighter limit, from any address) stops many machines guessing one account. A worker who types the password
right is never counted; the price is that someone guessing at one account can hold it locked for the window.
Digest's first, credential-less request and stale-nonce retries are not failures either.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from typing import Iterator

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from server.errors import Forbidden, InvalidCredentials, TooManyAttempts
from server.extensions import limiter

MAX_USERNAME_KEY = 64  # usernames are at most 64 characters; longer guesses share one counter


def _counters(username: str | None) -> list[tuple[RateLimitItem, str]]:
    config = current_app.config
    if username is None:
        return [(parse(config["COLLECT_TOKEN_FAILURE_LIMIT"]), f"collect-token:{get_remote_address()}")]
    name = username.strip().lower()[:MAX_USERNAME_KEY]
    return [(parse(config["SIGN_IN_FAILURE_LIMIT_CLIENT"]), f"sign-in:address:{get_remote_address()}"),
            (parse(config["SIGN_IN_FAILURE_LIMIT_USER"]), f"sign-in:user:{name}")]


def _refuse_if_exhausted(counters: list[tuple[RateLimitItem, str]]) -> None:
    strategy = limiter.limiter
    waits = [strategy.get_window_stats(item, key).reset_time - time.time()
             for item, key in counters if not strategy.test(item, key)]
    if waits:
        raise TooManyAttempts(retry_after=max(1, math.ceil(max(waits))))


def _count_failure(counters: list[tuple[RateLimitItem, str]]) -> None:
    for item, key in counters:
        limiter.limiter.hit(item, key)


@contextmanager
def sign_in_attempt(username: str) -> Iterator[None]:
    """Refuse the attempt if this address or username failed too often; count it if it fails now.

    Only ``InvalidCredentials`` counts (not a stale Digest nonce, whose password was right).
    """
    counters = _counters(username)
    _refuse_if_exhausted(counters)
    try:
        yield
    except InvalidCredentials as error:
        if not error.details.get("stale"):
            _count_failure(counters)
        raise


@contextmanager
def collect_token_attempt() -> Iterator[None]:
    """The same for a token URL: unknown or revoked tokens are counted per client address."""
    counters = _counters(None)
    _refuse_if_exhausted(counters)
    try:
        yield
    except Forbidden:
        _count_failure(counters)
        raise
