from datetime import timedelta
import re

import pytest
from sqlalchemy import func, select, text

from server.extensions import db
from server.domain.clock import today_in_china
from server.models import Area, Case, Form, StaffMember, Station, Submission, User


def test_healthz_checks_the_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == db.engine.dialect.name


def test_init_db_is_idempotent(runner):
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        return
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# The demo is what `scripts/serve` loads into its SQLite file; loading it (twice) on PostgreSQL adds a minute
# and nothing the other tests do not cover there.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_load_demo_is_idempotent_and_prints_accounts(runner, client):
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    counts = (count(Area), count(Station), count(StaffMember), count(User))
    assert db.session.scalar(select(func.count()).select_from(Area).where(Area.level == "county")) == 14
    assert counts[1] >= 14 * 3
    for username in ("admin", "wuhua", "huashan", "worker1"):
        assert username in first.output
    for form_id in ("home_visit", "household_survey", "elder_patrol", "child_followup", "resident_feedback"):
        assert re.search(rf"{form_id} \d{{10}} \(created\)", first.output), form_id
    assert count(Case) >= 14 * 4 * 5 and count(Submission) > count(Case)
    second = runner.invoke(args=["load-demo"])
    assert second.exit_code == 0, second.output
    assert re.search(r"home_visit \d{10} \(unchanged\)", second.output)
    assert (count(Area), count(Station), count(StaffMember), count(User)) == counts
    assert "cases +0, visits +0" in second.output and "projects +0" in second.output
    _every_demo_station_is_staffed_and_serving()
    _the_demo_looks_like_a_live_county_today()
    _the_demos_money_shows_what_a_supervisor_must_catch()
    _the_demos_visit_quality_shows_every_kind_of_flag()
    _the_demo_worker_lists_the_six_forms_and_their_station_files(client)


def _the_demos_visit_quality_shows_every_kind_of_flag():
    """华山街道 has a faked visit of every authenticity kind in the last weeks, one judged not genuine (rejected) and
    one genuine; no other station's genuine visit is flagged."""
    from server.domain.access import Role, Scope
    from server.domain.clock import today_in_china
    from server.services import authenticity

    today = today_in_china()
    everything = Scope(role=Role.ADMIN, area_code="530100", area_path="/530100/")
    report = authenticity.quality_report(everything, authenticity.months_back(today, 3), today)
    lines = {station.code: line for station, line in report.stations}
    assert set(lines["530102001"].by_kind) == {code.value for code in authenticity.AUTHENTICITY_FLAGS}
    assert lines["530102001"].verdicts == {"genuine": 1, "not_genuine": 1}
    assert all(line.flagged == 0 for code, line in lines.items() if code != "530102001")


def _the_demos_money_shows_what_a_supervisor_must_catch():
    """Every county has a project this year within A1; 五华区 has one over its 70 % line, an overspent line, a month
    not reported (from April on) and its purchases near §4.5's cap."""
    from server.domain.access import Role, Scope
    from server.domain.clock import today_in_china
    from server.models import Project
    from server.services import money

    today = today_in_china()
    projects = db.session.scalars(select(Project).where(Project.year == today.year)).all()
    assert len({p.county_code for p in projects}) == 14 and len(projects) == 15
    breaches = {p.county_code: [f.code for f in money.budget_findings(p) if f.severity == "breach"] for p in projects
                if money.budget_findings(p)}
    assert breaches == {"530102": ["pay_share"]}
    cap = money.county_cap("530102", today.year)
    assert cap.within and 0 < cap.margin * 100 <= cap.cap * 5  # within, by at most 5 % of the cap
    wuhua = db.session.scalars(select(Project).where(Project.county_code == "530102")).all()
    views = [money.project_view(p, today) for p in wuhua]
    if today.month > 1:
        assert any(line["over_budget"] for view in views for line in view["lines"]) or today.month < 5
    if today.month > 3:
        assert any(view["months_without_report"] for view in views)
    county = db.session.get(Area, "530102")
    scope = Scope(role=Role.COUNTY, area_code=county.code, area_path=county.path)
    assert {p.id for p in money.projects_in_scope(scope)} == {p.id for p in wuhua}


