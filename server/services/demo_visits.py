"""Demo cases and a few weeks of visits for every demo station, so a new user sees a living system.

Every demo visit is a genuine submission of the published forms, built from the XForm and
received through the same ``ingest_submission`` a phone's upload goes through: cases are
registered by their first visit (ODK entity create), later visits update them. Everything is dated
relative to the day the demo is loaded: visits over the previous eight to twelve weeks up to
yesterday, so some cases are due, some overdue, some fine; supervisors have reviewed the visits older
than a week (approved, has issues, rejected), sent some back to the worker who then visited again,
workers have edited a few, and a few arrived from phones whose clock had reset (flagged). Resident
feedback fills the last complete month — the dashboard's first screen — with stations above and below
the 90 % line, and trickles into the months around it.
"""
from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from server.adapters.images import demo_photo, resized_copy
from server.domain.clock import CHINA, today_in_china, utc_now
from server.domain.periods import last_complete_month
from server.domain.instances import build_instance
from server.domain.places import AreaLevel
from server.domain.submission import read_envelope
from sqlalchemy import select

from server.extensions import db
from server.media import media_storage
from server.media.storage import HashingUpload
from server.models import Case, FormVersion, ReviewState, Station, Submission, User
from server.queries import accounts as account_queries
from server.queries import authenticity as authenticity_queries
from server.queries import cases as case_queries
from server.queries import forms as form_queries
from server.queries import places as place_queries
from server.queries import submissions as submission_queries
from server.services import accounts, authenticity, media, review
from server.services.submissions import IncomingFile, IngestResult, Origin, apply_pending_visits, ingest_submission

WORKER_PASSWORD = "demo-worker-2026"
DEMO_STATION = "530102001"  # the demo's own station (huashan, worker1): shows every review state
VISIT_WEEKS = (8, 12)       # a station's first visits lie this many weeks back
REVIEW_AFTER_DAYS = 7       # the last week's visits still wait for review
ISSUE_NOTES = ("照片看不清门牌，请补拍", "ADL 评分与描述不符，请核实", "缺少监护人联系电话")
RETURN_REASONS = ("走访记录缺少老人本人签字确认，请再上门一次", "照片不是本人住所，请重新走访")
PHONE_CLOCK_RESET = "2000-01-01T08:12:00.000+08:00"  # a phone whose battery ran flat forgets the date
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐普者沙李"
ELDER_GIVEN = ["秀英", "桂英", "玉兰", "桂珍", "德明", "正华", "绍文", "兴发", "凤英", "有福"]
CHILD_GIVEN = ["子涵", "雨萱", "浩宇", "梓轩", "欣怡", "宇航", "诗琪", "俊杰"]
ADULT_GIVEN = ["建国", "春梅", "海燕", "志刚", "丽芬", "永平", "云华"]


@dataclass(frozen=True)
class Person:
    kind: str  # elder | child | adult
    categories: str
    form: str


PEOPLE = (
    Person("elder", "destitute left_behind_elder", "elder_patrol"),
    Person("elder", "empty_nest_elder very_old_elder", "elder_patrol"),
    Person("elder", "left_behind_elder", "elder_patrol"),
    Person("child", "left_behind_child", "child_followup"),
    Person("child", "child_in_difficulty minimum_allowance", "child_followup"),
    Person("adult", "minimum_allowance disability", "home_visit"),
    Person("adult", "temporary_assistance", "home_visit"),
)


def load_demo_visits() -> tuple[int, int]:
    """Cases and visits for every demo station that has none yet; returns (cases, visits) added."""
    cases_added = visits_added = 0
    password_hash = accounts.hash_password(WORKER_PASSWORD)
    codes = [s.code for s in place_queries.list_stations_in_scope(_everything())]
    for code in codes:
        station = place_queries.get_station_by_code(code)
        if case_queries.list_open_cases_for_station(station.code):
            continue
        forms = {f.xml_form_id: f.current_version for f in form_queries.list_forms() if f.current_version}
        worker = _station_worker(station, password_hash)
        added, visits = _demo_station(station, worker, forms, _reviewer(station.code))
        cases_added, visits_added = cases_added + added, visits_added + visits
        # Written, still uncommitted: let go of the station's thousands of objects so that
        # each later flush does not walk them all again.
        db.session.flush()
        db.session.expunge_all()
    return cases_added, visits_added


