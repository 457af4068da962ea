"""Every page, for every role that can open it, at desktop and phone width, in real Chromium: axe-core (the WCAG 2
A and AA rules that GB/T 37668 follows) finds nothing, and a screenshot goes to ``test-artifacts/gallery/`` —
the gallery to look through before a release. Pages read the same on both databases: built once, on SQLite."""
from __future__ import annotations

from pathlib import Path

import pytest

from server.extensions import db
from server.models import Station
from server.services.feedback import current_station_link
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_supervisor_review import photo
from tests.conftest import WORKER_PASSWORD
from tests.integration.test_cases_api import add_case
from tests.support.visit_form import visit_xml

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

AXE = (Path(__file__).parents[1] / "support" / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "Gallery-pass-26"
USERS = {"admin": ("city", "530100"), "county": ("wuhua", "530102"), "station": ("huashan", "530102001")}
AREA = {"admin": "530100", "county": "530102", "station": "530102001"}
# (name, URL built from the role's area, the roles that see it)
PAGES = [
    ("submissions", lambda area: "/submissions", ("admin", "county", "station")),
    ("submission", lambda area: "/submissions/uuid:g1", ("admin", "county", "station")),
    ("visit-map", lambda area: "/visits/map", ("admin", "county", "station")),
    ("cases", lambda area: "/cases", ("admin", "county", "station")),
    ("case", lambda area: "/cases/g-case", ("admin", "county", "station")),
    ("stations", lambda area: "/stations", ("admin", "county", "station")),
    ("station", lambda area: "/stations/530102001", ("admin", "county", "station")),
    ("dashboard", lambda area: f"/dashboard?area={area}", ("admin", "county", "station")),
    ("report", lambda area: f"/dashboard/print?area={area}", ("admin", "county", "station")),
    ("audit", lambda area: "/audit", ("admin",)),
    ("alerts", lambda area: "/alerts", ("admin", "county", "station")),
    ("integrations", lambda area: "/integrations", ("admin", "county")),
    ("integration", lambda area: f"/integrations/{_subscription_id()}", ("admin", "county")),
    ("projects", lambda area: "/projects", ("admin", "county", "station")),
    ("project", lambda area: f"/projects/{_project_id()}", ("admin", "county", "station")),
    ("project-a1", lambda area: f"/projects/{_project_id()}/a1", ("admin", "county", "station")),
    ("project-edit", lambda area: f"/projects/{_project_id()}/edit", ("admin", "county")),
    ("quality", lambda area: "/quality", ("admin", "county", "station")),
    ("quality-station", lambda area: "/quality?station=530102001", ("admin", "county")),
    ("quality-thresholds", lambda area: "/quality/thresholds/530102", ("admin", "county")),
]


def _project_id() -> int:
    from sqlalchemy import select

    from server.models import Project

    return db.session.scalar(select(Project.id))


def _project() -> None:
    """A 五华区 project with its pay over A1's 70 %, a month's spending with one line overspent, and the county's
    year recorded near its cap."""
    from datetime import date

    from server.domain.access import Role, Scope
    from server.domain.clock import today_in_china
    from server.domain.money import Group, Source
    from server.models import Area
    from server.queries.accounts import get_user_by_username
    from server.services import money

    county, user = db.session.get(Area, "530102"), get_user_by_username("wuhua")
    scope = Scope(role=Role.COUNTY, area_code=county.code, area_path=county.path)
    year = today_in_china().year
    lines = [money.Line(Group.STAFF_PAY, "社工劳务费和保险", 14_600_000),
             money.Line(Group.SERVICES, "个案、小组、社区活动", 3_400_000),
             money.Line(Group.EXECUTION, "交通费", 1_000_000), money.Line(Group.PREMISES, "场地租金", 1_000_000)]
    project = money.create_project(user, scope, money.ProjectInput(
        "530102", year, "华山街道社工站年度购买服务项目", "昆明市五华区启明社会工作服务中心", "WH-2026-017", date(year, 1, 1),
        date(year, 12, 31), 20_000_000, ["530102001"],
        {Source.MINISTRY_PROVINCE: 12_000_000, Source.LOCAL_MATCHING: 8_000_000}, lines))
    travel = next(line for line in project.lines if line.group == Group.EXECUTION)
    money.report_spending(user, project, date(year, 1, 1), {travel.id: 1_200_000}, "1月报表", date(year, 12, 1))
    city = db.session.get(Area, "530100")
    money.set_county_year(get_user_by_username("city"), Scope(role=Role.ADMIN, area_code=city.code, area_path=city.path),
                          "530102", year, 420_000_000, None)
    db.session.commit()


def _subscription_id() -> int:
    from sqlalchemy import select

    from server.models.events import Subscription

    return db.session.scalar(select(Subscription.id))


@pytest.fixture
def world(collect, network, make_user, visit_form):
    from server.services.forms import publish_form

    publish_form((Path(__file__).parents[2] / "forms" / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    add_case("g-case", "530102001", "530102001001", label="张桂英 · 团结社区")
    assert collect.submit(visit_xml("uuid:g1", case="g-case", photo="g1.jpg"),
                          [("g1.jpg", photo((200, 170, 120)))]).status_code == 201
    for role, (username, scope) in USERS.items():
        make_user(username, role, scope, PASSWORD)
    _events_out()
    _project()
    _flagged("uuid:g1")
    return current_station_link(db.session.get(Station, "530102001")).token


def _flagged(instance_id: str) -> None:
    """The visit's page shows why it deserves a second look, with the verdict form."""
    from sqlalchemy import select

    from server.domain.flags import SubmissionFlag
    from server.models import Submission
    from server.services.authenticity import raise_flag

    visit = db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one()
    raise_flag(visit, SubmissionFlag.TOO_SHORT, {"minutes": 1.5, "minimum": 3})
    raise_flag(visit, SubmissionFlag.FAR_FROM_HOME, {"metres": 2400, "reference": "village", "visits": 7,
                                                     "limit": 1000})
    db.session.commit()


def _events_out() -> None:
    """A DingTalk robot of 五华区 with a delivered, a failed and a pending delivery, and two alerts."""
    from datetime import timedelta

    from server.models.events import Alert
    from server.models.types import utcnow
    from server.queries.accounts import get_user_by_username
    from server.services import webhooks

    county = get_user_by_username("wuhua")
    from server.models import Area
    from server.models.events import Subscription

    huashan = db.session.get(Area, "530102001")  # made directly: no DNS here to resolve the platform's host
    robot = Subscription(kind="dingtalk", name="华山街道社工站工作群", owner_id=county.id, area_code=huashan.code,
                         area_path=huashan.path, url="https://oapi.dingtalk.com/robot/send?access_token=abc",
                         secret="SEC0123", topics=["mandatory_report", "dissatisfied", "digest"], active=True,
                         consecutive_failures=0)
    db.session.add(robot)
    db.session.flush()
    for status, code, error in (("delivered", 200, None), ("failed", 200, "310000: 签名不匹配"), ("pending", None, None)):
        delivery = webhooks.send_test(robot, county)
        delivery.status, delivery.response_code, delivery.error = status, code, error
        delivery.attempts = 1 if status != "failed" else 12
        delivery.last_attempt_at = utcnow() - timedelta(minutes=5)
    from datetime import date

    from server.models.volunteers import VolunteerCertificate

    for token, revoked in (("gallery-valid", None), ("gallery-revoked", utcnow())):
        db.session.add(VolunteerCertificate(
            number=f"530102001-2026-{token[-5:]}", token=token, volunteer_name="李梅", station_code="530102001",
            station_name="昆明市五华区华山街道社会工作服务站", period_from=date(2026, 1, 1), period_to=date(2026, 11, 30),
            minutes=1530, activities=9, activity_lines=[], issued_on=date(2026, 12, 1), revoked_at=revoked,
            revoked_reason="服务记录有误，已重新出具" if revoked else None))
    db.session.add(Alert(rule="dissatisfied", station_code="530102001", area_path="/530100/530102/530102001/",
                         object_type="submission", object_id="uuid:g1", facts={"satisfaction": 1},
                         dedupe_key="gallery:1"))
    db.session.add(Alert(rule="digest", station_code="530102001", area_path="/530100/530102/530102001/",
                         object_type="station", object_id="530102001", day=utcnow().date(),
                         facts={"overdue": 2, "waiting_review": 5, "returned": 1}, dedupe_key="gallery:2"))
    db.session.commit()


def check_and_keep(page, url: str, name: str, status: int = 200) -> list[str]:
    """Open the page at each size: its axe-core violations (as lines) and a screenshot per size."""
    found = []
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        response = page.goto(url)
        assert response.status == status, f"{url}: {response.status}"
        page.wait_for_load_state("networkidle")
        found += _axe(page, f"{name} ({size})")
        (ARTIFACTS / "gallery").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "gallery" / f"{name}-{size}.png"), full_page=True)
    return found


def _axe(page, name: str) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [f"{name}: {v['id']} — {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


def _context(browser):
    # axe is injected from the test: the pages' CSP rightly forbids any script not served by the app
    return browser.new_context(locale="zh-CN", bypass_csp=True)


@pytest.mark.parametrize("role", list(USERS))
def test_every_page_of_a_role_passes_axe_at_desktop_and_phone_width(browser, live_server, world, role):
    context = _context(browser)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", USERS[role][0])
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        violations = []
        for name, url, roles in PAGES:
            if role in roles:
                violations += check_and_keep(page, f"{live_server}{url(AREA[role])}", f"{role}-{name}")
    finally:
        context.close()
    assert violations == [], "\n".join(violations)


def test_the_pages_without_an_account_pass_axe(browser, live_server, world):
    context = _context(browser)
    page = context.new_page()
    try:
        violations = check_and_keep(page, f"{live_server}/login", "anonymous-login")
        violations += check_and_keep(page, f"{live_server}/f/{world}", "resident-feedback")
        violations += check_and_keep(page, f"{live_server}/f/{world}?lang=en", "resident-feedback-en")
        violations += check_and_keep(page, f"{live_server}/f/{world}x", "resident-mistyped-link", status=404)
        violations += check_and_keep(page, f"{live_server}/v/gallery-valid", "certificate-check")
        violations += check_and_keep(page, f"{live_server}/v/gallery-revoked", "certificate-check-revoked")
        violations += check_and_keep(page, f"{live_server}/v/no-such", "certificate-check-unknown", status=404)
        page.set_viewport_size(SIZES["phone"])
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", "worker1")
        page.fill("input[name=password]", WORKER_PASSWORD)
        page.click("#login-form button[type=submit]")  # a worker's pages are the forms in the browser
        page.wait_for_url("**/fill/")
        page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=20000)
        violations += _axe(page, "worker-forms (phone)")
        page.screenshot(path=str(ARTIFACTS / "gallery" / "worker-forms-phone.png"), full_page=True)
        page.goto(f"{live_server}/fill/collect")
        violations += _axe(page, "worker-collect-qr (phone)")
        page.screenshot(path=str(ARTIFACTS / "gallery" / "worker-collect-qr-phone.png"), full_page=True)
        page.goto(f"{live_server}/fill/visit")
        page.wait_for_selector(".form-questions", timeout=30000)
        violations += _axe(page, "worker-web-form (phone)")
        page.screenshot(path=str(ARTIFACTS / "gallery" / "worker-web-form-phone.png"), full_page=True)
    finally:
        context.close()
    assert violations == [], "\n".join(violations)
