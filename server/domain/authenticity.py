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


# Each flag's name in the two languages, for files (the report pack); pages say the same through their translations.
FLAG_NAMES = {
    AuthenticityFlag.PHOTO_REUSED: ("照片与另一次走访相同", "photo reused"),
    AuthenticityFlag.PHOTO_NEAR_COPY: ("照片与另一次走访的几乎相同", "near-identical photo"),
    AuthenticityFlag.FAR_FROM_HOME: ("记录位置离服务对象家较远", "far from home"),
    AuthenticityFlag.NO_GPS: ("未记录位置", "no position"),
    AuthenticityFlag.POOR_GPS: ("定位精度太差", "vague position"),
    AuthenticityFlag.TOO_SHORT: ("走访时间过短", "too short"),
    AuthenticityFlag.ODD_HOURS: ("夜间开始填写", "at night"),
    AuthenticityFlag.IMPOSSIBLE_TRAVEL: ("与前后一次走访相距太远，时间来不及", "impossible travel"),
    AuthenticityFlag.ONE_SPOT: ("多次走访在同一地点记录", "one spot"),
}


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


@dataclass(frozen=True)
class TravelPair:
    """Two consecutive visits of one worker too far apart for the time between them."""

    before: str
    after: str
    metres: float
    kmh: float | None  # None: the second began before the first ended


def travel_pairs(visits: list[TimedVisit], limits: Thresholds = Thresholds()) -> list[TravelPair]:
    """One worker's consecutive visits (by start) whose distance and time imply a speed over the limit, or that
    overlap in time while apart; neighbours within ``spot_radius_m`` never count."""
    pairs: list[TravelPair] = []
    placed = sorted((v for v in visits if v.point is not None), key=lambda v: (v.start, v.end))
    for before, after in zip(placed, placed[1:]):
        metres = distance_m(before.point, after.point)  # type: ignore[arg-type]
        if metres <= limits.spot_radius_m:
            continue
        seconds = (after.start - before.end).total_seconds()
        if seconds <= 0:
            pairs.append(TravelPair(before.key, after.key, metres, None))
        elif metres / seconds * 3.6 > limits.max_speed_kmh:
            pairs.append(TravelPair(before.key, after.key, metres, metres / seconds * 3.6))
    return pairs


def impossible_travel(visits: list[TimedVisit], limits: Thresholds = Thresholds()) -> set[str]:
    """One worker's visits whose neighbour in time is too far away for the time between them (both are flagged:
    which of the two was not real is the supervisor's to find out)."""
    return {key for pair in travel_pairs(visits, limits) for key in (pair.before, pair.after)}


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


# --- a county's own thresholds ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ThresholdField:
    key: str
    label_zh: str
    label_en: str
    unit_zh: str
    low: float
    high: float
    whole: bool = True  # a whole number


THRESHOLD_FIELDS = (
    ThresholdField("far_from_home_m", "离家距离上限", "distance from home", "米", 100, 20_000),
    ThresholdField("gps_accuracy_m", "定位精度上限", "GPS accuracy limit", "米", 10, 1_000),
    *(ThresholdField(f"min_minutes.{form}", f"最短时长（{name}）", f"shortest visit ({name_en})", "分钟", 1, 60)
      for form, name, name_en in (("home_visit", "入户走访", "home visit"), ("household_survey", "家庭经济状况调查",
                                                                       "household survey"),
                                  ("elder_patrol", "老年人巡访", "elder patrol"),
                                  ("child_followup", "儿童跟踪回访", "child follow-up"))),
    ThresholdField("night_starts", "夜间开始（时）", "night starts (hour)", "时", 0, 23),
    ThresholdField("night_ends", "夜间结束（时）", "night ends (hour)", "时", 0, 23),
    ThresholdField("max_speed_kmh", "行程速度上限", "travel speed limit", "公里/小时", 10, 200),
    ThresholdField("spot_radius_m", "同一地点半径", "one-spot radius", "米", 10, 500),
    ThresholdField("spot_min_cases", "同一地点最少人数", "one-spot people", "人", 2, 20),
    ThresholdField("photo_max_bits", "照片相似位数上限", "photo likeness (bits of 64)", "位", 0, 16),
    ThresholdField("village_min_visits", "村参考点最少走访数", "visits for a village's centre", "次", 3, 50),
)
FIELDS_BY_KEY = {f.key: f for f in THRESHOLD_FIELDS}