def _everything():
    from server.domain.access import Role, Scope

    return Scope(role=Role.ADMIN, area_code="", area_path="/")


def _station_worker(station: Station, password_hash: str) -> User:
    """The station's first worker, or a demo worker ``sg<code>`` created for it."""
    username = "worker1" if station.code == "530102001" else f"sg{station.code}"
    user = account_queries.get_user_by_username(username)
    if user is None:
        user = accounts.create_user(username, "worker", station.code, WORKER_PASSWORD,
                                    f"{station.township.name}社工", password_hash=password_hash)
    return user


def _reviewer(station_code: str) -> User | None:
    """Who reviews a demo station's visits: its head at the demo's own station, the county in 五华区, else the city."""
    username = "huashan" if station_code == DEMO_STATION else "wuhua" if station_code.startswith("530102") else "admin"
    return account_queries.get_user_by_username(username)


def _demo_station(station: Station, worker: User, forms: dict[str, FormVersion],
                  reviewer: User | None) -> tuple[int, int]:
    rng = random.Random(f"visits-{station.code}")
    odd = random.Random(f"review-{station.code}")  # the station's reviews, returns, edits and odd phones
    everything = station.code == DEMO_STATION
    villages = [a.code for a in place_queries.list_child_areas(station.code)]
    today = today_in_china()
    made: list[tuple[Submission, date]] = []
    returned = False
    registered: list[tuple[Person, Case]] = []
    for person in PEOPLE[: rng.randint(5, len(PEOPLE))]:
        first_day = today - timedelta(days=rng.randint(VISIT_WEEKS[0] * 7, VISIT_WEEKS[1] * 7))
        case_id = str(uuid.uuid4())
        name = _name(rng, person.kind)
        village = rng.choice(villages[:2] if everything else villages)  # the demo's own: two villages, well visited
        clock_reset = odd.random() < (0.5 if everything else 0.1)
        made.append((_visit(forms[person.form], station, worker, rng, first_day, case_id, person, name, village,
                            new=True, clock_reset=clock_reset), first_day))
        day = first_day
        for _ in range(rng.randint(0, 2)):
            day = day + timedelta(days=rng.randint(14, 35))
            if day >= today:
                break
            if reviewer is not None and not returned and (everything or odd.random() < 0.3):
                _return_to_worker(made[-1], reviewer, odd)  # this next visit is the redo
                returned = True
            made.append((_visit(forms[person.form], station, worker, rng, day, case_id, person, name, village,
                                new=False), day))
        if len(registered) == 0 and day < today - timedelta(days=1):  # someone was visited in the last days
            day = today - timedelta(days=rng.randint(1, 4))
            made.append((_visit(forms[person.form], station, worker, rng, day, case_id, person, name, village,
                                new=False), day))
        registered.append((person, db.session.get(Case, case_id)))
    if reviewer is not None:
        _review(made, reviewer, odd, today, everything, share=1.0 if station.code.startswith("530102") else 0.3)
    if everything:
        made += _faked_visits(station, worker, forms, registered, rng, reviewer, today)
    if everything or odd.random() < 0.3:
        _edit(*made[0])
    heads = [case for person, case in registered if person.kind == "adult"]
    children = [case for person, case in registered if person.kind == "child"]
    if heads and children:
        children[-1].parent_id = heads[0].id  # a child in difficulty of a minimum-allowance household
    db.session.flush()
    return len(case_queries.list_open_cases_for_station(station.code)), len(made)


VILLAGE_VISITS = 6  # a village's reference point needs five visits with a position; the faked ones need it


