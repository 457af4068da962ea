"""What people do with the authenticity flags (docs/authenticity.md): a reviewer's verdict (genuine, or not genuine,
which rejects the visit), the visit-quality view per station, worker and month (pages, API, report pack), a county's
own thresholds, and the worker seeing the flags of a visit sent back to them."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from server.adapters.images import demo_photo
from server.extensions import db
from server.models import AuthenticityThresholds, ReviewState, Submission
from server.services.forms import publish_form
from tests.support.events import PASSWORD, bearer
from tests.support.instances import fill_instance
from tests.support.web import csrf_token, post_form, sign_in

ROOT = Path(__file__).parents[2]
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def xform(app, collect, make_user):
    publish_form((ROOT / "forms" / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    make_user("wuhua", "county", "530102", PASSWORD)
    make_user("panlong", "county", "530103", PASSWORD)
    make_user("huashan", "station", "530102001", PASSWORD)
    db.session.commit()
    return collect.get("/forms/home_visit.xml").data


def send(collect, xform: bytes, days: int, minutes: float, seed: int, location: str = "25.0406 102.7123 1890 8") -> str:
    started = datetime.now(CHINA).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=days)
    instance = f"uuid:{uuid.uuid4()}"
    xml = fill_instance(xform, {
        "start": started.isoformat(timespec="milliseconds"),
        "end": (started + timedelta(minutes=minutes)).isoformat(timespec="milliseconds"),
        "today": started.date().isoformat(), "case_mode": "new", "visit_date": started.date().isoformat(),
        "registration/reg_name": "王桂英", "registration/reg_gender": "female", "registration/reg_birth_date": "1948-05-02",
        "registration/reg_category": "destitute", "registration/reg_village": "530102001001", "risk_level": "low",
        "photos/photo_home": "home.jpg", "location": location}, instance, drop=("case",),
        entity={"id": str(uuid.uuid4()), "create": "1", "update": "0", "label": "王桂英 · 团结社区"})
    assert collect.submit(xml, [("home.jpg", demo_photo(seed % 8, seed))]).status_code == 201
    return instance


def submission(instance: str) -> Submission:
    db.session.expire_all()
    return db.session.scalars(select(Submission).where(Submission.instance_id == instance)).one()


def test_not_genuine_rejects_the_visit_with_the_reviewers_words_and_genuine_keeps_it(client, collect, xform):
    hurried, quick, fine = send(collect, xform, 3, 2, 1), send(collect, xform, 4, 2, 2), send(collect, xform, 5, 30, 3)
    sign_in(client, "wuhua", PASSWORD)
    page = client.get(f"/submissions/{hurried}").get_data(as_text=True)
    assert 'id="authenticity"' in page and "表单从打开到完成只用了 2 分钟，此类走访最短应为 3 分钟。" in page
    assert 'id="verdict-form"' in page
    # Not genuine without a word: refused, the choice kept, nothing changed.
    refused = post_form(client, f"/submissions/{hurried}", f"/submissions/{hurried}/verdict",
                        {"verdict": "not_genuine", "note": " "})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "请写明认定不属实的依据" in text and 'value="not_genuine" checked' in text
    assert submission(hurried).review_state == ReviewState.RECEIVED
    done = post_form(client, f"/submissions/{hurried}", f"/submissions/{hurried}/verdict",
                     {"verdict": "not_genuine", "note": "电话回访，老人说当天没人来"})
    assert done.status_code == 302 and submission(hurried).review_state == ReviewState.REJECTED
    page = client.get(f"/submissions/{hurried}").get_data(as_text=True)
    assert 'id="verdict"' in page and "不属实" in page and "电话回访，老人说当天没人来" in page
    # Genuine keeps the state and the flags; the API says the same.
    headers = bearer(client, "wuhua")
    answer = client.post(f"/api/v1/submissions/{quick}/verdict", json={"verdict": "genuine"}, headers=headers)
    assert answer.status_code == 200 and answer.json["review_state"] == "received"
    assert answer.json["verdict"]["verdict"] == "genuine" and answer.json["verdict"]["user"] == "wuhua"
    assert answer.json["authenticity"][0]["code"] == "too_short" and answer.json["authenticity"][0]["detail"] == \
        {"minutes": 2.0, "minimum": 3}
    assert submission(quick).flags == ["too_short"]
    # Nothing to judge on an unflagged visit; a worker judges nothing.
    unflagged = client.post(f"/api/v1/submissions/{fine}/verdict", json={"verdict": "genuine"}, headers=headers)
    assert unflagged.status_code == 409 and unflagged.json["code"] == "409.8"
    worker = bearer(client, "worker1", "Huashan-2026")
    assert client.post(f"/api/v1/submissions/{quick}/verdict", json={"verdict": "not_genuine", "note": "x"},
                       headers=worker).status_code == 403
    assert client.post(f"/api/v1/submissions/{quick}/verdict", json={"verdict": "fake"},
                       headers=headers).status_code == 400


def test_the_quality_view_counts_flags_per_100_visits_by_station_worker_and_month(client, collect, xform):
    for n in range(3):
        send(collect, xform, 2 + n, 30, 10 + n)  # genuine
    send(collect, xform, 6, 2, 20)                # too short
    night = send(collect, xform, 7, 30, 21, location="25.0406 102.7123 1890 250")  # vague position
    headers = bearer(client, "wuhua")
    view = client.get("/api/v1/quality", headers=headers).json
    assert view["total"]["visits"] == 5 and view["total"]["flagged"] == 2 and view["total"]["flagged_per_100"] == 40.0
    station = next(s for s in view["stations"] if s["station"] == "530102001")
    assert station["by_kind"] == {"too_short": 1, "poor_gps": 1} and station["per_100"]["too_short"] == 20.0
    assert sum(m["visits"] for m in view["months"]) == 5 and view["workers"] == []
    one = client.get("/api/v1/quality?station=530102001", headers=headers).json
    assert [(w["worker"], w["visits"], w["flagged"]) for w in one["workers"]] == [("worker1", 5, 2)]
    # The station head sees their own station by worker; another county's supervisor sees none of it.
    head = client.get("/api/v1/quality", headers=bearer(client, "huashan")).json
    assert head["workers"][0]["worker"] == "worker1"
    # A station that sent nothing is listed too, last, with no rate: the one a supervisor must see first.
    quiet = client.get("/api/v1/quality", headers=bearer(client, "panlong")).json
    assert quiet["total"]["visits"] == 0
    assert [(s["station"], s["visits"], s["flagged_per_100"]) for s in quiet["stations"]] == [("530103001", 0, None)]
    assert [s["station"] for s in view["stations"]] == ["530102001"]  # wuhua's own, not panlong's
    from server.domain.stations import StationStatus
    from server.models import Station

    db.session.get(Station, "530103001").status = StationStatus.CLOSED  # a closed station without visits is not
    db.session.commit()
    assert client.get("/api/v1/quality", headers=bearer(client, "panlong")).json["stations"] == []
    db.session.get(Station, "530103001").status = StationStatus.OPERATING
    db.session.commit()
    assert client.get("/api/v1/quality?station=530102001", headers=bearer(client, "panlong")).status_code == 404
    assert client.get("/api/v1/quality", headers=bearer(client, "worker1", "Huashan-2026")).status_code == 403
    assert client.get("/api/v1/quality?months=5", headers=headers).status_code == 400
    # The page says it in words, linking each count to the flagged visits.
    sign_in(client, "wuhua", PASSWORD)
    page = client.get("/quality").get_data(as_text=True)
    assert 'id="quality-stations"' in page and "华山街道" in page and "走访时间过短" in page
    sign_in(client, "panlong", PASSWORD)
    assert "<strong>无走访</strong>" in client.get("/quality").get_data(as_text=True)
    sign_in(client, "wuhua", PASSWORD)
    assert "/submissions?flag=too_short&amp;station=530102001" in page
    listed = client.get("/submissions?flag=poor_gps&station=530102001").get_data(as_text=True)
    assert night in listed
    workers = client.get("/quality?station=530102001").get_data(as_text=True)
    assert 'id="quality-workers"' in workers


def test_a_countys_thresholds_change_what_is_flagged_from_then_on_and_only_the_county_or_city_sets_them(
        client, collect, xform):
    headers = bearer(client, "wuhua")
    url = "/api/v1/counties/530102/authenticity-thresholds"
    before = {t["key"]: t for t in client.get(url, headers=headers).json["thresholds"]}
    assert before["min_minutes.home_visit"]["value"] == 3 and before["min_minutes.home_visit"]["own"] is False
    wrong = client.put(url, json={"values": {"min_minutes.home_visit": 90, "far_from_home_m": 800}}, headers=headers)
    assert wrong.status_code == 400 and "最短时长（入户走访）应在 1–60 分钟之间" in wrong.json["message"]
    assert db.session.get(AuthenticityThresholds, "530102") is None  # nothing saved
    saved = client.put(url, json={"values": {"min_minutes.home_visit": 10}}, headers=headers)
    assert saved.status_code == 200 and saved.json["updated_by"] == "wuhua"
    assert {t["key"]: t["value"] for t in saved.json["thresholds"]}["min_minutes.home_visit"] == 10
    eight_minutes = send(collect, xform, 2, 8, 30)
    assert submission(eight_minutes).flags == ["too_short"]  # under the county's 10, over the default 3
    # A station head or another county: not theirs to set.
    assert client.put(url, json={"values": {}}, headers=bearer(client, "huashan")).status_code == 403
    assert client.get(url, headers=bearer(client, "panlong")).status_code == 404
    # The page: a wrong value refused in words, what was typed kept.
    sign_in(client, "wuhua", PASSWORD)
    page = "/quality/thresholds/530102"
    form = client.get(page).get_data(as_text=True)
    assert 'value="10"' in form and "离家距离上限" in form
    refused = post_form(client, page, page, {"far_from_home_m": "很远", "min_minutes.home_visit": "10"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "离家距离上限应为整数" in text and 'value="很远"' in text
    assert db.session.get(AuthenticityThresholds, "530102").values == {"min_minutes.home_visit": 10}


def test_the_worker_sees_the_flags_of_their_visit_sent_back(client, collect, xform):
    hurried = send(collect, xform, 3, 2, 40)
    sign_in(client, "wuhua", PASSWORD)
    post_form(client, f"/submissions/{hurried}", f"/submissions/{hurried}/return", {"reason": "请再上门一次"})
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/dashboard").get_data(as_text=True))})
    sign_in(client, "worker1", "Huashan-2026")
    page = client.get("/fill/").get_data(as_text=True)
    assert "请再上门一次" in page and 'data-check="too_short"' in page and "只用了 2 分钟" in page