def default_value(key: str) -> float:
    defaults = Thresholds()
    if key.startswith("min_minutes."):
        return defaults.min_minutes[key.split(".", 1)[1]]
    return getattr(defaults, key)


def check_threshold_values(values: dict[str, object]) -> tuple[dict[str, float], dict[str, str]]:
    """A county's thresholds as typed (only those it sets; an empty value keeps the default): the clean values and,
    per key, what is wrong (in Chinese and English)."""
    clean: dict[str, float] = {}
    problems: dict[str, str] = {}
    for key, raw in values.items():
        spec = FIELDS_BY_KEY.get(key)
        if spec is None:
            problems[key] = f"没有这项阈值 / no such threshold {key!r}"
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            number = float(str(raw).strip()) if not isinstance(raw, bool) else float("nan")
        except ValueError:
            number = float("nan")
        if number != number or (spec.whole and number != int(number)):
            problems[key] = f"{spec.label_zh}应为{'整数' if spec.whole else '数字'} / {spec.label_en}: a " \
                            f"{'whole ' if spec.whole else ''}number"
        elif not spec.low <= number <= spec.high:
            problems[key] = f"{spec.label_zh}应在 {spec.low:g}–{spec.high:g} {spec.unit_zh}之间 / {spec.label_en}: " \
                            f"between {spec.low:g} and {spec.high:g}"
        else:
            clean[key] = int(number) if spec.whole else number
    return clean, problems


def thresholds_from(values: dict[str, float]) -> Thresholds:
    """The thresholds with a county's own values laid over the defaults (unknown keys ignored)."""
    minutes = dict(DEFAULT_MIN_MINUTES)
    plain: dict[str, float] = {}
    for key, value in values.items():
        if key.startswith("min_minutes."):
            minutes[key.split(".", 1)[1]] = value
        elif key in FIELDS_BY_KEY:
            plain[key] = value
    return Thresholds(min_minutes=minutes, **plain)  # type: ignore[arg-type]


# --- each flag in words ----------------------------------------------------------------------------------------