def _faked_visits(station: Station, worker: User, forms: dict[str, FormVersion], registered: list,
                  rng: random.Random, reviewer: User | None, today: date) -> list[tuple[Submission, date]]:
    """A few deliberately faked visits of each kind among the demo station's genuine ones, in the last weeks (and
    the genuine visits their villages' reference points need first); a reviewer has judged two of them."""
    made: list[tuple[Submission, date]] = []

    def visit(person: Person, case: Case, day: date, fake: Fake | None = None) -> Submission:
        name = case.label.split(" · ")[0]
        submission = _visit(forms[person.form], station, worker, rng, day, case.id, person, name,
                            case.village_code or "", new=False, fake=fake)
        made.append((submission, day))
        return submission

    by_village: dict[str, list] = {}
    for person, case in registered:
        by_village.setdefault(case.village_code, []).append((person, case))
    used = {day for worker_id, day in _CLOCKS if worker_id == worker.id}

    def free_day(back: int) -> date:
        """A day, ``back`` days ago or before, on which the worker made no other visit (a fake stands alone)."""
        day = today - timedelta(days=back)
        while day in used:
            day -= timedelta(days=1)
        used.add(day)
        return day

    for village, people in by_village.items():  # enough genuine visits for each village's reference point
        known = len(authenticity_queries.village_positions(village, 100))
        for n in range(max(0, VILLAGE_VISITS - known)):
            person, case = people[n % len(people)]
            visit(person, case, today - timedelta(days=20 + n))
    people = [pair for pair in registered]
    office = place_of(station.code, 0)
    office = (office[0] + 0.05, office[1])  # the station's office in the township's town, 5 km from the villages
    photos = _PHOTOS.get(station.code, [])
    original, second = photos[0], photos[1]
    faked = [
        Fake(minutes=2), Fake(starts=time(23, 20)), Fake(no_position=True), Fake(accuracy=260),
        Fake(point=(place_of(people[0][1].village_code, VILLAGE_SPREAD)[0] + 0.03,
                    place_of(people[0][1].village_code, VILLAGE_SPREAD)[1])),  # 3.3 km from the village
        Fake(photo=original),                     # last month's photo sent again
        Fake(photo=resized_copy(second)),         # the same photo, resized and saved again
    ]
    for n, fake in enumerate(faked):
        person, case = people[n % len(people)]
        visit(person, case, free_day(3 + n), fake)
    # Two villages 25 km apart ten minutes from each other, and four people "visited" at the office one afternoon.
    day = free_day(11)
    first_person, first_case = people[0]
    visit(first_person, first_case, day, Fake(starts=time(10, 0), minutes=20))
    far = place_of(first_case.village_code, VILLAGE_SPREAD)
    second_person, second_case = people[1]
    visit(second_person, second_case, day, Fake(starts=time(10, 30), minutes=15, point=(far[0] + 0.22, far[1])))
    day = free_day(12)
    for n, (person, case) in enumerate(people[:4]):
        visit(person, case, day, Fake(starts=time(14, 15 * n), minutes=10,
                                      point=(office[0] + n * 0.00005, office[1])))
    db.session.flush()
    for sha256 in authenticity_queries.list_station_blobs(station.code):  # as the thumbnail job does, in order
        media.inspect_photo(sha256, media_storage())
    if reviewer is not None:
        judged = [s for s, _d in made if s.instance_id in FAKED and s.flags]
        if judged:
            authenticity.record_verdict(judged[0], reviewer, authenticity.NOT_GENUINE,
                                        "电话回访服务对象，当天社工没有上门")
            _date_last_event(judged[0], today - timedelta(days=1))
        if len(judged) > 3:
            authenticity.record_verdict(judged[3], reviewer, authenticity.GENUINE, "已电话核实，老人确认社工当天来过")
            _date_last_event(judged[3], today - timedelta(days=1))
    return made


def _return_to_worker(visit: tuple[Submission, date], reviewer: User, rng: random.Random) -> None:
    submission, day = visit
    review.return_to_worker(submission, reviewer, rng.choice(RETURN_REASONS))
    _date_last_event(submission, day + timedelta(days=2))


