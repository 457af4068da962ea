"""Were the visits real? Flags raised on a visit after the 201 (docs/authenticity.md), a reviewer's verdict on a
flagged visit, and a county's own thresholds.

- When the applier has applied a visit to its case (``services/submissions.py``): too short, started at night, GPS
  missing or vague, far from home (the case's home, else its village's median position), a photo that is the same
  stored file as another visit's, and — over the worker's visits of that day — impossible travel and "filled at one
  spot". The other visits a later visit makes suspicious are flagged too (both of a reused photo, both ends of an
  impossible journey, every visit of one spot).
- When the thumbnail job has decoded a new picture (``services/media.py``): its perceptual hash is kept, and a
  near-identical photo among the station's visits of the last 12 months flags both visits.

Each flag is a review flag like the others (``Submission.flags``, the list's filter) and a ``VisitFlag`` row with
what it rests on (the distance and the reference used, the other visits, the speed). A flag never rejects a visit
nor changes an indicator; a reviewer's "not genuine" verdict rejects it (``record_verdict``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from server.adapters.geodesy import distance_m
from server.adapters.perceptual import bits_apart
from server.domain.access import Scope
from server.domain.authenticity import (QualityLine, SpotVisit, Thresholds, TimedVisit, check_threshold_values,
                                        duration_flags, far_from_home, gps_flags, home_reference, near_copies,
                                        one_spot, tally_quality, thresholds_from, travel_pairs)
from server.domain.cases import VISIT_FORMS
from server.domain.stations import StationStatus
from server.domain.clock import in_china, utc_now
from server.domain.flags import SubmissionFlag, merged_flags
from server.domain.submission import parse_geopoint
from server.domain.submission import value_at
from server.errors import InvalidValue, NothingToJudge, ReviewNotAllowed
from server.extensions import db
from server.models import (AuthenticityThresholds, Case, Station, Submission, SubmissionEvent, SubmissionEventKind,
                           SubmissionVersion, User, VisitFlag)
from server.models import ReviewState
from server.queries import authenticity as queries
from server.queries import places as place_queries

LONGEST_VISIT = timedelta(hours=12)  # a form open longer (a phone whose clock reset: ``clock_skew``) times no journey
PHOTO_WINDOW = timedelta(days=365)  # near-identical photos are looked for among the station's visits of a year
AUTHENTICITY_FLAGS = (SubmissionFlag.PHOTO_REUSED, SubmissionFlag.PHOTO_NEAR_COPY, SubmissionFlag.FAR_FROM_HOME,
                      SubmissionFlag.NO_GPS, SubmissionFlag.POOR_GPS, SubmissionFlag.TOO_SHORT,
                      SubmissionFlag.ODD_HOURS, SubmissionFlag.IMPOSSIBLE_TRAVEL, SubmissionFlag.ONE_SPOT)
GENUINE, NOT_GENUINE = "genuine", "not_genuine"
VERDICTS = (GENUINE, NOT_GENUINE)
HOME_PROPERTY = "home_location"  # a case's home as a geopoint ("lat lon [alt acc]"), where a form records it


# --- thresholds ------------------------------------------------------------------------------------------------

def county_code_of(station: Station) -> str:
    return station.township.parent_code or station.code


def thresholds_for(station: Station) -> Thresholds:
    """The thresholds the station's county set, over the defaults."""
    row = queries.get_thresholds(county_code_of(station))
    return thresholds_from(row.values) if row is not None else Thresholds()


def set_thresholds(county_code: str, values: dict[str, object], user: User) -> AuthenticityThresholds:
    """Replace a county's own thresholds (those not given keep the defaults). Every value is checked first; a
    mistake changes nothing and says, per threshold, what is wrong."""
    from server.services import audit

    clean, problems = check_threshold_values(values)
    if problems:
        key, reason = next(iter(problems.items()))
        raise InvalidValue(field=key, reason=reason, problems=problems)
    row = queries.get_thresholds(county_code)
    if row is None:
        row = AuthenticityThresholds(county_code=county_code)
        db.session.add(row)
    row.values, row.updated_at, row.updated_by_id = clean, utc_now(), user.id
    audit.record("authenticity.thresholds", "area", county_code, clean, user)
    db.session.flush()
    return row


