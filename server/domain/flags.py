"""Why a supervisor should look twice at a visit that was accepted: the stable flag codes, and the
pure rules that raise them from a submission's values and files.

A visit that reaches the server was made on a phone in a village: refusing it for a wrong clock, an
odd file or a long note would strand it there. It is accepted, made safe, and flagged instead
(``Submission.flags``, a sorted list of these codes; None when nothing is odd). Pure: no Flask, no
database; the codes are stored, so they never change.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from server.domain.clock import today_in_china


class SubmissionFlag(StrEnum):
    CLOCK_SKEW = "clock_skew"              # a date the phone's clock set lies far before or after its arrival
    TYPE_MISMATCH = "type_mismatch"        # a file whose bytes are not what its name says
    IMAGE_TOO_LARGE = "image_too_large"    # an image over the pixel limit (a decompression bomb): never decoded
    IMAGE_UNREADABLE = "image_unreadable"  # an image that cannot be decoded (truncated, corrupt)
    LONG_TEXT = "long_text"                # a free-text answer longer than any real note
    # Was the visit real? (``domain/authenticity.py``, docs/authenticity.md)
    PHOTO_REUSED = "photo_reused"          # the same photo (same bytes) in another visit
    PHOTO_NEAR_COPY = "photo_near_copy"    # a near-identical photo (perceptual hash) in another visit
    FAR_FROM_HOME = "far_from_home"        # recorded far from the case's home (or its village's centre)
    NO_GPS = "no_gps"                      # the form asks for a position and none was recorded
    POOR_GPS = "poor_gps"                  # a position too vague to prove anything
    TOO_SHORT = "too_short"                # the form was open for less than the form's minimum
    ODD_HOURS = "odd_hours"                # started at night
    IMPOSSIBLE_TRAVEL = "impossible_travel"  # the worker's previous or next visit too far for the time between
    ONE_SPOT = "one_spot"                  # many people's visits at one spot, away from their homes


ANY_FLAG = "any"  # in list filters: flagged for any reason

# Collect's own clock fields (start, end, today) and the visit's date, which defaults to the phone's today.
CLOCK_FIELDS = ("start", "end", "today", "visit_date")
CLOCK_PAST_LIMIT = timedelta(days=366)
CLOCK_FUTURE_LIMIT = timedelta(days=1)  # China's day may already have begun where the server's has not
LONG_TEXT_CHARS = 5_000


def value_flags(data: dict[str, Any], received: datetime) -> set[SubmissionFlag]:
    """Flags the submitted values raise, judged against the moment the submission arrived."""
    flags: set[SubmissionFlag] = set()
    if clock_skewed(data, received):
        flags.add(SubmissionFlag.CLOCK_SKEW)
    if has_long_text(data):
        flags.add(SubmissionFlag.LONG_TEXT)
    return flags


def clock_skewed(data: dict[str, Any], received: datetime) -> bool:
    received_day = today_in_china(received)
    for key in CLOCK_FIELDS:
        day = _day(data.get(key))
        if day is not None and not received_day - CLOCK_PAST_LIMIT <= day <= received_day + CLOCK_FUTURE_LIMIT:
            return True
    return False


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def has_long_text(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > LONG_TEXT_CHARS
    if isinstance(value, dict):
        return any(has_long_text(v) for v in value.values())
    if isinstance(value, list):
        return any(has_long_text(v) for v in value)
    return False


def merged_flags(existing: Iterable[str] | None, new: Iterable[str]) -> list[str] | None:
    """The stored form: sorted, each code once, None when there is none."""
    codes = sorted({*(existing or ()), *(str(code) for code in new)})
    return codes or None