def _review(made: list[tuple[Submission, date]], reviewer: User, rng: random.Random, today: date,
            everything: bool, share: float) -> None:
    """Visits older than a week reviewed as a supervisor does: most approved, some with issues, a few rejected.
    ``share``: how many of them the supervisor has got to (五华区's all of them, other counties' some)."""
    waiting = [(s, d) for s, d in made if s.review_state == ReviewState.RECEIVED and (today - d).days >= REVIEW_AFTER_DAYS]
    for index, (submission, day) in enumerate(waiting):
        if rng.random() >= share:
            continue
        roll = rng.random()
        if everything and index < 3:  # the demo's own station shows each state at least once
            roll = (0.0, 0.75, 0.9)[index]
        if roll < 0.7:
            review.set_review_state(submission, "approved", reviewer)
        elif roll < 0.85:
            review.set_review_state(submission, "has_issues", reviewer, rng.choice(ISSUE_NOTES))
        elif roll < 0.95:
            review.set_review_state(submission, "rejected", reviewer, "与前一次走访重复，以前一次为准")
        else:
            continue
        _date_last_event(submission, day + timedelta(days=rng.randint(1, 4)))


def _date_last_event(submission: Submission, day: date) -> None:
    """Reviews happen on working days after the visit, not all at the moment the demo is loaded."""
    db.session.refresh(submission, ["events"])
    moment = datetime.combine(min(day, today_in_china()), time(16, 30), tzinfo=CHINA)
    submission.events[-1].created_at = min(moment, utc_now().astimezone(CHINA))


def _edit(submission: Submission, day: date) -> None:
    """The worker corrects a sent visit from the phone (Collect's edit: a new instanceID naming the old one)."""
    version = next(v for v in submission.versions if v.current)
    xml = version.xml.replace(b"<has_emergency_contact>no<", b"<has_emergency_contact>yes<").replace(
        b"<risk_level>low<", b"<risk_level>medium<")
    edit_id = f"uuid:{uuid.uuid4()}"
    xml = xml.replace(f"<instanceID>{version.instance_id}</instanceID>".encode(),
                      f"<instanceID>{edit_id}</instanceID><deprecatedID>{version.instance_id}</deprecatedID>".encode())
    origin = Origin(submitter=submission.submitter, device_id=version.device_id, user_agent="Lastmeter demo")
    result = _ingest(xml, [], origin)
    moment = datetime.combine(day + timedelta(days=1), time(9, 5), tzinfo=CHINA)
    result.version.created_at = result.submission.updated_at = min(moment, utc_now().astimezone(CHINA))


def _ingest(xml: bytes, files: list[IncomingFile], origin: Origin) -> IngestResult:
    """As a phone's upload is received, and applied to its case at once (the demo's next visits build on it)."""
    result = ingest_submission(xml, files, origin, media_storage())
    apply_pending_visits()
    return result


def _name(rng: random.Random, kind: str) -> str:
    given = {"elder": ELDER_GIVEN, "child": CHILD_GIVEN, "adult": ADULT_GIVEN}[kind]
    return rng.choice(SURNAMES) + rng.choice(given)


@dataclass(frozen=True)
class Fake:
    """How a deliberately faked demo visit departs from a genuine one (docs/authenticity.md): so the visit-quality
    view shows each kind of flag on any day."""

    minutes: float | None = None           # how long the form was open
    starts: time | None = None             # when it was started (Beijing time)
    point: tuple[float, float] | None = None  # where it was recorded
    accuracy: float | None = None
    no_position: bool = False
    photo: bytes | None = None             # the photo sent (another visit's, or a copy of it)


FAKED: list[str] = []  # the faked visits' instance IDs, as loaded (the false-positive measurement leaves them out)
_PHOTOS: dict[str, list[bytes]] = {}  # each station's demo photos, as sent (a faked visit reuses one)
_CLOCKS: dict[tuple[int, date], datetime] = {}  # a worker's day: when their next visit may start


