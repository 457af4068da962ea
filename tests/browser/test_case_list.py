"""A station head looks for people in real headless Chromium: the case list pages on, says how many there
are, and finds a person by name or by the last 4 characters of a masked ID number."""
from datetime import timedelta

from server.extensions import db
from server.models import Case, CaseCategoryLink
from tests.browser.conftest import screenshot
from tests.integration.test_cases_api import TODAY


def test_a_station_head_pages_through_cases_and_finds_one_in_chromium(page, live_server, network, make_user):
    people = []
    for n in range(60):
        case = Case(id=f"p{n:02d}", label=f"居民{n:02d}", station_code="530102001", village_code="530102001001",
                    next_due=TODAY - timedelta(days=60 - n), registered_on=TODAY, properties={})
        case.categories = [CaseCategoryLink(category="destitute")]
        people.append(case)
    people[42].label, people[42].properties = "张桂英", {"id_number": "53010219480502123X"}
    db.session.add_all(people)
    db.session.commit()
    make_user("huashan", "station", "530102001", "Huashan-head-26")

    page.goto(f"{live_server}/cases")
    page.fill("input[name=username]", "huashan")
    page.fill("input[name=password]", "Huashan-head-26")
    page.click("#login-form button[type=submit]")
    page.goto(f"{live_server}/cases")
    assert "60" in page.locator("#case-count").inner_text()
    rows = page.locator("#case-list tbody tr")
    assert rows.count() == 50
    assert rows.first.locator("td").nth(6).inner_text() == "60"  # the most overdue first, days overdue shown
    page.click("#next-page")
    page.wait_for_url("**cursor=**")
    assert page.locator("#case-list tbody tr").count() == 10
    assert page.locator("#next-page").count() == 0

    page.fill("#case-search", "123X")
    page.click("#case-filters button[type=submit]")
    page.wait_for_url("**q=123X**")
    assert [page.locator("#case-list tbody tr a").first.inner_text()] == ["张桂英"]
    assert "华山街道" in page.locator("#case-list tbody").inner_text()
    screenshot(page, "case-list-search")
