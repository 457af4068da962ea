"""Finding cases: the case list pages through every case (never a silent cap), search and filters on the page
and in the API, the submission list's case filter by name, and a timeline in the order things happened."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from server.extensions import db
from server.models import Case, CaseCategoryLink
from tests.integration.test_cases_api import TODAY, add_case, login, registry  # noqa: F401  (fixtures)
from tests.support.visit_form import visit_xml
from tests.support.web import sign_in

ZHANG = {"id_number": "53010219480502123X", "phone": "13987654321"}


@pytest.fixture
def signed_in(client, make_user):
    def as_user(username: str, role: str, scope: str):
        make_user(username, role, scope, "Finding-pass-26")
        assert sign_in(client, username, "Finding-pass-26").status_code == 302
        return client

    return as_user


@pytest.fixture
def people(network, worker):
    """Cases with names, numbers, risks and a returned visit, at 华山街道 (团结社区) and 拓东街道 (和平社区)."""
    add_case("zhang", "530102001", "530102001001", ("destitute",), TODAY - timedelta(days=9), label="张桂英",
             properties=ZHANG)
    add_case("li", "530102001", "530102001001", ("left_behind_child",), TODAY - timedelta(days=2), label="李小龙",
             properties={"id_number": "530102201001011234", "phone": "13800001111"})
    add_case("wang", "530103001", "530103001001", ("disability",), TODAY + timedelta(days=5), label="王芳")
    add_case("zhao", "530102001", "530102001001", ("destitute",), None, status="closed", label="赵老汉")
    li = db.session.get(Case, "li")
    li.risk_level, li.redo, li.redo_reason = "high", True, "照片看不清"
    db.session.commit()


def rows(html: str) -> list[str]:
    """The case ids linked from the list's rows, in order."""
    body = html.split('id="case-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/cases/([^"]+)"', body)