def place_of(code: str, spread: float) -> tuple[float, float]:
    """A demo area's centre (a station's around Kunming, a village's around its station), fixed by its code."""
    if len(code) <= 9:
        rng = random.Random(f"centre-{code}")
        return 24.75 + rng.uniform(0, 0.6), 102.45 + rng.uniform(0, 0.6)
    latitude, longitude = place_of(code[:9], spread)
    rng = random.Random(f"village-{code}")
    return latitude + rng.uniform(-spread, spread), longitude + rng.uniform(-spread, spread)


VILLAGE_SPREAD = 0.03   # degrees (about 3 km): a township's villages around its centre
HOME_SPREAD_M = 200     # metres: a village's homes around its centre (a normal spread)…
HOME_EDGE_M = 300       # …within its edge, north–south and east–west


def _start_of(worker: User, day: date, placing: random.Random, minutes: float) -> datetime:
    """A visit's start that the worker's day allows: the first from 09:00, each later one 20–60 minutes after the
    previous one ended (time to walk or ride to the next home)."""
    key = (worker.id, day)
    start = _CLOCKS.get(key) or datetime.combine(day, time(9, placing.randint(0, 40)), tzinfo=CHINA)
    _CLOCKS[key] = start + timedelta(minutes=minutes + placing.randint(20, 60))
    return start


def _visit(form: FormVersion, station: Station, worker: User, rng: random.Random, day: date, case_id: str,
           person: Person, name: str, village: str, new: bool, clock_reset: bool = False,
           fake: Fake | None = None) -> Submission:
    placing = random.Random(f"{station.code}-{name}-{village}-{day}-{fake is not None}")  # where and when, apart from
    # the answers' random choices (and the same on every load)
    minutes = fake.minutes if fake and fake.minutes is not None else placing.uniform(6, 45)
    start = datetime.combine(day, fake.starts, tzinfo=CHINA) if fake and fake.starts \
        else _start_of(worker, day, placing, minutes)
    end = start + timedelta(minutes=minutes)
    centre = place_of(village, VILLAGE_SPREAD)
    north, east = (max(-HOME_EDGE_M, min(HOME_EDGE_M, placing.gauss(0, HOME_SPREAD_M))) for _ in range(2))
    latitude, longitude = (fake.point if fake and fake.point else
                           (centre[0] + north / 111_320, centre[1] + east / (111_320 * 0.906)))
    accuracy = fake.accuracy if fake and fake.accuracy else (placing.uniform(3, 15) if placing.random() < 0.95
                                                             else placing.uniform(20, 60))
    values = {"visit_date": day.isoformat(), "case_mode": "new" if new else "existing",
              "start": start.isoformat(timespec="milliseconds"), "end": end.isoformat(timespec="milliseconds")}
    if not (fake and fake.no_position):
        values["location"] = f"{latitude:.6f} {longitude:.6f} {placing.randint(1700, 2300)} {accuracy:.1f}"
    values.update(_answers(form.form.xml_form_id, rng))
    photo_name = f"{int(start.timestamp() * 1000) + rng.randint(0, 999)}.jpg"
    photo_field = {"elder_patrol": "photos/photo_elder", "child_followup": "photos/photo_home",
                   "home_visit": "photos/photo_home"}[form.form.xml_form_id]
    values[photo_field] = photo_name
    if clock_reset:
        values["start"] = PHONE_CLOCK_RESET
    birth = _birth(rng, person.kind, day)
    label = f"{name} · {place_queries.get_area_by_code(village).name}"
    if new:
        values.update({"registration/reg_name": name, "registration/reg_gender": rng.choice(["male", "female"]),
                       "registration/reg_birth_date": birth.isoformat(), "registration/reg_category": person.categories,
                       "registration/reg_village": village})
        entity = {"id": case_id, "create": "1", "update": "0", "label": label}
        drop = ("case",)
    else:
        case = db.session.get(Case, case_id)
        values["case"] = case_id
        entity = {"id": case_id, "create": "0", "update": "1", "baseVersion": str(case.version), "label": label}
        drop = ("registration",)
    xml = build_instance(form.xml, values, f"uuid:{uuid.uuid4()}", entity=entity, drop=drop)
    origin = Origin(submitter=worker, device_id=f"collect:demo{station.code}", user_agent="Lastmeter demo")
    photo = fake.photo if fake and fake.photo else demo_photo(rng.randint(0, 7), next(_PHOTO_DETAILS))
    _PHOTOS.setdefault(station.code, []).append(photo)
    result = _ingest(xml, [IncomingFile(photo_name, _upload(photo), "image/jpeg")], origin)
    moment = min(end + timedelta(minutes=placing.randint(2, 90)), utc_now().astimezone(CHINA))
    result.submission.created_at = moment
    result.version.created_at = moment
    read_envelope(xml)  # the demo instance must read back as any phone's would
    if fake is not None:
        FAKED.append(result.submission.instance_id)
    return result.submission


