"""Who may move which number (docs/indicators.md): the station supervises its workers' visits, but cannot
remove what residents say about it. Every role × every review action, on a visit and on resident feedback,
through the REST API and the pages, with the indicators read before and after each one."""
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.domain.clock import today_in_china
from server.extensions import db
from server.models import Form, Station, Submission, SubmissionEvent
from server.queries.accounts import get_user_by_username
from server.services import review
from server.services.feedback import issue_station_link
from server.services.forms import publish_form
from tests.integration.test_cases_from_visits import field_forms, follow_up, phone, register  # noqa: F401
from tests.integration.test_feedback import send
from tests.support.web import post_form, sign_in

TODAY = today_in_china()
THIS_MONTH = TODAY.strftime("%Y-%m")  # the pages open on the last complete month; the story happens in this one
FORMS = Path(__file__).parents[2] / "forms"
PASSWORD = "Review-pass-2026"
USERS = {"worker": ("worker_a", "worker", "530102001"), "station": ("huashan", "station", "530102001"),
         "county": ("wuhua", "county", "530102"), "admin": ("city", "admin", "530100")}

# Each action as the API takes it: method, path after the submission's URL, body.
ACTIONS = {
    "approve": ("PATCH", "", {"reviewState": "approved"}),
    "flag": ("PATCH", "", {"reviewState": "hasIssues"}),
    "reject": ("PATCH", "", {"reviewState": "rejected"}),
    "return": ("POST", "/return", {"reason": "照片看不清门牌，请补拍"}),
    "comment": ("POST", "/comments", {"body": "已电话回访"}),
    "exclude": ("PUT", "/exclusion", {"reason": "spam", "note": "广告，与服务无关"}),
}
# What each role gets for the actions above, in that order, on a visit and on a resident's feedback.
EXPECTED = {
    "worker": {"visit": "403 403 403 403 201 403", "feedback": "403 403 403 409 201 403"},
    "station": {"visit": "200 200 200 200 201 400", "feedback": "403 403 403 409 201 403"},
    "county": {"visit": "200 200 200 200 201 400", "feedback": "200 200 400 409 201 200"},
    "admin": {"visit": "200 200 200 200 201 400", "feedback": "200 200 400 409 201 200"},
}
# The only actions that move a number: rejecting a visit (coverage), excluding an answer (satisfaction).
MOVES = {("visit", "reject"): "coverage", ("feedback", "exclude"): "satisfaction"}


@pytest.fixture
def world(app, phone, client, make_user):
    """At 华山街道: a due case covered by one follow-up visit (coverage 1/1), and two residents' answers —
    very satisfied and very dissatisfied (satisfaction 50 %, counted from one answer on)."""
    app.config["SATISFACTION_MIN_RESPONSES"] = 1
    worker_phone = phone(USERS["worker"][0], "530102001")
    case_id, registered = register(worker_phone, category="destitute", visit_date=TODAY - timedelta(days=60))
    assert registered.status_code == 201
    assert follow_up(worker_phone, case_id, visit_date=TODAY - timedelta(days=10)).status_code == 201
    for username, role, scope in list(USERS.values())[1:]:
        make_user(username, role, scope, PASSWORD)
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    link = issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    for score, words in (("5", "很好"), ("1", "门常关着，找不到人")):
        assert send(client, link.token, satisfaction=score, improvement=words).status_code == 201
    visit = db.session.scalars(select(Submission).join(Form).where(Form.xml_form_id == "home_visit")
                               .order_by(Submission.visit_date.desc())).first()
    feedback = db.session.scalars(select(Submission).join(Form).where(Form.xml_form_id == "resident_feedback")
                                  .where(Submission.satisfaction == 1)).one()
    return {"visit": visit.instance_id, "feedback": feedback.instance_id, "case": case_id}


def token(client, role: str) -> dict[str, str]:
    password = "Worker-pass-1" if role == "worker" else PASSWORD  # the worker's, as the phone fixture made it
    response = client.post("/api/v1/sessions", json={"username": USERS[role][0], "password": password})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def numbers(client, headers) -> dict:
    body = client.get("/api/v1/indicators?area=530102001", headers=headers).json
    return {"coverage": body["coverage"]["numerator"], "satisfaction": body["satisfaction"]["rate"],
            "excluded": body["satisfaction"]["excluded"]}


def restore(instance_id: str) -> None:
    """Back to counted, as an admin would put it (approving excluded feedback counts it again)."""
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one()
    review.set_review_state(submission, "approved", get_user_by_username("city"))
    db.session.commit()


