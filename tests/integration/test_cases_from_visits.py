"""Cases created and updated by visits (ODK entities), their timeline, schedule and the phones' case list."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.domain.clock import today_in_china
from server.extensions import db
from server.models import Case, CaseEvent, Submission
from server.services.accounts import active_collect_token
from server.services.forms import publish_form
from tests.support.collect import CollectClient
from tests.support.instances import fill_instance
from pathlib import Path

FORMS = Path(__file__).parents[2] / "forms"
TODAY = today_in_china()


@pytest.fixture
def field_forms(app):
    for name in ("home_visit", "elder_patrol"):
        publish_form((FORMS / f"{name}.xlsx").read_bytes(), f"{name}.xlsx")
    db.session.commit()


@pytest.fixture
def phone(client, make_user, field_forms):
    """A worker's Collect at 华山街道 (station A), and one at 拓东街道 (station B)."""
    def make(username: str, station: str) -> CollectClient:
        user = make_user(username, "worker", station, "Worker-pass-1")
        phone = CollectClient(client, f"/key/{active_collect_token(user).token}")
        phone.xform = {f: phone.get(f"/forms/{f}.xml").data for f in ("home_visit", "elder_patrol")}
        return phone

    return make


def register(phone, name="张桂英", village="530102001001", category="destitute left_behind_elder",
             visit_date=None, risk="medium", form="home_visit", case_id=None) -> tuple[str, object]:
    case_id = case_id or str(uuid.uuid4())
    values = {"case_mode": "new", "visit_date": (visit_date or TODAY).isoformat(), "location": "25.04 102.71 1890 5",
              "registration/reg_name": name, "registration/reg_gender": "female",
              "registration/reg_birth_date": "1948-05-02", "registration/reg_category": category,
              "registration/reg_village": village, "registration/reg_id_number": "530102194805021234"}
    if form == "home_visit":
        values["risk_level"] = risk
    xml = fill_instance(phone.xform[form], values, drop=("case",),
                        entity={"id": case_id, "create": "1", "update": "0", "label": f"{name} · 团结社区"})
    return case_id, phone.submit(xml, [])


def follow_up(phone, case_id, base_version="1", risk="high", visit_date=None, next_visit=None):
    values = {"case_mode": "existing", "case": case_id, "visit_date": (visit_date or TODAY).isoformat(),
              "location": "25.04 102.71 1890 5", "risk_level": risk}
    if next_visit:
        values["next_visit_date"] = next_visit.isoformat()
    xml = fill_instance(phone.xform["home_visit"], values, drop=("registration",),
                        entity={"id": case_id, "create": "0", "update": "1", "baseVersion": base_version,
                                "label": "张桂英 · 团结社区"})
    return phone.submit(xml, [])


def timeline(case_id):
    return [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                                .order_by(CaseEvent.id))]


def test_registration_visit_creates_the_case(phone):
    a = phone("worker_a", "530102001")
    case_id, response = register(a, visit_date=TODAY - timedelta(days=2))
    assert response.status_code == 201, response.data
    case = db.session.get(Case, case_id)
    assert case.label == "张桂英 · 团结社区" and case.station_code == "530102001"
    assert case.category_codes == ["destitute", "left_behind_elder"]
    assert case.village_code == "530102001001" and case.risk_level == "medium"
    assert case.properties["id_number"] == "530102194805021234" and case.properties["gender"] == "female"
    assert case.registered_on == case.last_visit == TODAY - timedelta(days=2)
    assert case.next_due == TODAY - timedelta(days=2) + timedelta(days=30)  # destitute: monthly
    assert case.version == 1 and case.assigned_worker_id is not None
    assert db.session.scalars(select(Submission)).one().case_id == case_id
    assert timeline(case_id) == ["created"]


def test_follow_up_updates_the_case_and_appears_on_its_timeline(phone):
    a = phone("worker_a", "530102001")
    case_id, _ = register(a, visit_date=TODAY - timedelta(days=20))
    response = follow_up(a, case_id, base_version="1", risk="high")
    assert response.status_code == 201, response.data
    case = db.session.get(Case, case_id)
    assert case.version == 2 and case.risk_level == "high" and not case.conflict
    assert case.last_visit == TODAY and case.next_due == TODAY + timedelta(days=30)
    assert timeline(case_id) == ["created", "visited"]
    assert len(db.session.scalars(select(Submission).where(Submission.case_id == case_id)).all()) == 2