def _birth(rng: random.Random, kind: str, day: date) -> date:
    years = {"elder": rng.randint(65, 92), "child": rng.randint(4, 15), "adult": rng.randint(30, 58)}[kind]
    return date(day.year - years, rng.randint(1, 12), rng.randint(1, 28))


def _answers(form_id: str, rng: random.Random) -> dict[str, str]:
    pick = rng.choice
    if form_id == "elder_patrol":
        return {"living/living_arrangement": pick(["alone", "spouse_only", "with_children"]),
                "living/children_contact": pick(["weekly", "monthly", "rarely"]),
                "health/chronic_conditions": pick(["hypertension", "diabetes arthritis", "none"]),
                "health/hospital_3m": pick(["yes", "no", "no"]), "health/medication": pick(["regular", "irregular"]),
                "adl/adl_feeding": pick(["10", "5"]), "adl/adl_bathing": pick(["5", "0"]),
                "adl/adl_grooming": "5", "adl/adl_dressing": pick(["10", "5"]), "adl/adl_bowels": "10",
                "adl/adl_bladder": pick(["10", "5"]), "adl/adl_toilet": pick(["10", "5"]),
                "adl/adl_transfers": pick(["15", "10", "5"]), "adl/adl_mobility": pick(["15", "10", "5"]),
                "adl/adl_stairs": pick(["10", "5", "0"]), "mind/memory_problem": pick(["never", "sometimes"]),
                "mind/orientation": pick(["clear", "partly"]), "mind/low_mood": pick(["never", "sometimes", "often"]),
                "mind/loneliness": pick(["sometimes", "often"]), "safety/home_hazards": pick(["none", "no_handrails"]),
                "care/daily_carer": pick(["self", "spouse", "children"]), "care/has_emergency_contact": "no"}
    if form_id == "child_followup":
        return {"child_situation/left_behind_type": pick(["both_away", "one_away"]),
                "child_situation/difficulty_types": "none",
                "child_situation/parent_contact": pick(["weekly", "monthly"]),
                "guardian/guardian_relation": "grandparent", "guardian/guardian_age": str(rng.randint(58, 75)),
                "guardian/guardian_health": pick(["good", "fair"]),
                "guardian/guardianship_quality": pick(["good", "fair", "poor"]),
                "schooling/school_status": "in_school",
                "schooling/attendance_issues": pick(["none", "falling_behind"]),
                "wellbeing/child_health": pick(["good", "fair"]), "wellbeing/mental_signs": pick(["none", "withdrawn"]),
                "safety/safety_signs": "none",
                "actions/actions_taken": pick(["emotional_support", "guardian_guidance"]),
                "risk_level": pick(["low", "medium"])}
    return {"presence/present_people": pick(["self", "self spouse", "self children"]),
            "situation/living_conditions": pick(["good", "fair", "poor"]),
            "situation/health_status": pick(["good", "fair", "poor"]), "situation/mental_state": pick(["good", "fair"]),
            "services/needs": pick(["social_assistance", "social_assistance social_affairs"]),
            "services/services_given": pick(["policy_explanation", "application_help emotional_support"]),
            "referral/referral_made": "no", "risk/risk_flags": pick(["none", "no_income"]),
            "risk_level": pick(["low", "medium", "high"])}