def test_who_may_move_which_number(client, world):
    admin = token(client, "admin")
    start = numbers(client, admin)
    assert start == {"coverage": 1, "satisfaction": 0.5, "excluded": {"responses": 0, "by_reason": {}}}
    for role, expected_by_kind in EXPECTED.items():
        headers = token(client, role)
        for kind, expected_statuses in expected_by_kind.items():
            for (action, (method, suffix, body)), expected in zip(ACTIONS.items(), expected_statuses.split()):
                response = client.open(f"/api/v1/submissions/{world[kind]}{suffix}", method=method, json=body,
                                       headers=headers)
                assert response.status_code == int(expected), (role, kind, action, response.json)
                if response.status_code >= 400:
                    assert response.json["code"].startswith(expected) and response.json["message"]
                after = numbers(client, admin)
                moved = {name for name in ("coverage", "satisfaction") if after[name] != start[name]}
                done = response.status_code < 300
                assert moved == ({MOVES[(kind, action)]} if (kind, action) in MOVES and done else set()), \
                    (role, kind, action, after)
                if moved:
                    restore(world[kind])


def test_the_station_cannot_undo_what_a_resident_said_but_the_county_can_exclude_it_with_a_reason(client, world):
    """The December story: a station head set a 非常不满意 answer to 已驳回, and 50 % became 100 %."""
    admin = token(client, "admin")
    assert sign_in(client, "huashan", PASSWORD).status_code == 302
    page = client.get(f"/submissions/{world['feedback']}").get_data(as_text=True)
    assert 'id="review-rejected"' not in page and 'id="exclusion-form"' not in page
    assert "只有县级督导或市级管理员" in page and 'id="comment-form"' in page
    refused = post_form(client, f"/submissions/{world['feedback']}",
                        f"/submissions/{world['feedback']}/review", {"review_state": "rejected"})
    assert refused.status_code == 403 and "只能查看和评论" in refused.get_data(as_text=True)
    assert numbers(client, admin)["satisfaction"] == 0.5

    client.post("/logout", data={"csrf_token": _token(client)})
    assert sign_in(client, "wuhua", PASSWORD).status_code == 302
    page = client.get(f"/submissions/{world['feedback']}").get_data(as_text=True)
    assert 'id="review-rejected"' not in page and 'id="exclusion-form"' in page
    for data in ({"reason": "", "note": "广告"}, {"reason": "unstated", "note": "广告"}, {"reason": "spam", "note": " "}):
        assert post_form(client, f"/submissions/{world['feedback']}", f"/submissions/{world['feedback']}/exclusion",
                         data).status_code == 400, data
    assert post_form(client, f"/submissions/{world['feedback']}", f"/submissions/{world['feedback']}/exclusion",
                     {"reason": "not_about_station", "note": "说的是县医院"}).status_code == 302
    assert numbers(client, admin) == {"coverage": 1, "satisfaction": 1.0,
                                      "excluded": {"responses": 1, "by_reason": {"not_about_station": 1}}}
    page = client.get(f"/submissions/{world['feedback']}").get_data(as_text=True)
    assert "不计入指标" in page and "与本站无关" in page and "说的是县医院" in page
    event = db.session.scalars(select(SubmissionEvent).where(SubmissionEvent.reason.is_not(None))).one()
    assert event.user.username == "wuhua" and event.review_state == "rejected"

    # 退回社工 on feedback: there is no case, so nothing would reach a phone — refused, saying so
    assert 'id="return-form"' not in page
    refused = post_form(client, f"/submissions/{world['feedback']}", f"/submissions/{world['feedback']}/return",
                        {"reason": "请重访"})
    assert refused.status_code == 409 and "不能退回社工" in refused.get_data(as_text=True)
    response = client.post(f"/api/v1/submissions/{world['feedback']}/return", headers=admin, json={"reason": "请重访"})
    assert response.status_code == 409 and response.json["code"] == "409.6"
    assert "不能退回社工" in response.json["message"] and "no case" in response.json["message_en"]
    assert db.session.scalars(select(Submission).where(Submission.instance_id == world["feedback"])).one() \
        .review_state == "rejected"  # still excluded, nothing else changed