# --- raising flags ---------------------------------------------------------------------------------------------

def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None  # Collect's start/end carry their offset


def raise_flag(submission: Submission, code: SubmissionFlag, detail: dict[str, Any] | None = None) -> None:
    """Give the visit this flag (once; a second raise adds the other visits it names to the first's)."""
    submission.flags = merged_flags(submission.flags, {code})
    row = queries.get_visit_flag(submission.id, code.value)
    if row is None:
        db.session.add(VisitFlag(submission_id=submission.id, code=code.value, detail=dict(detail or {}),
                                 raised_at=utc_now()))
        return
    if detail and "with" in detail:
        merged = sorted({*row.detail.get("with", []), *detail["with"]})
        row.detail = {**row.detail, **detail, "with": merged}


@dataclass
class CheckMemo:
    """What the checks of one batch of visits read once: each village's positions (raising flags never moves them,
    and the batch's visits are all applied to their cases before any is checked) and each county's thresholds."""

    villages: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    thresholds: dict[str, Thresholds] = field(default_factory=dict)


def flag_visit(version: SubmissionVersion, asks_position: bool, memo: CheckMemo | None = None) -> set[SubmissionFlag]:
    """Raise this visit's authenticity flags, and those it gives other visits (a photo both hold, the worker's
    visits of that day). Returns the flags its own record raised (the day's are on the visits they concern)."""
    submission = version.submission
    form_id = submission.form.xml_form_id
    if form_id not in VISIT_FORMS:
        return set()
    memo = memo or CheckMemo()
    county = county_code_of(submission.station)
    if county not in memo.thresholds:
        memo.thresholds[county] = thresholds_for(submission.station)
    limits = memo.thresholds[county]
    data = version.data or {}
    start, end = _instant(value_at(data, "start")), _instant(value_at(data, "end"))
    raised: dict[SubmissionFlag, dict[str, Any]] = {}
    for flag in duration_flags(form_id, start, end, limits):
        raised[flag] = ({"minutes": round((end - start).total_seconds() / 60, 1),  # type: ignore[operator]
                         "minimum": limits.min_minutes.get(form_id)} if flag == SubmissionFlag.TOO_SHORT
                        else {"started": in_china(start).strftime("%H:%M")})  # type: ignore[arg-type]
    point = _point(version)
    villages = memo.villages
    for flag in gps_flags(point, version.accuracy, asks_position, limits):
        raised[flag] = {"accuracy_m": version.accuracy, "limit": limits.gps_accuracy_m} \
            if flag == SubmissionFlag.POOR_GPS else {}
    if point is not None and (version.accuracy is None or version.accuracy <= limits.gps_accuracy_m):
        far = _far_from_home(submission, point, limits, villages)
        if far is not None:
            raised[SubmissionFlag.FAR_FROM_HOME] = far
    for attachment in version.attachments:
        if attachment.blob_sha256 is None or not (attachment.detected_type or "").startswith("image/"):
            continue
        # Only visits count: a shared picture (a form's own media, the plaque) is never a visit's photo.
        others = [s for s in queries.list_visits_holding_blob(attachment.blob_sha256) if s.id != submission.id]
        if others:
            raised.setdefault(SubmissionFlag.PHOTO_REUSED, {"with": []})["with"] += [s.instance_id for s in others]
            for other in others:
                raise_flag(other, SubmissionFlag.PHOTO_REUSED, {"with": [submission.instance_id]})
    for flag, detail in raised.items():
        raise_flag(submission, flag, detail)
    if submission.submitter_id is not None and submission.visit_date is not None:
        _check_worker_day(submission, version, SubmissionFlag.FAR_FROM_HOME in raised, limits, villages)
    return set(raised)


def _point(version: SubmissionVersion) -> tuple[float, float] | None:
    if version.latitude is None or version.longitude is None:
        return None
    return version.latitude, version.longitude


@dataclass(frozen=True)
class HomeReference:
    point: tuple[float, float] | None
    kind: str | None  # "home" or "village"
    visits: int = 0   # how many visits a village's reference was learnt from


