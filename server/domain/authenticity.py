"""Were the visits real? The rules that ask a supervisor to look twice at a home visit (docs/authenticity.md).
Pure: distances through ``adapters/geodesy.py`` (geopy), photo likeness through ``adapters/perceptual.py``.

A flag never rejects a visit and never changes an indicator: it asks for review. Each rule takes its threshold
from ``Thresholds`` (a county may set its own); the defaults and the reasoning behind each:

- ``far_from_home_m`` 1 000 m: a cheap phone's GPS is off by 5–50 m, a village's houses and fields spread over a
  few hundred metres; a visit recorded a kilometre from home was not made at home.
- ``gps_accuracy_m`` 100 m: Collect records the fix's accuracy; worse than 100 m is a fix taken indoors in a hurry or
  from the network, not from the satellites — it can prove nothing.
- ``min_minutes`` 3 for a home visit (5 for the household survey's economics): reading the questions to an elder and
  writing the answers takes longer; a two-minute "visit" was filled, not made.
- ``night`` 22:00–06:00 Beijing time: nobody is visited then.
- ``max_speed_kmh`` 60: faster than any village road allows, from one visit's end to the next one's start.
- ``spot_radius_m`` 50 and ``spot_min_cases`` 4: four different people's visits within 50 m of each other on one
  day, each far from its own home, is a village filled in at one desk.
- ``photo_max_bits`` 4 of 64: re-encoded and resized copies of one photo come out 0 bits apart, a lightly cropped
  one 2 (``tests/unit/test_authenticity.py``); two photos of a room with things moved differ by 4 to 12 bits, so the
  line sits low, where a copy is still caught (to be measured again on real genuine visits).
- ``village_min_visits`` 5: a village's reference point (where its homes have no coordinates) is the median of
  its visits' positions once there are five; the median ignores the odd visit made elsewhere.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.adapters.geodesy import Point, distance_m
from server.adapters.perceptual import bits_apart
from server.domain.clock import in_china
from server.domain.flags import SubmissionFlag


AuthenticityFlag = SubmissionFlag  # the authenticity flags are review flags like the others (``domain/flags.py``)


DEFAULT_MIN_MINUTES = {"home_visit": 3, "elder_patrol": 3, "child_followup": 3, "household_survey": 5}


@dataclass(frozen=True)
class Thresholds:
    far_from_home_m: float = 1_000
    gps_accuracy_m: float = 100
    min_minutes: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIN_MINUTES))
    night_starts: int = 22  # hour, Beijing time
    night_ends: int = 6
    max_speed_kmh: float = 60
    spot_radius_m: float = 50
    spot_min_cases: int = 4
    photo_max_bits: int = 4
    village_min_visits: int = 5


def duration_flags(form_id: str, start: datetime | None, end: datetime | None,
                   limits: Thresholds = Thresholds()) -> set[AuthenticityFlag]:
    """Too short (the form's own start → end under its minimum) and started at night."""
    flags: set[AuthenticityFlag] = set()
    minimum = limits.min_minutes.get(form_id)
    if start is not None and end is not None and minimum is not None and end - start < timedelta(minutes=minimum):
        flags.add(AuthenticityFlag.TOO_SHORT)
    if start is not None:
        hour = in_china(start).hour
        night = (hour >= limits.night_starts or hour < limits.night_ends) if limits.night_starts > limits.night_ends \
            else limits.night_starts <= hour < limits.night_ends
        if night:
            flags.add(AuthenticityFlag.ODD_HOURS)
    return flags


def gps_flags(point: Point | None, accuracy_m: float | None, asked: bool,
              limits: Thresholds = Thresholds()) -> set[AuthenticityFlag]:
    if point is None:
        return {AuthenticityFlag.NO_GPS} if asked else set()
    if accuracy_m is not None and accuracy_m > limits.gps_accuracy_m:
        return {AuthenticityFlag.POOR_GPS}
    return set()


def village_reference(points: list[Point], limits: Thresholds = Thresholds()) -> Point | None:
    """A village's reference point from its visits' positions: the median latitude and longitude, once there are
    enough visits (None before)."""
    if len(points) < limits.village_min_visits:
        return None
    return statistics.median(p[0] for p in points), statistics.median(p[1] for p in points)


def home_reference(home: Point | None, village_points: list[Point],
                   limits: Thresholds = Thresholds()) -> tuple[Point | None, str | None]:
    """Where a case's home is taken to be, and which was used: ``home`` (its own coordinates) or ``village`` (its
    village's median); (None, None) when neither is known."""
    if home is not None:
        return home, "home"
    village = village_reference(village_points, limits)
    return (village, "village") if village is not None else (None, None)


def far_from_home(point: Point | None, reference: Point | None, limits: Thresholds = Thresholds()) -> bool:
    return point is not None and reference is not None and distance_m(point, reference) > limits.far_from_home_m


@dataclass(frozen=True)
class TimedVisit:
    key: str
    start: datetime
    end: datetime
    point: Point | None


def impossible_travel(visits: list[TimedVisit], limits: Thresholds = Thresholds()) -> set[str]:
    """One worker's visits whose neighbour in time is too far away for the time between them (both are flagged:
    which of the two was not real is the supervisor's to find out)."""
    flagged: set[str] = set()
    placed = sorted((v for v in visits if v.point is not None), key=lambda v: (v.start, v.end))
    for before, after in zip(placed, placed[1:]):
        metres = distance_m(before.point, after.point)  # type: ignore[arg-type]
        if metres <= limits.spot_radius_m:
            continue
        seconds = (after.start - before.end).total_seconds()
        if seconds <= 0 or metres / seconds * 3.6 > limits.max_speed_kmh:
            flagged |= {before.key, after.key}
    return flagged


@dataclass(frozen=True)
class SpotVisit:
    key: str
    case_id: str
    point: Point
    home: Point | None  # the case's home reference (``home_reference``)


def one_spot(visits: list[SpotVisit], limits: Thresholds = Thresholds()) -> set[str]:
    """One worker's visits of one day: those recorded within ``spot_radius_m`` of each other for at least
    ``spot_min_cases`` different people, each far from its own home."""
    away = [v for v in visits if v.home is not None and distance_m(v.point, v.home) > limits.far_from_home_m]
    flagged: set[str] = set()
    for visit in away:
        near = [other for other in away if distance_m(visit.point, other.point) <= limits.spot_radius_m]
        if len({other.case_id for other in near}) >= limits.spot_min_cases:
            flagged |= {other.key for other in near}
    return flagged


def near_copies(photo_hash: str, others: list[tuple[str, str]], limits: Thresholds = Thresholds()) -> set[str]:
    """The keys of the other photos (key, pHash) within ``photo_max_bits`` of this one."""
    return {key for key, other in others if bits_apart(photo_hash, other) <= limits.photo_max_bits}