def test_every_satisfaction_rate_says_how_many_answers_were_excluded_and_why(client, world):
    admin = token(client, "admin")
    assert client.put(f"/api/v1/submissions/{world['feedback']}/exclusion", headers=admin,
                      json={"reason": "duplicate", "note": "同一人十分钟内提交两次"}).status_code == 200
    city = client.get("/api/v1/indicators?area=530100", headers=admin).json
    assert city["satisfaction"]["excluded"] == {"responses": 1, "by_reason": {"duplicate": 1}}
    wuhua = next(c for c in city["children"] if c["area"]["code"] == "530102")
    panlong = next(c for c in city["children"] if c["area"]["code"] == "530103")
    assert wuhua["satisfaction"]["excluded"]["responses"] == 1
    assert panlong["satisfaction"]["excluded"] == {"responses": 0, "by_reason": {}}

    assert sign_in(client, "city", PASSWORD).status_code == 302
    dashboard = client.get(f"/dashboard?area=530102&period={THIS_MONTH}").get_data(as_text=True)
    assert 'id="satisfaction-excluded" data-excluded="1"' in dashboard and "重复提交 1" in dashboard
    assert 'id="trend-excluded"' in dashboard  # the month it was in, under the trend
    printed = client.get(f"/dashboard/print?area=530102&period={THIS_MONTH}").get_data(as_text=True)
    assert 'id="print-satisfaction-excluded" data-excluded="1"' in printed
    workbook = load_workbook(BytesIO(client.get(f"/dashboard/report.xlsx?area=530102&period={THIS_MONTH}").data))
    summary = [[c for c in row if c is not None] for row in workbook["概况 Summary"].iter_rows(values_only=True)]
    assert ["不计入满意率的回复 Responses excluded", 1, "重复提交 duplicate 1"] in summary
    stations = list(workbook["各站指标 Stations"].iter_rows(values_only=True))
    header, huashan = stations[0], next(r for r in stations if r[0] == "530102001")
    assert huashan[header.index("不计入的回复 Excluded")] == 1
    assert huashan[header.index("不计入原因 Why excluded")] == "重复提交 duplicate 1"
    trend = list(workbook["月度趋势 Trend"].iter_rows(values_only=True))
    assert trend[-1][trend[0].index("不计入 Excluded")] == 1
    comments = list(workbook["居民意见 Comments"].iter_rows(values_only=True))
    excluded = next(r for r in comments if r[3] == "门常关着，找不到人")
    assert excluded[comments[0].index("不计入原因 Why excluded")] == "重复提交 duplicate"
    assert "不计入指标：重复提交" in printed


def test_review_buttons_say_what_they_do_and_the_history_who_and_when_in_beijing_time(client, world):
    assert sign_in(client, "huashan", PASSWORD).status_code == 302
    page = client.get(f"/submissions/{world['visit']}").get_data(as_text=True)
    for button, explanation in (("通过", "计入指标"), ("标记有问题", "仍计入指标"), ("驳回", "不计入指标"),
                                ("退回社工重访", "出现在社工手机上")):
        assert f">{button}</button>" in page and explanation in page, button
    assert page.count("尚未审核") == 1 and 'id="events"' not in page
    post_form(client, f"/submissions/{world['visit']}", f"/submissions/{world['visit']}/review",
              {"review_state": "rejected", "note": "不是本人"})
    from datetime import datetime, timezone

    event = db.session.scalars(select(SubmissionEvent)).one()
    event.created_at = datetime(2026, 12, 1, 17, 5, tzinfo=timezone.utc)  # 01:05 on 2 December in Beijing
    db.session.commit()
    page = client.get(f"/submissions/{world['visit']}").get_data(as_text=True)
    assert "尚未审核" not in page
    assert "2026-12-02 01:05" in page and "北京时间" in page and "不是本人" in page
    assert get_user_by_username("huashan").display_name in page or "huashan" in page


def _token(client) -> str:
    from tests.support.web import csrf_token

    return csrf_token(client.get("/login").get_data(as_text=True))


def test_feedback_rejected_before_the_rules_stays_out_only_if_the_county_or_an_admin_rejected_it(
        app, client, world):
    """Migration 3c5e0f4a7b21 on data as the old rules left it: the station's own rejection is undone, a county
    supervisor's stays out of the indicators with the reason 'unstated'."""
    from flask_migrate import downgrade, upgrade

    from server.models import ReviewState, SubmissionEventKind

    satisfied = db.session.scalars(select(Submission.instance_id).join(Form)
                                   .where(Form.xml_form_id == "resident_feedback", Submission.satisfaction == 5)).one()
    by_whom = {world["feedback"]: "huashan", satisfied: "wuhua"}
    for instance_id, username in by_whom.items():
        submission = db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one()
        submission.review_state = ReviewState.REJECTED  # as the old pages let anyone in scope do
        db.session.add(SubmissionEvent(submission_id=submission.id, user_id=get_user_by_username(username).id,
                                       kind=SubmissionEventKind.REVIEW, review_state=ReviewState.REJECTED))
    db.session.commit()
    db.session.remove()
    downgrade(revision="d79fbf26aa5c")  # the schema before the rules, with the rows above
    upgrade()
    db.session.remove()
    after = {s.instance_id: (s.review_state, s.exclusion_reason)
             for s in db.session.scalars(select(Submission).where(Submission.instance_id.in_(by_whom)))}
    assert after == {world["feedback"]: ("received", None), satisfied: ("rejected", "unstated")}
    body = client.get("/api/v1/indicators?area=530102001", headers=token(client, "admin")).json["satisfaction"]
    assert (body["responses"], body["rate"]) == (1, 0.0)  # the very dissatisfied answer counts again
    assert body["excluded"] == {"responses": 1, "by_reason": {"unstated": 1}}
