"""Closing and reopening a case (the service ended): from the case page, the REST API and a worker's visit.

A closed case leaves the phones' cases.csv and the coverage denominator; reopening brings it back. Every
close and reopen is audited and on the case's timeline.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Case
from tests.integration.test_case_finding import rows as rows_of
from tests.integration.test_cases_api import TODAY, login, registry  # noqa: F401  (fixtures)
from tests.support.instances import fill_instance
from tests.support.web import post_form, sign_in

CASE = "a-overdue"  # open, destitute, at 华山街道, registered 100 days ago: in the coverage denominator


def denominator(client, headers) -> int:
    response = client.get("/api/v1/indicators?area=530102001", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["coverage"]["denominator"]


def on_phones(collect) -> str:
    response = collect.get("/forms/visit/attachments/cases.csv")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def audited(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                            AuditEvent.object_id == CASE)))


def test_a_case_closed_on_its_page_or_the_api_leaves_the_phones_and_the_denominator_until_reopened(
        client, login, registry, collect, make_user):
    headers = login("wuhua", "county", "530102")
    before = denominator(client, headers)
    assert f"\n{CASE}," in on_phones(collect)
    make_user("huashan", "station", "530102001", "Huashan-head-26")
    assert sign_in(client, "huashan", "Huashan-head-26").status_code == 302
    # A refused close says why and keeps what was typed; nothing changes.
    no_reason = post_form(client, f"/cases/{CASE}", f"/cases/{CASE}/close", {"reason": "", "note": "2026年11月病故"})
    page = no_reason.get_data(as_text=True)
    assert no_reason.status_code == 400 and "2026年11月病故</textarea>" in page and "请从列表中选择结案原因" in page
    no_note = post_form(client, f"/cases/{CASE}", f"/cases/{CASE}/close", {"reason": "deceased", "note": "  "})
    page = no_note.get_data(as_text=True)
    assert no_note.status_code == 400 and '<option value="deceased" selected>' in page
    assert re.search(r'id="case-error"[^>]*>([^<]*)<', page).group(1) == "请说明结案情况"  # no field name, no code
    assert db.session.get(Case, CASE).status.value == "open" and not audited("case.close")

    closed = post_form(client, f"/cases/{CASE}", f"/cases/{CASE}/close",
                       {"reason": "deceased", "note": "2026年11月病故，村委会告知"})
    assert closed.status_code == 302
    page = client.get(f"/cases/{CASE}").get_data(as_text=True)
    assert "已故" in page and "2026年11月病故" in page and "deceased" not in page
    assert f"\n{CASE}," not in on_phones(collect)
    assert denominator(client, headers) == before - 1
    case = db.session.get(Case, CASE)
    assert (case.status.value, case.closing_reason.value) == ("closed", "deceased")
    assert [e.username for e in audited("case.close")] == ["huashan"]

    reopened = post_form(client, f"/cases/{CASE}", f"/cases/{CASE}/reopen", {"note": "误报，本人仍健在"})
    assert reopened.status_code == 302
    assert f"\n{CASE}," in on_phones(collect)
    assert denominator(client, headers) == before
    assert [e.username for e in audited("case.reopen")] == ["huashan"]
    timeline = client.get(f"/api/v1/cases/{CASE}", headers=headers).json["timeline"]
    assert [e["kind"] for e in timeline][-2:] == ["closed", "reopened"]
    assert timeline[-2]["note"] == "已故：2026年11月病故，村委会告知" and timeline[-1]["note"] == "误报，本人仍健在"

    # The same through the REST API, with stable error codes; a worker alone cannot close.
    body = {"reason": "moved_out", "note": "2026-11-20 迁往曲靖"}
    worker = login("worker1", "worker", "530102001")
    refused = client.post(f"/api/v1/cases/{CASE}/close", json=body, headers=worker)
    assert refused.status_code == 403 and refused.json["code"] == "403.1"  # a worker alone cannot close
    foreign = login("panlong", "county", "530103")
    assert client.post(f"/api/v1/cases/{CASE}/close", json=body, headers=foreign).json["code"] == "404.1"
    station = login("huashan", "station", "530102001")
    unknown = client.post(f"/api/v1/cases/{CASE}/close", json={**body, "reason": "bored"}, headers=station)
    assert unknown.status_code == 400 and unknown.json["code"] == "400.1" and "reason" in unknown.json["details"]["fields"]
    blank = client.post(f"/api/v1/cases/{CASE}/close", json={**body, "note": "   "}, headers=station)
    assert blank.status_code == 400 and blank.json["code"] == "400.4"

    closed = client.post(f"/api/v1/cases/{CASE}/close", json=body, headers=station)
    assert closed.status_code == 200, closed.json
    assert (closed.json["status"], closed.json["closing_reason"], closed.json["closed_reason"]) == (
        "closed", "moved_out", "2026-11-20 迁往曲靖")
    again = client.post(f"/api/v1/cases/{CASE}/close", json=body, headers=station)
    assert again.status_code == 409 and again.json["code"] == "409.1"
    assert CASE not in [c["id"] for c in client.get("/api/v1/cases?status=open", headers=station).json["cases"]]

    reopened = client.post(f"/api/v1/cases/{CASE}/reopen", json={"note": "迁回本村"}, headers=station)
    assert reopened.status_code == 200 and reopened.json["status"] == "open"
    assert reopened.json["closing_reason"] is None
    again = client.post(f"/api/v1/cases/{CASE}/reopen", json={"note": "迁回本村"}, headers=station)
    assert again.status_code == 409 and again.json["code"] == "409.1"
    assert len(audited("case.close")) == 2 and len(audited("case.reopen")) == 2


# --- a worker proposes from the phone, a station head decides -----------------------------------------------

@pytest.fixture
def home_visit(app):
    from pathlib import Path

    from server.services.forms import publish_form

    publish_form((Path(__file__).parents[2] / "forms" / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    db.session.commit()


def service_ended_visit(collect, reason: str, note: str, instance_id: str):
    values = {"case_mode": "existing", "case": CASE, "visit_date": TODAY.isoformat(),
              "location": "25.04 102.71 1890 5", "risk_level": "low", "service_end/service_ended": "yes",
              "service_end/end_reason": reason, "service_end/end_note": note}
    xform = collect.get("/forms/home_visit.xml").data
    xml = fill_instance(xform, values, instance_id, drop=("registration",),
                        entity={"id": CASE, "create": "0", "update": "1", "label": CASE,
                                "baseVersion": str(db.session.get(Case, CASE).version)})
    return collect.submit(xml, [])


def test_a_workers_service_ended_waits_for_a_station_head_who_dismisses_or_confirms_it(client, login, registry,
                                                                                       collect, home_visit):
    headers = login("wuhua", "county", "530102")
    before = denominator(client, headers)
    assert service_ended_visit(collect, "deceased", "邻居说上周已去世", "uuid:end-1").status_code == 201
    case = db.session.get(Case, CASE)
    assert case.status.value == "open" and case.close_proposal_reason.value == "deceased"
    assert denominator(client, headers) == before and f"\n{CASE}," in on_phones(collect)  # a worker alone: no change
    assert [c["id"] for c in client.get("/api/v1/cases?close_proposed=true", headers=headers).json["cases"]] == [CASE]
    # Not so: the station head keeps the case open, saying why (the API here; the page has the same form).
    station = login("huashan", "station", "530102001")
    dismiss = f"/api/v1/cases/{CASE}/close-proposal/dismiss"
    assert client.post(dismiss, json={"note": "x"}, headers=login("worker1", "worker", "530102001")).status_code == 403
    blank = client.post(dismiss, json={"note": " "}, headers=station)
    assert blank.status_code == 400 and blank.json["code"] == "400.4"
    kept = client.post(dismiss, json={"note": "认错人了，本人健在"}, headers=station)
    assert kept.status_code == 200 and kept.json["status"] == "open" and kept.json["close_proposal_reason"] is None
    again = client.post(dismiss, json={"note": "认错人了"}, headers=station)
    assert again.status_code == 409 and again.json["code"] == "409.1"
    assert len(audited("case.close_proposal_dismissed")) == 1

    # Reported again, and so it is: the station head confirms by closing on the case page.
    assert service_ended_visit(collect, "deceased", "邻居说上周已去世", "uuid:end-2").status_code == 201

    assert sign_in(client, "huashan", "Secret-pass-1").status_code == 302
    assert rows_of(client.get("/cases?proposed=1").get_data(as_text=True)) == [CASE]
    page = client.get(f"/cases/{CASE}").get_data(as_text=True)
    assert "社工报告服务终止" in page and "邻居说上周已去世</textarea>" in page
    assert '<option value="deceased" selected>' in page  # the close form is filled with the proposal
    closed = post_form(client, f"/cases/{CASE}", f"/cases/{CASE}/close",
                       {"reason": "deceased", "note": "邻居说上周已去世，村委会已核实"})
    assert closed.status_code == 302
    case = db.session.get(Case, CASE)
    assert case.status.value == "closed" and case.close_proposal_reason is None
    assert denominator(client, headers) == before - 1 and f"\n{CASE}," not in on_phones(collect)
    kinds = [e["kind"] for e in client.get(f"/api/v1/cases/{CASE}", headers=headers).json["timeline"]]
    assert kinds[-6:] == ["visited", "close_proposed", "proposal_dismissed", "visited", "close_proposed", "closed"], kinds
    assert [e.username for e in audited("case.close_proposal")] == ["worker1", "worker1"]