def test_two_offline_updates_of_the_same_version_flag_the_second_and_keep_both(phone):
    a = phone("worker_a", "530102001")
    a2 = phone("worker_a2", "530102001")
    case_id, _ = register(a)
    assert follow_up(a, case_id, base_version="1", risk="low").status_code == 201
    assert follow_up(a2, case_id, base_version="1", risk="high").status_code == 201
    case = db.session.get(Case, case_id)
    assert case.conflict and case.version == 3 and case.risk_level == "high"
    assert timeline(case_id) == ["created", "visited", "conflict"]
    conflict = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "conflict")).one()
    assert conflict.base_version == 1 and "both visits are kept" in conflict.note
    assert len(db.session.scalars(select(Submission).where(Submission.case_id == case_id)).all()) == 3


def test_worker_case_list_never_holds_another_stations_cases(phone):
    a, b = phone("worker_a", "530102001"), phone("worker_b", "530103001")
    case_a, _ = register(a, name="甲站对象")
    case_b, _ = register(b, name="乙站对象", village="530103001001")
    list_a = a.get("/forms/home_visit/attachments/cases.csv").data.decode()
    list_b = b.get("/forms/home_visit/attachments/cases.csv").data.decode()
    assert case_a in list_a and case_b not in list_a
    assert case_b in list_b and case_a not in list_b


def test_manifest_hash_moves_only_when_the_own_stations_cases_change(phone):
    import re

    a, b = phone("worker_a", "530102001"), phone("worker_b", "530103001")

    def cases_hash(p):
        manifest = p.get("/forms/home_visit/manifest").data.decode()
        return re.search(r"<filename>cases.csv</filename>\s*<hash>(md5:\w+)</hash>", manifest).group(1)

    first = cases_hash(a)
    register(b, name="乙站对象", village="530103001001")
    assert cases_hash(a) == first
    case_id, _ = register(a)
    second = cases_hash(a)
    assert second != first
    assert cases_hash(a) == second  # served from cache, same bytes
    follow_up(a, case_id, risk="high")
    assert cases_hash(a) != second


def test_case_list_shows_due_date_risk_and_redo(phone):
    a = phone("worker_a", "530102001")
    case_id, _ = register(a, visit_date=TODAY - timedelta(days=5), risk="high")
    case = db.session.get(Case, case_id)
    case.redo, case.redo_reason = True, "照片不清楚，请补拍"
    from server.services.cases import touch

    touch(case)
    db.session.commit()
    text = a.get("/forms/home_visit/attachments/cases.csv").data.decode()
    row = next(line for line in text.splitlines() if line.startswith(case_id))
    assert f",{(TODAY + timedelta(days=25)).isoformat()},high,1,照片不清楚，请补拍" in row


def test_the_next_visit_clears_the_redo_flag(phone):
    a = phone("worker_a", "530102001")
    case_id, _ = register(a)
    case = db.session.get(Case, case_id)
    case.redo, case.redo_reason = True, "请补充签名"
    db.session.commit()
    follow_up(a, case_id)
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert not case.redo and case.redo_reason is None


def test_planned_earlier_visit_brings_the_due_date_forward(phone):
    a = phone("worker_a", "530102001")
    case_id, _ = register(a)
    follow_up(a, case_id, next_visit=TODAY + timedelta(days=7))
    assert db.session.get(Case, case_id).next_due == TODAY + timedelta(days=7)


def test_a_future_visit_date_from_a_wrong_phone_clock_counts_as_today(phone):
    a = phone("worker_a", "530102001")
    case_id, _ = register(a, visit_date=TODAY + timedelta(days=300))
    assert db.session.get(Case, case_id).last_visit == TODAY


def test_village_outside_the_station_is_not_taken(phone):
    a = phone("worker_a", "530102001")
    case_id, response = register(a, village="530103001001")
    assert response.status_code == 201
    assert db.session.get(Case, case_id).village_code is None


def test_elder_patrol_registration_works_too(phone):
    a = phone("worker_a", "530102001")
    case_id, response = register(a, form="elder_patrol", category="empty_nest_elder")
    assert response.status_code == 201, response.data
    assert db.session.get(Case, case_id).category_codes == ["empty_nest_elder"]
