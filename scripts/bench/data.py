"""Bulk data for the scale benchmarks: a city of 14 counties × N townships with a station each, cases with
categories, and visit submissions (with their current version) spread over the last year — inserted
straight into the tables in executemany chunks, the way ingestion leaves them, in minutes not hours."""
from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select

CHUNK = 5_000
CATEGORIES = ("minimum_allowance", "destitute", "left_behind_elder", "left_behind_child", "child_in_difficulty",
              "disability", "empty_nest_elder")


def network(db, townships_per_county: int = 10) -> list[str]:
    """Areas and stations under 昆明市 (530100); returns the station codes."""
    from server.models import Area, Station

    rows, stations = [], []
    rows.append({"code": "530000", "name": "云南省", "level": "province", "parent_code": None, "path": "/530000/"})
    rows.append({"code": "530100", "name": "昆明市", "level": "city", "parent_code": "530000",
                 "path": "/530000/530100/"})
    for county in range(14):
        county_code = f"5301{county + 2:02d}"
        rows.append({"code": county_code, "name": f"第{county + 1}区", "level": "county", "parent_code": "530100",
                     "path": f"/530000/530100/{county_code}/"})
        for township in range(townships_per_county):
            code = f"{county_code}{township + 1:03d}"
            rows.append({"code": code, "name": f"第{township + 1}街道", "level": "township",
                         "parent_code": county_code, "path": f"/530000/530100/{county_code}/{code}/"})
            stations.append(code)
    db.session.execute(insert(Area.__table__), rows)
    db.session.execute(insert(Station.__table__), [
        {"code": code, "mode": "purchased", "status": "operating", "established_on": date(2021, 3, 1),
         "case_list_mode": "station", "created_at": datetime(2021, 3, 1, tzinfo=timezone.utc)} for code in stations])
    db.session.commit()
    return stations


def cases(db, stations: list[str], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """``count`` open cases spread over the stations; returns (case id, station) pairs."""
    from server.models import Case, CaseCategoryLink

    rng = random.Random(seed)
    made: list[tuple[str, str]] = []
    today = date.today()
    for first in range(0, count, CHUNK):
        rows, links = [], []
        for n in range(first, min(first + CHUNK, count)):
            case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            station = stations[n % len(stations)]
            registered = today - timedelta(days=rng.randint(30, 900))
            rows.append({"id": case_id, "label": f"对象{n}", "station_code": station, "status": "open",
                         "properties": {}, "version": 1, "conflict": False, "redo": False,
                         "registered_on": registered, "next_due": today + timedelta(days=rng.randint(-60, 60)),
                         "created_at": datetime.now(timezone.utc), "updated_at": datetime.now(timezone.utc)})
            links.append({"case_id": case_id, "category": CATEGORIES[n % len(CATEGORIES)]})
            made.append((case_id, station))
        db.session.execute(insert(Case.__table__), rows)
        db.session.execute(insert(CaseCategoryLink.__table__), links)
    db.session.commit()
    return made


def submissions(db, case_list: list[tuple[str, str]], count: int, form_id: int, form_version_id: int,
                start_id: int = 0, seed: int = 11) -> int:
    """``count`` visits to random cases over the last 365 days (ids from ``start_id`` + 1), stored in the order of
    their ``created_at``, as the server stores visits (a submission's ``created_at`` is the time it arrived): each
    call's rows lie in the tables as a live server would have written them, one run of arrivals per call."""
    from server.models import Submission, SubmissionVersion

    rng = random.Random(seed + start_id)
    xml = b"<data id='home_visit'/>"
    xml_sha256 = hashlib.sha256(xml).hexdigest()
    now = datetime.now(timezone.utc)
    arrivals = sorted(now - timedelta(seconds=seconds)
                      for seconds in random.Random(f"arrivals-{seed}-{start_id}").choices(range(365 * 86400), k=count))
    for first in range(start_id + 1, start_id + count + 1, CHUNK):
        rows, versions = [], []
        for n in range(first, min(first + CHUNK, start_id + count + 1)):
            case_id, station = case_list[rng.randrange(len(case_list))]
            created = arrivals[n - start_id - 1]
            instance_id = f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
            state = "rejected" if rng.random() < 0.02 else ("approved" if rng.random() < 0.3 else "received")
            rows.append({"id": n, "form_id": form_id, "instance_id": instance_id, "station_code": station,
                         "case_id": case_id, "review_state": state, "risk_level": rng.choice(("low", "medium", "high")),
                         "visit_date": created.date(), "created_at": created})
            versions.append({"id": n, "submission_id": n, "instance_id": instance_id, "current": True,
                             "form_version_id": form_version_id, "xml": xml, "xml_sha256": xml_sha256,
                             "data": _values(rng, n, case_id, created), "instance_name": f"对象{n}",
                             "latitude": 25 + rng.random() / 3, "longitude": 102.6 + rng.random() / 3,
                             "accuracy": 4.5, "device_id": "collect:bench", "created_at": created})
        db.session.execute(insert(Submission.__table__), rows)
        db.session.execute(insert(SubmissionVersion.__table__), versions)
        db.session.commit()
    from server.queries import coverage_model, tallies

    tallies.rebuild()  # Core inserts pass no flush: count the list's tallies again, as a bulk import must
    coverage_model.rebuild()  # and the cases' coverage read model
    db.session.commit()
    return count


def _values(rng: random.Random, n: int, case_id: str, created: datetime) -> dict:
    return {"visit_date": created.date().isoformat(), "case_mode": "existing", "case": case_id,
            "location": {"latitude": 25.04, "longitude": 102.71, "altitude": 1890.0, "accuracy": 4.5},
            "presence": {"present_people": ["self", "spouse"][: 1 + n % 2]},
            "situation": {"living_conditions": "fair", "health_status": rng.choice(("good", "fair", "poor")),
                          "mental_state": "good"},
            "services": {"needs": ["social_assistance"], "services_given": ["policy_explanation"],
                         "service_notes": f"第{n}次走访，了解近况并解释政策。"},
            "risk_level": "low", "photos": {"photo_home": f"{1714558951234 + n}.jpg"},
            "meta": {"instanceID": f"uuid:{n}"}}


def count(db, model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))