_PHOTO_DETAILS = itertools.count(1)  # each demo visit's photo its own (apart from the visit's random choices)


def _upload(photo: bytes) -> HashingUpload:
    upload = media_storage().new_upload()
    upload.write(photo)
    upload.seek(0)
    return upload


# (responses in the last complete month, share satisfied): met, not met, too few. Each station with feedback
# also has a few answers this month and in the two months before, as a live plaque would.
FEEDBACK_PROFILES = ((32, 0.97), (31, 0.80), (4, 0.75))
FEEDBACK_AROUND = 4  # answers outside the last complete month, per station with a full profile


def load_demo_feedback() -> int:
    """Resident feedback through the plaque channel, dated around the last complete month: in 五华区 its first
    three stations (above 90 %, below, too few answers), elsewhere each county's first station, in turn."""
    from server.services.feedback import FeedbackAnswers, SERVICE_CHOICES, submit_feedback

    if form_queries.get_form_by_xml_form_id("resident_feedback") is None:
        return 0
    added = 0
    today = today_in_china()
    for county in place_queries.list_areas_in_scope(_everything(), AreaLevel.COUNTY):
        townships = place_queries.list_child_areas(county.code)
        chosen = [(t.code, profile) for t, profile in zip(townships, FEEDBACK_PROFILES)] if county.code == "530102" \
            else [(t.code, FEEDBACK_PROFILES[int(county.code) % len(FEEDBACK_PROFILES)]) for t in townships[:1]]
        for code, (responses, share) in chosen:
            station = place_queries.get_station_by_code(code)
            if station is None or submission_queries.count_station_feedback(station.code):
                continue
            rng = random.Random(f"feedback-{station.code}")
            days = _feedback_days(rng, today, responses)
            for index, day in enumerate(days):
                satisfied = rng.random() < share if index >= responses else index < round(responses * share)
                answers = FeedbackAnswers(rng.choice(SERVICE_CHOICES[:7]), rng.choice("45") if satisfied else
                                          rng.choice("123"), rng.choice(["", "", "希望多来走访", "办事很耐心"]), "")
                moment = datetime.combine(day, time(rng.randint(8, 20), rng.randint(0, 59)), tzinfo=CHINA)
                moment = min(moment, utc_now().astimezone(CHINA))
                result = submit_feedback(station, answers, f"demo-resident-{index}", "Lastmeter demo",
                                         media_storage(), now=moment)
                result.submission.created_at = result.version.created_at = moment
                added += 1
            db.session.flush()
            db.session.expunge_all()
    return added