def _the_demo_looks_like_a_live_county_today():
    """Run on any day, the demo's visits lie in the last 12 weeks up to yesterday, every review state is there,
    and the last complete month — the dashboard's first screen — has stations above and below 90 %."""
    from server.domain.periods import last_complete_month
    from server.models import SubmissionEvent
    from server.services.indicators import indicators_of

    today = today_in_china()
    visits = db.session.execute(select(Submission.visit_date, Submission.review_state, Submission.flags)
                                .join(Form).where(Form.xml_form_id.not_in(["resident_feedback",
                                                                           "volunteer_service"]))).all()
    days = [day for day, _state, _flags in visits]
    assert today - timedelta(weeks=12) <= min(days) <= today - timedelta(weeks=8)
    assert today - timedelta(days=7) <= max(days) < today
    assert {str(state) for _day, state, _flags in visits} == {"received", "approved", "has_issues", "rejected", "edited"}
    assert any(flags and "clock_skew" in flags for _day, _state, flags in visits)
    service_days = db.session.scalars(select(Submission.visit_date).join(Form)
                                      .where(Form.xml_form_id == "volunteer_service")).all()
    assert service_days and today - timedelta(days=125) <= min(service_days) and max(service_days) < today
    returned = db.session.scalars(select(SubmissionEvent).where(SubmissionEvent.kind == "returned")).all()
    assert returned and all(e.submission.case and not e.submission.case.redo for e in returned)  # redone since
    assert all(e.created_at.date() < today for e in returned)
    assert {s.status for s in db.session.scalars(select(Station))} == {"operating"}
    month = last_complete_month(today)
    rates = {code: indicators_of(db.session.get(Area, code), month.start, month.end, with_children=False)
             ["satisfaction"] for code in ("530102001", "530102002")}
    assert [r["status"] for r in rates.values()] == ["met", "not_met"]
    assert all(r["responses"] >= 30 for r in rates.values())


def _every_demo_station_is_staffed_and_serving():
    for station in db.session.scalars(select(Station)):
        roles = [m.role for m in station.staff]
        assert roles.count("head") == 1 and roles.count("deputy_head") == 1
        assert roles.count("staff") >= 2
        assert station.official_name.startswith("昆明市") and station.official_name.endswith("社会工作服务站")
        cases = db.session.scalars(select(Case).where(Case.station_code == station.code)).all()
        assert len(cases) >= 5
        assert {"destitute", "left_behind_child"} <= {c for case in cases for c in case.category_codes}
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.parent_id.is_not(None))) > 0
    overdue = db.session.scalar(select(func.count()).select_from(Case).where(Case.next_due < today_in_china()))
    assert 0 < overdue < count(Case)


def test_unknown_json_route_gets_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["code"] == "404.0"


def _the_demo_worker_lists_the_six_forms_and_their_station_files(client):
    """The published field forms, end to end through the OpenRosa endpoints as the demo worker."""
    from server.queries.accounts import get_user_by_username
    from server.services.accounts import active_collect_token
    from tests.support.collect import CollectClient

    demo_collect = CollectClient(client, f"/key/{active_collect_token(get_user_by_username('worker1')).token}")
    listing = demo_collect.get("/formList").data.decode()
    assert sorted(re.findall(r"<formID>(\w+)</formID>", listing)) == sorted(
        ["child_followup", "elder_patrol", "home_visit", "household_survey", "resident_feedback", "volunteer_service"])
    manifest = demo_collect.get("/forms/household_survey/manifest").data.decode()
    assert {"cases.csv", "villages.csv", "station.csv"} <= set(re.findall(r"<filename>([^<]+)<", manifest))
    villages = demo_collect.get("/forms/household_survey/attachments/villages.csv").data.decode()
    assert villages.splitlines()[0] == "name,label" and "530102001001" in villages
    station = demo_collect.get("/forms/household_survey/attachments/station.csv").data.decode()
    assert "station_name,昆明市五华区华山街道社会工作服务站" in station
    assert "allowance_line_urban,830" in station
    volunteers = demo_collect.get("/forms/volunteer_service/attachments/volunteers.csv").data.decode().splitlines()
    assert volunteers[0] == "name,label" and len(volunteers) > 10  # the demo station's volunteers, names only
    cases = demo_collect.get("/forms/home_visit/attachments/cases.csv").data.decode().splitlines()
    assert len(cases) > 5 and all(",530102001" in row for row in cases[1:])  # only 华山's villages
    _a_home_visit_registering_a_new_person_is_accepted(demo_collect)


def _a_home_visit_registering_a_new_person_is_accepted(demo_collect):
    from tests.support.instances import fill_instance

    xform = demo_collect.get("/forms/home_visit.xml").data
    values = {"case_mode": "new", "visit_date": "2026-11-27", "location": "25.04 102.71 1890 5",
              "registration/reg_name": "张桂英", "registration/reg_village": "530102001001",
              "risk_level": "medium", "photos/photo_home": "1764300000000.jpg"}
    xml = fill_instance(xform, values)
    response = demo_collect.submit(xml, [("1764300000000.jpg", b"\xff\xd8\xff\xe0" + b"demo" * 500)])
    assert response.status_code == 201, response.data
    submission = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    version = submission.versions[0]
    assert version.data["registration"]["reg_name"] == "张桂英"
    assert version.latitude == 25.04
    assert [a.name for a in version.attachments if a.blob_sha256] == ["1764300000000.jpg"]