def _n(value: object) -> str:
    """A number as people write it: 2.0 → 2, 1320.0 → 1320."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def explain(code: str, detail: dict) -> tuple[str, str]:
    """What a visit's flag rests on, in Chinese and English (the visit's page, the API, the report pack). The other
    visits it names are listed after it by whoever shows it."""
    d = {key: _n(value) for key, value in detail.items() if not isinstance(value, list)}
    if code == AuthenticityFlag.TOO_SHORT:
        return (f"表单从打开到完成只用了 {d.get('minutes')} 分钟，此类走访最短应为 {d.get('minimum')} 分钟。",
                f"The form was open {d.get('minutes')} minutes; the shortest for this form is {d.get('minimum')}.")
    if code == AuthenticityFlag.ODD_HOURS:
        return (f"北京时间 {d.get('started')} 开始填写，在夜间。", f"Started at {d.get('started')} Beijing time, at night.")
    if code == AuthenticityFlag.NO_GPS:
        return "表单要求记录位置，但没有记录。", "The form asks for a position and none was recorded."
    if code == AuthenticityFlag.POOR_GPS:
        return (f"定位精度只有 ±{d.get('accuracy_m')} 米（上限 {d.get('limit')} 米），不能证明所在位置。",
                f"The position is only good to ±{d.get('accuracy_m')} m (the limit is {d.get('limit')} m).")
    if code == AuthenticityFlag.FAR_FROM_HOME:
        if detail.get("reference") == "home":
            return (f"记录位置距服务对象家 {d.get('metres')} 米（上限 {d.get('limit')} 米）。",
                    f"Recorded {d.get('metres')} m from the home (the limit is {d.get('limit')} m).")
        return (f"记录位置距所在村的参考点 {d.get('metres')} 米（上限 {d.get('limit')} 米）。服务对象家没有坐标，参考点取该村 "
                f"{d.get('visits')} 次走访位置的中位数。",
                f"Recorded {d.get('metres')} m from the village's reference point (the limit is {d.get('limit')} m). "
                f"The home has no coordinates: the point is the median of {d.get('visits')} visits there.")
    if code == AuthenticityFlag.PHOTO_REUSED:
        return "同一张照片（内容完全相同）也出现在另一次走访中。", "The same photo (the same bytes) is in another visit."
    if code == AuthenticityFlag.PHOTO_NEAR_COPY:
        return (f"照片与本站另一次走访的照片几乎相同（感知哈希相差 {d.get('bits')}/64 位），可能是同一张照片重新保存或缩放。",
                f"The photo is nearly identical to another visit's of this station ({d.get('bits')} of 64 bits "
                f"apart): the same picture re-saved or resized.")
    if code == AuthenticityFlag.IMPOSSIBLE_TRAVEL:
        if detail.get("kmh") is None:
            return (f"与同一社工前后一次走访相距 {d.get('km')} 公里，两次走访的时间却有重叠。",
                    f"{d.get('km')} km from the worker's neighbouring visit, and the two overlap in time.")
        return (f"与同一社工前后一次走访相距 {d.get('km')} 公里，折合时速 {d.get('kmh')} 公里（上限 {d.get('limit')}），"
                f"乡村道路到不了。",
                f"{d.get('km')} km from the worker's neighbouring visit: {d.get('kmh')} km/h between them (the "
                f"limit is {d.get('limit')} km/h).")
    if code == AuthenticityFlag.ONE_SPOT:
        return (f"{d.get('day')} 同一社工给 {d.get('people')} 位服务对象的走访都记录在 {d.get('radius')} 米范围内，且都远离各自的家。",
                f"On {d.get('day')} the worker's visits to {d.get('people')} people were all recorded within "
                f"{d.get('radius')} m of each other, each far from its own home.")
    return code, code


# --- the visit-quality view ------------------------------------------------------------------------------------

@dataclass
class QualityLine:
    """Visits of a station, a worker or a month, and how many of them the checks flagged (by kind, and at all),
    with the reviewers' verdicts on them."""

    visits: int = 0
    flagged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=dict)

    def per_hundred(self, count: int) -> float | None:
        """Per 100 visits, one decimal; None without visits."""
        return round(100 * count / self.visits, 1) if self.visits else None

    @property
    def flagged_per_hundred(self) -> float | None:
        return self.per_hundred(self.flagged)


def tally_quality(visits: list[tuple], flags: list[tuple], flagged: list[tuple], verdicts: list[tuple],
                  key) -> dict:
    """Lines keyed by ``key(station, worker, month)`` from the counts per (station, worker, month[, code]): visits,
    flags by kind, flagged visits, verdicts."""
    lines: dict = {}

    def line(row: tuple) -> QualityLine:
        return lines.setdefault(key(*row[:3]), QualityLine())

    for *where, count in visits:
        line(tuple(where)).visits += count
    for *where, code, count in flags:
        kinds = line(tuple(where)).by_kind
        kinds[code] = kinds.get(code, 0) + count
    for *where, count in flagged:
        line(tuple(where)).flagged += count
    for *where, verdict, count in verdicts:
        given = line(tuple(where)).verdicts
        given[verdict] = given.get(verdict, 0) + count
    return lines