def _feedback_days(rng: random.Random, today: date, responses: int) -> list[date]:
    """``responses`` days in the last complete month, then a few this month and in the two months before."""
    month = last_complete_month(today)
    span = (month.end - month.start).days
    days = [month.start + timedelta(days=rng.randint(0, span)) for _ in range(responses)]
    if responses < FEEDBACK_PROFILES[0][0] // 2:
        return days
    this_month = (today - month.end).days - 1  # days of this month before today
    earlier = month.start - timedelta(days=61)
    days += [today - timedelta(days=rng.randint(0, this_month)) for _ in range(FEEDBACK_AROUND // 2)]
    days += [earlier + timedelta(days=rng.randint(0, 60)) for _ in range(FEEDBACK_AROUND - FEEDBACK_AROUND // 2)]
    return days


# ---- volunteer service: a few months of activities per station ---------------------------------------------

ACTIVITIES = (("重阳节敬老探访", "elderly"), ("困境儿童课业辅导", "children"), ("社区环境整治", "community_governance"),
              ("政策宣传进村入户", "social_assistance"), ("防汛应急演练", "emergency"), ("志愿者技能培训", "volunteering"))
VOLUNTEER_MONTHS = 4


def load_demo_volunteering() -> int:
    """Service records of the last four months for every demo station with volunteers and none yet: each month
    one or two activities, a dozen of the station's volunteers with their hours, reviewed like the visits (one
    rejected at the demo's own station, and one naming a new volunteer who waits for approval)."""
    from server.models.volunteers import VolunteerHours
    from server.queries import volunteers as volunteer_queries

    form = form_queries.get_form_by_xml_form_id("volunteer_service")
    if form is None or form.current_version is None:
        return 0
    made = 0
    today = today_in_china()
    password_hash = accounts.hash_password(WORKER_PASSWORD)
    for station in place_queries.list_stations_in_scope(_everything()):
        people = volunteer_queries.list_station_volunteers(station.code)
        already = db.session.scalar(select(VolunteerHours.id).where(VolunteerHours.station_code == station.code))
        if not people or already is not None:
            continue
        rng = random.Random(f"volunteering-{station.code}")
        worker, reviewer = _station_worker(station, password_hash), _reviewer(station.code)
        records = []
        for months_back in range(VOLUNTEER_MONTHS, 0, -1):
            for _ in range(rng.randint(1, 2)):
                day = today - timedelta(days=months_back * 30 - rng.randint(0, 25))
                if day >= today:
                    continue
                team = rng.sample(people, min(len(people), rng.randint(8, 16)))
                new = ("陈晓雨",) if station.code == DEMO_STATION and not records else ()
                records.append((_service(form.current_version, station, worker, rng, day, team, new), day))
                made += 1
        if reviewer is None:
            continue
        for index, (submission, day) in enumerate(records):
            if day > today - timedelta(days=REVIEW_AFTER_DAYS) or (index == 0 and station.code == DEMO_STATION):
                continue  # the newest wait for review; the first at the demo station names a new volunteer
            state = "rejected" if station.code == DEMO_STATION and index == 1 else "approved"
            review.set_review_state(submission, state, reviewer, "活动照片与记录不符" if state == "rejected" else "")
            _date_last_event(submission, day + timedelta(days=2))
        db.session.flush()
    return made


def _service(form: FormVersion, station: Station, worker: User, rng: random.Random, day: date, team: list,
             new: tuple[str, ...]) -> Submission:
    title, area = rng.choice(ACTIVITIES)
    default_hours = rng.choice(["2", "2.5", "3", "4"])
    values = {"service_date": day.isoformat(), "activity_title": title, "service_area": area,
              "place_name": station.township.name, "default_hours": default_hours,
              "location": f"{25.04 + rng.uniform(-0.3, 0.3):.5f} {102.71 + rng.uniform(-0.3, 0.3):.5f} 1890 8",
              "people_served": str(rng.randint(8, 60)), "has_new_volunteers": "yes" if new else "no",
              "photo_activity": "activity.jpg"}
    parts = []
    for member in team:
        own = rng.choice(["", "", "", "1.5", "5"])
        parts.append({"volunteer_id": str(member.id), "volunteer_name": member.name, "own_hours": own,
                      "hours": own or default_hours})
    repeats = {"volunteer": parts}
    if new:
        repeats["new_volunteer"] = [{"new_name": name, "new_gender": "female", "new_phone": "13700001234",
                                     "new_own_hours": "", "new_hours": default_hours} for name in new]
    xml = build_instance(form.xml, values, f"uuid:{uuid.uuid4()}", drop=() if new else ("new_volunteer",),
                         repeats=repeats)
    origin = Origin(submitter=worker, device_id=f"collect:demo{station.code}", user_agent="Lastmeter demo")
    result = _ingest(xml, [IncomingFile("activity.jpg", _upload(demo_photo(rng.randint(0, 7), next(_PHOTO_DETAILS))),
                                                  "image/jpeg")], origin)
    moment = datetime.combine(day, time(rng.randint(15, 18), rng.randint(0, 59)), tzinfo=CHINA)
    result.submission.created_at = result.version.created_at = moment
    return result.submission