def home_of(case: Case | None, limits: Thresholds,
            villages: dict[str, list[tuple[float, float]]] | None = None) -> HomeReference:
    """Where the case's home is taken to be: its own coordinates (a form's ``home_location``), else the median of
    its village's visits once there are enough. ``villages`` keeps the positions of each village already read."""
    if case is None:
        return HomeReference(None, None)
    own = _home_point((case.properties or {}).get(HOME_PROPERTY))
    village_points: list[tuple[float, float]] = []
    if own is None and case.village_code:
        villages = {} if villages is None else villages
        if case.village_code not in villages:
            villages[case.village_code] = queries.village_positions(case.village_code, limits.gps_accuracy_m)
        village_points = villages[case.village_code]
    point, kind = home_reference(own, village_points, limits)
    return HomeReference(point, kind, len(village_points) if kind == "village" else 0)


def _home_point(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        point = parse_geopoint(value)
    except ValueError:
        return None
    return point["latitude"], point["longitude"]  # type: ignore[return-value]


def _far_from_home(submission: Submission, point: tuple[float, float], limits: Thresholds,
                   villages: dict[str, list[tuple[float, float]]]) -> dict[str, Any] | None:
    home = home_of(submission.case, limits, villages)
    if not far_from_home(point, home.point, limits):
        return None
    return {"metres": round(distance_m(point, home.point)), "reference": home.kind,  # type: ignore[arg-type]
            "visits": home.visits, "limit": limits.far_from_home_m}


DAY_VISITS = 100  # a worker's latest visits of one day checked together (a real day holds a few dozen at most)


def _check_worker_day(submission: Submission, version: SubmissionVersion, far: bool, limits: Thresholds,
                      villages: dict[str, list[tuple[float, float]]]) -> None:
    """Impossible travel and one spot over the worker's visits of the visit's day: every visit they implicate is
    flagged, earlier ones included. Only what this visit changes is raised — the pairs it is one of, a group it
    joins (only a visit far from home can be in one: ``far``); what the rest of the day implicates was raised
    when those visits arrived — so each visit costs one read of where and when the day's latest ``DAY_VISITS``
    were, never a pass over the whole day's records."""
    point = _point(version)
    if point is None or not _trusted(version, limits):
        return  # no position to judge a journey or a spot by
    mine = _timed_visit(submission.instance_id, version.data or {}, point)
    if mine is None and not far:
        return
    day = queries.list_worker_day_visits(submission.submitter_id, submission.visit_date,  # type: ignore[arg-type]
                                         DAY_VISITS)
    placed = [visit for visit in day if visit.latitude is not None and visit.longitude is not None
              and (visit.accuracy is None or visit.accuracy <= limits.gps_accuracy_m)]
    ids = {visit.instance_id: visit.submission_id for visit in placed}
    key = submission.instance_id
    if key not in ids:
        return  # superseded meanwhile by an edit, which is checked in its turn

    def flag(instance_id: str, code: SubmissionFlag, detail: dict[str, Any]) -> None:
        other = submission if instance_id == key else db.session.get(Submission, ids[instance_id])
        raise_flag(other, code, detail)  # type: ignore[arg-type]

    if mine is not None:
        timed = [visit for visit in (_timed_visit(v.instance_id, {"start": v.start, "end": v.end},
                                                 (float(v.latitude), float(v.longitude)))  # type: ignore[arg-type]
                                     for v in placed) if visit is not None]
        for pair in travel_pairs(timed, limits):
            if key not in (pair.before, pair.after):
                continue  # consecutive before this visit came: judged then
            detail = {"km": round(pair.metres / 1000, 1), "kmh": round(pair.kmh) if pair.kmh is not None else None,
                      "limit": limits.max_speed_kmh}
            flag(pair.before, SubmissionFlag.IMPOSSIBLE_TRAVEL, {**detail, "with": [pair.after]})
            flag(pair.after, SubmissionFlag.IMPOSSIBLE_TRAVEL, {**detail, "with": [pair.before]})
    if not far:
        return
    # A group this visit joins lies within two radii of it: only those visits' homes are looked up.
    nearby = [v for v in placed if v.case_id is not None and distance_m(
        point, (float(v.latitude), float(v.longitude))) <= 2 * limits.spot_radius_m]  # type: ignore[arg-type]
    cases = queries.cases_by_id(sorted({v.case_id for v in nearby}))  # type: ignore[misc]
    homes = {case_id: home_of(case, limits, villages).point for case_id, case in cases.items()}
    spots = [SpotVisit(v.instance_id, v.case_id, (float(v.latitude), float(v.longitude)),  # type: ignore[arg-type]
                       homes.get(v.case_id)) for v in nearby]  # type: ignore[arg-type]
    flagged = one_spot(spots, limits)
    if key not in flagged:
        return  # a group this visit is not in was there before it, and was flagged then
    people = len({spot.case_id for spot in spots if spot.key in flagged})
    for other in flagged:
        flag(other, SubmissionFlag.ONE_SPOT,
             {"people": people, "radius": limits.spot_radius_m, "day": submission.visit_date.isoformat(),  # type: ignore[union-attr]
              "with": sorted(flagged - {other})})


def _timed_visit(key: str, data: dict[str, Any], point: tuple[float, float]) -> TimedVisit | None:
    """The visit as a journey's end, when its form's start and end are there and believable (a phone's reset clock
    says nothing of travel)."""
    start, end = _instant(value_at(data, "start")), _instant(value_at(data, "end"))
    if start is None or end is None or not timedelta(0) <= end - start <= LONGEST_VISIT:
        return None
    return TimedVisit(key, start, end, point)


def _trusted(version: SubmissionVersion, limits: Thresholds) -> bool:
    """A position precise enough to judge by (a vague one has its own flag)."""
    return version.accuracy is None or version.accuracy <= limits.gps_accuracy_m


def check_near_copies(sha256: str, phash: str) -> int:
    """A picture just hashed (the thumbnail job): flag the visits holding it and those of the same station, of the
    last 12 months, holding a near-identical one (another file). Returns how many visits were flagged."""
    flagged = 0
    for submission in queries.list_visits_holding_blob(sha256):
        limits = thresholds_for(submission.station)
        photos = [p for p in queries.list_station_photo_hashes(submission.station_code, utc_now() - PHOTO_WINDOW)
                  if p.sha256 != sha256 and p.submission_id != submission.id]
        near = near_copies(phash, [(p.instance_id, p.phash) for p in photos], limits)
        if not near:
            continue
        bits = min(bits_apart(phash, p.phash) for p in photos if p.instance_id in near)
        raise_flag(submission, SubmissionFlag.PHOTO_NEAR_COPY, {"with": sorted(near), "bits": bits})
        for other in queries.list_submissions_by_instance_ids(sorted(near)):
            raise_flag(other, SubmissionFlag.PHOTO_NEAR_COPY, {"with": [submission.instance_id], "bits": bits})
        flagged += 1 + len(near)
    db.session.flush()
    return flagged


# --- what the pages and the API show --------------------------------------------------------------------------

@dataclass(frozen=True)
class ShownFlag:
    code: str
    detail: dict[str, Any]
    others: list[Submission]  # the other visits it names, inside the viewer's area


def flags_of(submission: Submission, scope: Scope) -> list[ShownFlag]:
    """The visit's authenticity flags with what each rests on; the other visits named only where the viewer may
    see them."""
    shown = []
    for row in queries.list_visit_flags(submission.id):
        others = [s for s in queries.list_submissions_by_instance_ids(row.detail.get("with", []))
                  if scope.contains_path(s.station.township.path)]
        shown.append(ShownFlag(row.code, row.detail, sorted(others, key=lambda s: (s.created_at, s.id))))
    return shown


def visits_sharing_photos(version: SubmissionVersion, scope: Scope) -> list[Submission]:
    """The other visits, inside the viewer's scope, holding one of this version's photos (what a ``photo_reused``
    flag points at), oldest first."""
    found: dict[int, Submission] = {}
    for attachment in version.attachments:
        if attachment.blob_sha256 is None or not (attachment.detected_type or "").startswith("image/"):
            continue
        for other in queries.list_visits_holding_blob(attachment.blob_sha256):
            if other.id != version.submission_id and scope.contains_path(other.station.township.path):
                found[other.id] = other
    return sorted(found.values(), key=lambda s: (s.created_at, s.id))


def has_authenticity_flags(submission: Submission) -> bool:
    return any(code in AUTHENTICITY_FLAGS for code in (submission.flags or []))


# --- the reviewer's verdict -------------------------------------------------------------------------------------

def verdict_of(submission: Submission) -> SubmissionEvent | None:
    """The last verdict given on the visit (its event: who, when, which, why)."""
    return queries.last_verdict_event(submission.id, VERDICTS)


def record_verdict(submission: Submission, user: User, verdict: str, note: str) -> None:
    """A reviewer's verdict on a flagged visit: ``genuine`` (the flags stay, answered) or ``not_genuine``, which
    rejects the visit (it stops counting for coverage) and needs the reviewer's words."""
    from server.domain.events import EventType
    from server.domain.review import ReviewAction
    from server.services import audit, outbox, review

    if ReviewAction.VERDICT not in review.actions_for(submission, user):
        raise ReviewNotAllowed(action="verdict", reason="只有站长、县级督导或市级管理员可以核实走访记录。",
                               reason_en="A station head, county supervisor or admin gives the verdict on a visit.")
    if not has_authenticity_flags(submission):
        raise NothingToJudge()
    if verdict not in VERDICTS:
        raise InvalidValue(field="verdict", reason="请选择“属实”或“不属实” / choose genuine or not_genuine")
    text = review.clean_text(note)
    if verdict == NOT_GENUINE and not text:
        raise InvalidValue(field="note", reason="请写明认定不属实的依据，社工和县级都能看到 / say why it is not genuine")
    state = ReviewState.REJECTED if verdict == NOT_GENUINE else None
    if state is not None:
        submission.review_state = state
    submission.updated_at = utc_now()
    db.session.add(SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.REVIEW,
                                   review_state=state, reason=verdict, body=text or None))
    audit.record("submission.verdict", "submission", submission.instance_id, {"verdict": verdict}, user)
    outbox.submission_event(EventType.SUBMISSION_REVIEWED, submission, None)
    db.session.flush()