def api_ids(client, headers, query: str) -> list[str]:
    response = client.get(f"/api/v1/cases?{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [c["id"] for c in response.json["cases"]]


def test_the_case_list_pages_through_every_case_and_says_how_many(client, network, worker, signed_in):
    cases = []
    for n in range(230):
        case = Case(id=f"c{n:03d}", label=f"对象{n:03d}", station_code="530102001", village_code="530102001001",
                    next_due=TODAY + timedelta(days=n % 40), registered_on=TODAY, properties={})
        case.categories = [CaseCategoryLink(category="other")]
        cases.append(case)
    db.session.add_all(cases)
    db.session.commit()
    client = signed_in("wuhua", "county", "530102")
    seen, url = [], "/cases"
    while url:
        html = client.get(url).get_data(as_text=True)
        assert "共 230 个服务对象符合条件" in html
        seen += rows(html)
        found = re.search(r'id="next-page" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == 230 and len(set(seen)) == 230
    dues = [db.session.get(Case, i).next_due for i in seen]
    assert dues == sorted(dues)  # most overdue first, across pages
    by_name = rows(client.get("/cases?sort=name").get_data(as_text=True))
    assert by_name == sorted(by_name) and by_name[0] == "c000"
    station = client.get("/stations/530102001").get_data(as_text=True)  # never a silent cut there either
    assert "(230)" in station
    assert 'id="open-cases-more"' in station and "共 230 个" in station and "/cases?station=530102001" in station


def test_search_filters_and_sort_and_a_masked_id_number_found_only_by_its_last_four(client, login, people,
                                                                                    signed_in, collect):
    page = signed_in("wuhua", "county", "530102")
    assert rows(page.get("/cases?q=桂英").get_data(as_text=True)) == ["zhang"]
    assert rows(page.get("/cases?q=团结").get_data(as_text=True)) == ["zhang", "li"]  # the village's name
    assert rows(page.get("/cases?q=87654321").get_data(as_text=True)) == ["zhang"]  # the phone
    assert rows(page.get("/cases?q=123x").get_data(as_text=True)) == ["zhang"]  # the ID number's last 4
    assert rows(page.get("/cases?q=19480502").get_data(as_text=True)) == ["zhang"]  # a county sees it in full
    html = page.get("/cases?q=桂英").get_data(as_text=True)
    assert "五华区" in html and "华山街道" in html and "<td>9</td>" in html  # county, station, days overdue
    assert rows(page.get("/cases?risk=high").get_data(as_text=True)) == ["li"]
    assert rows(page.get("/cases?returned=1").get_data(as_text=True)) == ["li"]
    assert rows(page.get("/cases?status=closed").get_data(as_text=True)) == ["zhao"]
    assert rows(page.get("/cases?status=all&category=destitute").get_data(as_text=True)) == ["zhang", "zhao"]
    assert rows(page.get("/cases?overdue=1").get_data(as_text=True)) == ["zhang", "li"]

    headers = login("city", "admin", "530100")
    assert api_ids(client, headers, "risk=high") == ["li"]
    assert api_ids(client, headers, "returned=true") == ["li"]
    assert api_ids(client, headers, "q=和平") == ["wang"]
    assert api_ids(client, headers, "q=1948") == ["zhang"]
    labels = sorted(["张桂英", "李小龙", "王芳", "赵老汉"])
    first = client.get("/api/v1/cases?sort=name&limit=2", headers=headers).json
    second = client.get(f"/api/v1/cases?sort=name&limit=2&cursor={first['next_cursor']}", headers=headers).json
    assert [c["label"] for c in first["cases"] + second["cases"]] == labels and second["next_cursor"] is None

    # The submission list's case filter: part of a name, or the case's id as before.
    assert collect.submit(visit_xml("uuid:zhang-1", case="zhang", photo=None), []).status_code == 201
    assert collect.submit(visit_xml("uuid:li-1", case="li", photo=None), []).status_code == 201
    html = page.get("/submissions?case=桂英").get_data(as_text=True)
    assert "uuid:zhang-1" in html and "uuid:li-1" not in html
    html = page.get("/submissions?case=li").get_data(as_text=True)
    assert "uuid:li-1" in html and "uuid:zhang-1" not in html

    # Station heads and workers see 5301**********123X: their search must not reveal any hidden digit.
    signed_in("huashan", "station", "530102001")
    assert rows(client.get("/cases?q=123X").get_data(as_text=True)) == ["zhang"]
    for probe in ("19480502", "0502123X", "23X", "5301021948"):
        assert rows(client.get(f"/cases?q={probe}").get_data(as_text=True)) == [], probe
    worker = login("worker1", "worker", "530102001")
    assert api_ids(client, worker, "q=123X") == ["zhang"]
    assert api_ids(client, worker, "q=02123X") == [] and api_ids(client, worker, "q=1948") == []


def test_registration_appears_at_the_registration_date_not_when_it_was_loaded(client, login, runner, network, worker):
    from tests.conftest import RESOURCES

    assert runner.invoke(args=["import-cases", str(RESOURCES / "cases_good.csv")]).exit_code == 0
    zhang = db.session.query(Case).filter(Case.label.startswith("张桂英")).one()
    zhang.registered_on = TODAY - timedelta(days=400)
    db.session.commit()
    headers = login("wuhua", "county", "530102")
    timeline = client.get(f"/api/v1/cases/{zhang.id}", headers=headers).json["timeline"]
    assert [(e["kind"], e["occurred_on"]) for e in timeline] == [("imported", str(TODAY - timedelta(days=400)))]
    page = client.get(f"/cases/{zhang.id}")
    assert page.status_code == 302  # signed out: sign in as a supervisor
    sign_in(client, "wuhua", "Secret-pass-1")
    html = client.get(f"/cases/{zhang.id}").get_data(as_text=True)
    assert f"<li>{TODAY - timedelta(days=400)} · " in html
