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
def test_load_demo_is_idempotent_and_prints_accounts(runner):
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
