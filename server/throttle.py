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

Counters shared by several processes live in Redis. When Redis does not answer, each process counts alone in
its memory (and the decorated limits of Flask-Limiter do the same, ``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``)
until Redis is back, tried again every ``SHARED_RETRY_SECONDS``; ``/healthz`` says ``ratelimit`` meanwhile.
Neither failing closed nor open: closed would refuse every sign-in and, since each Collect request signs in,
every visit — a Redis outage would stop the county; open would leave passwords to unlimited guessing. Counting
per process keeps a limit (as many times the configured one as there are processes) and keeps everyone working.
"""
from __future__ import annotations

import logging
import math
import time
from contextlib import contextmanager
from typing import Iterator

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter

from server.errors import Forbidden, InvalidCredentials, TooManyAttempts
from server.extensions import limiter

MAX_USERNAME_KEY = 64  # usernames are at most 64 characters; longer guesses share one counter
SHARED_RETRY_SECONDS = 10  # how long a process counts alone after Redis failed to answer, before trying it again
log = logging.getLogger(__name__)
_local: RateLimiter | None = None
_shared_down_until = 0.0


def _with_counters(operation):
    """``operation(strategy)`` on the shared counters, or on this process's own while they do not answer."""
    global _local, _shared_down_until
    if time.monotonic() >= _shared_down_until:
        try:
            return operation(limiter.limiter)
        except limiter.storage.base_exceptions as error:
            log.warning("rate-limit storage unreachable (%s): counting in this process", error.__class__.__name__)
            _shared_down_until = time.monotonic() + SHARED_RETRY_SECONDS
    if _local is None:
        _local = type(limiter.limiter)(MemoryStorage())
    return operation(_local)


def _counters(username: str | None) -> list[tuple[RateLimitItem, str]]:
    config = current_app.config
    if username is None:
        return [(parse(config["COLLECT_TOKEN_FAILURE_LIMIT"]), f"collect-token:{get_remote_address()}")]
    name = username.strip().lower()[:MAX_USERNAME_KEY]
    return [(parse(config["SIGN_IN_FAILURE_LIMIT_CLIENT"]), f"sign-in:address:{get_remote_address()}"),
            (parse(config["SIGN_IN_FAILURE_LIMIT_USER"]), f"sign-in:user:{name}")]


def _refuse_if_exhausted(counters: list[tuple[RateLimitItem, str]]) -> None:
    def waits(strategy: RateLimiter) -> list[float]:
        return [strategy.get_window_stats(item, key).reset_time - time.time()
                for item, key in counters if not strategy.test(item, key)]

    waits = _with_counters(waits)
    if waits:
        raise TooManyAttempts(retry_after=max(1, math.ceil(max(waits))))


def _count_failure(counters: list[tuple[RateLimitItem, str]]) -> None:
    def hit(strategy: RateLimiter) -> None:
        for item, key in counters:
            strategy.hit(item, key)

    _with_counters(hit)


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


def shared_counters_answer() -> bool:
    """Whether the counters every process shares can be reached (always, for ``memory://``)."""
    return bool(limiter.storage.check())