# --- the visit-quality view ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QualityReport:
    first: date
    last: date
    kinds: tuple[str, ...]
    stations: list[tuple[Station, QualityLine]]
    workers: list[tuple[User | None, QualityLine]]  # only for one station
    months: list[tuple[str, QualityLine]]
    total: QualityLine
    station: Station | None


QUALITY_MONTHS = 6


def months_back(today: date, months: int = QUALITY_MONTHS) -> date:
    """The first day of the month ``months - 1`` months before today's: the last ``months`` months to today."""
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def quality_report(scope: Scope, first: date, last: date, station: Station | None = None) -> QualityReport:
    """Flags per 100 visits by kind per station (and per worker of one station), and by month, for the visits made
    from ``first`` to ``last`` inside the scope."""
    code = station.code if station is not None else None
    rows = (queries.count_visits(scope, first, last, code), queries.count_flags(scope, first, last, code),
            queries.count_flagged_visits(scope, first, last, code),
            queries.count_verdicts(scope, first, last, VERDICTS, code))
    by_station = tally_quality(*rows, key=lambda s, w, m: s)
    stations = {s.code: s for s in place_queries.list_stations_in_scope(scope)}
    # An operating station with no visit in the period is listed too, last: a station that sends nothing is what a
    # supervisor must see first of all, not one the table leaves out.
    station_lines = sorted(((s, by_station.get(c, QualityLine())) for c, s in stations.items()
                            if c in by_station or s.status == StationStatus.OPERATING),
                           key=lambda pair: (not pair[1].visits, -(pair[1].flagged_per_hundred or 0), pair[0].code))
    workers: list[tuple[User | None, QualityLine]] = []
    if station is not None:
        by_worker = tally_quality(*rows, key=lambda s, w, m: w)
        users = queries.names_of_users([w for w in by_worker if w is not None])
        workers = sorted(((users.get(w) if w is not None else None, line) for w, line in by_worker.items()),
                         key=lambda pair: -(pair[1].flagged_per_hundred or 0))
    by_month = tally_quality(*rows, key=lambda s, w, m: m)
    month_keys, cursor = [], first.replace(day=1)
    while cursor <= last:
        month_keys.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    total = tally_quality(*rows, key=lambda s, w, m: "all").get("all", QualityLine())
    return QualityReport(first, last, tuple(code.value for code in AUTHENTICITY_FLAGS), station_lines, workers,
                         [(m, by_month.get(m, QualityLine())) for m in month_keys], total, station)
