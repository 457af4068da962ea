"""The access matrix: every route of the app × every role × own / foreign scope → the expected status.

The table ``ROUTES`` below is the one place that says who may call what. It is checked against
``app.url_map``: a route without a row (or a row without a route) fails ``test_every_route_has_a_rule``,
naming the endpoint, so a new route cannot ship without deciding who may use it.

Roles and how each one calls (one seeded world per database, built once for the module):
- anonymous: no credentials at all (an invalid token where the URL needs one);
- resident: holds the plaque feedback link of a station, and tries it wherever a token goes;
- worker, station: ODK Collect token URL and Digest; a REST bearer token; on the pages a worker is
  never signed in (sign-in refuses them — the worker's client carries a forged session with their id);
- county, admin: session cookie on the pages, a REST bearer token; no Collect credentials of their own
  (they try their bearer token in the token URL and their password with Digest).
Own scope is 华山街道 (五华区, 昆明市) for every role. Foreign scope is 拓东街道 (盘龙区) for the
worker, station head and county supervisor, and 南宁街道 (麒麟区, 曲靖市) for the city admin of 昆明.

Expected statuses follow the documented rules: pages send the signed-out to /login (302); the REST
API answers 401 without a valid bearer token and 403 to a role that may never call it; OpenRosa
answers 401 with a Digest challenge, and 403 to a bad token URL; anything outside the caller's scope
answers 404, on pages, API and media alike. Every 200 given to a signed-in role must not contain the
marks of its foreign scope (instance IDs, case IDs and labels, photo names, township names).

Every state-changing page (POST/PUT/PATCH/DELETE on the web blueprint) is also sent without its CSRF
token by a signed-in user: 400, and the database is unchanged (``CSRF`` table, same completeness check).
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from typing import Callable

import pytest
from PIL import Image
from sqlalchemy import select

from server import create_app
from server.extensions import db
from tests.conftest import RESOURCES, RequestIsolatingClient, _test_config
from tests.support.database import empty_all_tables
from tests.support.collect import CollectClient, multipart_body, submission_parts
from tests.support.visit_form import visit_xml
from tests.support.web import csrf_token, sign_in

ROLES = ("anonymous", "resident", "worker", "station", "county", "admin")
SIGNED_IN = ("worker", "station", "county", "admin")
PASSWORD = "Matrix-pass-2026"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BOGUS_TOKEN = "NotAToken0123456789abcdefABCDEF0123456789ab"


# --- the seeded world: three stations, each with a case, a visit with a photo, a spare worker, a plaque link --

@dataclass(frozen=True)
class Site:
    key: str
    county: str
    township: str
    township_name: str
    case_id: str
    case_label: str
    instance_id: str
    photo: str
    worker: str  # who sent the visit from that station (their token is only ever read)
    spare: str  # a worker whose Collect token the matrix reissues and revokes, in any order

    @property
    def station(self) -> str:
        return self.township

    @property
    def marks(self) -> tuple[str, ...]:
        """What must never show up in a response to someone outside this site's scope."""
        return (self.township_name, self.case_id, self.case_label, self.instance_id, self.photo)


HUASHAN = Site("huashan", "530102", "530102001", "华山街道", "kase-huashan", "华山对象甲", "uuid:visit-huashan",
               "photo-huashan.jpg", "worker1", "spare-huashan")
TUODONG = Site("tuodong", "530103", "530103001", "拓东街道", "kase-tuodong", "拓东对象乙", "uuid:visit-tuodong",
               "photo-tuodong.jpg", "worker-tuodong", "spare-tuodong")
NANNING = Site("nanning", "530302", "530302001", "南宁街道", "kase-nanning", "南宁对象丙", "uuid:visit-nanning",
               "photo-nanning.jpg", "worker-nanning", "spare-nanning")
SITES = (HUASHAN, TUODONG, NANNING)
OWN = {role: HUASHAN for role in ROLES}
FOREIGN = {**{role: TUODONG for role in ROLES}, "admin": NANNING}
USERS = {"worker": ("worker1", "worker", "530102001"), "station": ("huashan", "station", "530102001"),
         "county": ("wuhua", "county", "530102"), "admin": ("city", "admin", "530100")}
EXTRA_AREAS = ("530300,曲靖市,,city\n530302,麒麟区,530300,county\n530302001,南宁街道,530302,township\n"
               "530302001001,南宁社区,530302001,village\n")


@dataclass
class World:
    app: object
    links: dict[str, str]  # site key → its plaque link token
    feedback_id: str  # a resident's answer at 华山, through its plaque
    collect_tokens: dict[str, str]  # role → Collect token
    api_tokens: dict[str, str]  # role → bearer token
    web_clients: dict[str, object] = field(default_factory=dict)  # role → (client, csrf token)
    subscriptions: dict[str, int] = field(default_factory=dict)  # site key → a webhook of its county (or city)
    deliveries: dict[str, int] = field(default_factory=dict)  # site key → a test delivery of that webhook
    volunteers: dict[str, int] = field(default_factory=dict)  # site key → a volunteer of its station
    certificates: dict[str, tuple[str, str]] = field(default_factory=dict)  # site key → (number, token)
    projects: dict[str, int] = field(default_factory=dict)  # site key → a purchased-service project of its station

    def client(self):
        return self.app.test_client()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "navy").save(out, "JPEG")
    return out.getvalue()


def _seed(app, tmp_path) -> World:
    from server.adapters.tabular import read_table
    from server.domain.places import AREA_COLUMNS
    from server.domain.stations import StationMode
    from server.models import Station
    from server.services import accounts, places
    from server.services.feedback import issue_station_link
    from server.services.forms import publish_form
    from server.models import Case
    from tests.integration.test_cases_api import add_case
    from tests.support.visit_form import visit_xlsform

    areas = tmp_path / "areas.csv"
    areas.write_text((RESOURCES / "areas_small.csv").read_text(encoding="utf-8") + EXTRA_AREAS, encoding="utf-8")
    places.import_areas(read_table(areas, AREA_COLUMNS).rows)
    for site in SITES:
        places.create_station(site.station, StationMode.PURCHASED)
    publish_form(visit_xlsform(), "visit.xlsx")
    publish_form((RESOURCES.parents[1] / "forms" / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    hashed = accounts.hash_password(PASSWORD)
    users = {name: accounts.create_user(name, role, scope, PASSWORD, password_hash=hashed)
             for name, role, scope in USERS.values()}
    for site in SITES:
        if site.worker not in users:
            users[site.worker] = accounts.create_user(site.worker, "worker", site.station, PASSWORD,
                                                      password_hash=hashed)
        accounts.create_user(site.spare, "worker", site.station, PASSWORD, password_hash=hashed)
    links = {site.key: issue_station_link(db.session.get(Station, site.station)).token for site in SITES}
    db.session.commit()
    for site in SITES:
        add_case(site.case_id, site.station, site.station + "001", label=site.case_label)
        db.session.get(Case, site.case_id).close_proposal_reason = "moved_out"  # as a worker's visit reports it
        phone = CollectClient(app.test_client(), f"/key/{accounts.active_collect_token(users[site.worker]).token}")
        sent = phone.submit(visit_xml(site.instance_id, case=site.case_id, photo=site.photo),
                            [(site.photo, _jpeg())])
        assert sent.status_code == 201, sent.get_data(as_text=True)
    _flag(HUASHAN.instance_id)
    collect_tokens = {role: accounts.active_collect_token(users[USERS[role][0]]).token
                      for role in ("worker", "station")}
    api_tokens = {role: _api_token(USERS[role][0]) for role in SIGNED_IN}
    feedback_id = _resident_feedback(app.test_client(), links[HUASHAN.key])
    subscriptions, deliveries = _subscriptions()
    volunteers, certificates = _volunteers()
    return World(app=app, links=links, feedback_id=feedback_id, collect_tokens=collect_tokens, api_tokens=api_tokens,
                 subscriptions=subscriptions, deliveries=deliveries, volunteers=volunteers,
                 certificates=certificates, projects=_projects())


def _flag(instance_id: str) -> None:
    """The authenticity checks asked for a second look at this visit (a verdict can be given on it)."""
    from server.domain.flags import SubmissionFlag
    from server.models import Submission
    from server.services.authenticity import raise_flag

    raise_flag(db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one(),
               SubmissionFlag.TOO_SHORT, {"minutes": 2.0, "minimum": 3})
    db.session.commit()


def _projects() -> dict[str, int]:
    """A purchased-service project of each site's station, bought by its county."""
    from datetime import date

    from server.domain.money import Group, Source
    from server.models import BudgetLine, Project, ProjectSource, ProjectStation

    made = {}
    for site in SITES:
        project = Project(county_code=site.county, year=2026, name=f"{site.township_name}社工站购买服务项目",
                          operator="某社会工作服务中心", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                          amount=10_000_000)
        project.stations = [ProjectStation(station_code=site.station)]
        project.sources = [ProjectSource(source=Source.LOCAL_MATCHING, amount=10_000_000)]
        project.lines = [BudgetLine(group=Group.STAFF_PAY, name="社工劳务费", amount=7_000_000, position=0),
                         BudgetLine(group=Group.SERVICES, name="社区活动", amount=3_000_000, position=1)]
        db.session.add(project)
        db.session.flush()
        made[site.key] = project.id
    db.session.commit()
    return made


def _volunteers() -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    """A volunteer and a certificate of theirs at each site (its facts as issued; no record needed to read it)."""
    from datetime import date

    from server.models import StaffMember, Submission
    from server.models.volunteers import VolunteerCertificate, VolunteerHours

    members, certificates = {}, {}
    for n, site in enumerate(SITES):
        member = StaffMember(station_code=site.station, name=f"{site.township_name}志愿者", role="volunteer",
                             origin="volunteer")
        db.session.add(member)
        db.session.flush()
        number, token = f"{site.station}-2026-0001", f"certificate-token-{site.key}"
        db.session.add(VolunteerCertificate(
            number=number, token=token, staff_member_id=member.id, volunteer_name=member.name,
            station_code=site.station, station_name=f"{site.township_name}社会工作服务站", period_from=date(2026, 1, 1),
            period_to=date(2026, 11, 30), minutes=600, activities=3, activity_lines=[], issued_on=date(2026, 12, 1)))
        visit = db.session.scalar(select(Submission.id).where(Submission.instance_id == site.instance_id))
        db.session.add(VolunteerHours(submission_id=visit, station_code=site.station, service_date=date(2026, 6, 1),
                                      staff_member_id=member.id, minutes=120))  # served: a certificate can be issued
        members[site.key], certificates[site.key] = member.id, (number, token)
    db.session.commit()
    return members, certificates


def _subscriptions() -> tuple[dict[str, int], dict[str, int]]:
    """A webhook per site's county with a test delivery waiting; the events numbered and the alerts raised (the
    resident's 1 at 华山), so the change feed and the alerts have something to leak, and must not."""
    from server.models import Area
    from server.models.events import Subscription
    from server.services import alerts, outbox, webhooks

    made, tests = {}, {}
    for site in SITES:
        county = db.session.get(Area, site.county)
        subscription = Subscription(kind="webhook", name=f"{site.township_name}对接", area_code=county.code,
                                    area_path=county.path, url="https://1.1.1.1/hook", secret="s" * 43,
                                    topics=["submission.created"], active=True, consecutive_failures=0)
        db.session.add(subscription)
        db.session.flush()
        made[site.key] = subscription.id
        tests[site.key] = webhooks.send_test(subscription, None).id
        webhooks.send_test(subscription, None).status = "failed"  # one to resend by hand (the CSRF case)
    outbox.sequence()
    outbox.consume(alerts.CONSUMER, alerts.raise_from_events)
    outbox.sequence()
    db.session.commit()
    return made, tests


def _resident_feedback(client, token: str) -> str:
    from server.models import Form, Submission
    from tests.integration.test_feedback import send

    assert send(client, token, satisfaction="1", improvement="门常关着").status_code == 201
    return db.session.scalars(select(Submission.instance_id).join(Form, Form.id == Submission.form_id)
                              .where(Form.xml_form_id == "resident_feedback")).one()


def _api_token(username: str) -> str:
    from server.services import accounts

    token, _session = accounts.open_api_session(username, PASSWORD)
    db.session.commit()
    return token


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    """One seeded world per database for the whole module (the ``app`` fixture would empty it after
    every test); emptied again when the module is done, so the next module starts from nothing."""
    from server import config

    limits = {key: "100000 per minute" for key in config.RATE_LIMIT_KEYS}
    app = create_app({**_test_config(database_url, tmp_path_factory.mktemp("matrix-media")), **limits})
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        try:
            yield _seed(app, tmp_path_factory.mktemp("matrix"))
        finally:
            db.session.remove()
            empty_all_tables(db.engine)
            db.engine.dispose()


# --- how each role calls -------------------------------------------------------------------------

def web_client(world: World, role: str, fresh: bool = False):
    """A browser of this role: signed in for every account (a worker's pages are the browser forms), none
    otherwise; with the CSRF token its session holds."""
    if not fresh and role in world.web_clients:
        return world.web_clients[role]
    client = world.client()
    if role in SIGNED_IN:
        assert sign_in(client, USERS[role][0], PASSWORD).status_code == 302
    made = (client, csrf_token(client.get("/login").get_data(as_text=True)))
    if not fresh:
        world.web_clients[role] = made
    return made


def bearer(world: World, role: str, fresh: bool = False) -> dict[str, str]:
    if role == "anonymous":
        return {}
    if role == "resident":
        return {"Authorization": f"Bearer {world.links[HUASHAN.key]}"}
    token = _api_token(USERS[role][0]) if fresh else world.api_tokens[role]
    return {"Authorization": f"Bearer {token}"}


def collect_client(world: World, role: str, token_url: bool) -> CollectClient:
    """ODK Collect as this role would set it up: a token URL, or username and password (Digest)."""
    client = world.client()
    if token_url:
        token = {"anonymous": BOGUS_TOKEN, "resident": world.links[HUASHAN.key]}.get(role)
        token = token or world.collect_tokens.get(role) or world.api_tokens[role]
        return CollectClient(client, f"/key/{token}")
    if role in ("anonymous", "resident"):
        return CollectClient(client, "")
    return CollectClient(client, "", username=USERS[role][0], password=PASSWORD)


# --- the rules table -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """One request: its URL (a string, or built from the site in scope), its body, and what it expects
    per role in ROLES order — "302" for both scopes, "200/404" for own/foreign."""
    url: str | Callable[[Site, World], str]
    expect: str
    data: dict | Callable[[Site, World], dict] | None = None
    json: dict | None = None
    fresh: bool = False  # the call ends the caller's session: use new credentials
    public: bool = False  # anyone may see what it shows (a plaque's page): no leak check

    def expected(self, role: str, scope: str) -> int:
        column = self.expect.split()[ROLES.index(role)]
        own, _, foreign = column.partition("/")
        return int(foreign) if scope == "foreign" and foreign else int(own)

    @property
    def scoped(self) -> bool:
        return callable(self.url)


PAGE = "302 302 302 200/404 200/404 200/404"  # a page about one object
LIST_PAGE = "302 302 302 200 200 200"  # a scoped list, filtered to a station (foreign: empty)
REST_OBJECT = "401 401 200/404 200/404 200/404 200/404"
REST_LIST = "401 401 200 200 200 200"
COLLECT_DIGEST = "401 401 200 200 401 401"
COLLECT_TOKEN = "403 403 200 200 403 403"
EVERYONE = "200 200 200 200 200 200"
FILL = "302 302 200 200 403 403"  # the browser forms: workers and station heads
FILL_NONE = "302 302 404 404 403 403"

ROUTES: dict[tuple[str, str], Call] = {
    # --- pages (session cookie) ---
    ("web.home", "GET"): Call("/", "302 302 302 302 302 302"),
    ("web.login", "GET"): Call("/login", EVERYONE),
    ("web.login", "POST"): Call("/login", "401 401 401 401 401 401",
                                data={"username": "city", "password": "Wrong-pass-1"}),
    ("web.logout", "POST"): Call("/logout", "302 302 302 302 302 302", data={}, fresh=True),
    ("web.set_language", "GET"): Call("/lang/zh", "302 302 302 302 302 302"),
    ("web.feedback_page", "GET"): Call(lambda s, w: f"/f/{w.links[s.key]}", EVERYONE, public=True),
    ("web.feedback_page", "POST"): Call(lambda s, w: f"/f/{w.links[s.key]}", EVERYONE, public=True,
                                        data={"website": "http://spam.example", "satisfaction": "5"}),
    ("web.submission_list", "GET"): Call(lambda s, w: f"/submissions?station={s.station}", LIST_PAGE),
    ("web.submission_export", "GET"): Call(lambda s, w: f"/submissions/export?format=media&station={s.station}",
                                           LIST_PAGE),
    ("web.submission_detail", "GET"): Call(lambda s, w: f"/submissions/{s.instance_id}", PAGE),
    ("web.visit_map", "GET"): Call(lambda s, w: f"/visits/map?station={s.station}", LIST_PAGE),
    ("web.visit_map_points", "GET"): Call(lambda s, w: f"/visits/map.json?station={s.station}", LIST_PAGE),
    # Invalid bodies: access is proven by reaching validation (400) without changing anything.
    ("web.submission_review", "POST"): Call(lambda s, w: f"/submissions/{s.instance_id}/review",
                                            "302 302 302 400/404 400/404 400/404", data={"review_state": "x"}),
    ("web.submission_comment", "POST"): Call(lambda s, w: f"/submissions/{s.instance_id}/comment",
                                             "302 302 302 400/404 400/404 400/404", data={"body": " "}),
    ("web.submission_return", "POST"): Call(lambda s, w: f"/submissions/{s.instance_id}/return",
                                            "302 302 302 400/404 400/404 400/404", data={"reason": " "}),
    ("web.submission_exclusion", "POST"): Call(lambda s, w: f"/submissions/{s.instance_id}/exclusion",
                                               "302 302 302 400/404 400/404 400/404",
                                               data={"reason": "spam", "note": "测试"}),  # a visit: no exclusion
    # A verdict on the (flagged) visit: "not genuine" needs the reviewer's words — refused, nothing changed.
    ("web.submission_verdict", "POST"): Call(lambda s, w: f"/submissions/{s.instance_id}/verdict",
                                             "302 302 302 400/404 400/404 400/404",
                                             data={"verdict": "not_genuine", "note": " "}),
    ("web.quality", "GET"): Call(lambda s, w: f"/quality?station={s.station}", "302 302 302 200 200/404 200/404"),
    ("web.quality_thresholds", "GET"): Call(lambda s, w: f"/quality/thresholds/{s.county}",
                                            "302 302 302 404 200/404 200/404"),
    ("web.quality_thresholds_save", "POST"): Call(lambda s, w: f"/quality/thresholds/{s.county}",
                                                  "302 302 302 404 400/404 400/404", data={"far_from_home_m": "x"}),
    ("web.submission_media", "GET"): Call(lambda s, w: f"/media/{s.instance_id}/{s.photo}", PAGE),
    ("web.case_list", "GET"): Call(lambda s, w: f"/cases?station={s.station}", LIST_PAGE),
    ("web.case_detail", "GET"): Call(lambda s, w: f"/cases/{s.case_id}", PAGE),
    ("web.case_close", "POST"): Call(lambda s, w: f"/cases/{s.case_id}/close", "302 302 302 400/404 400/404 400/404",
                                     data={"reason": "bored", "note": "x"}),
    ("web.case_reopen", "POST"): Call(lambda s, w: f"/cases/{s.case_id}/reopen",
                                      "302 302 302 400/404 400/404 400/404", data={"note": " "}),
    ("web.case_dismiss_proposal", "POST"): Call(lambda s, w: f"/cases/{s.case_id}/close-proposal/dismiss",
                                                "302 302 302 400/404 400/404 400/404", data={"note": " "}),
    ("web.station_list", "GET"): Call("/stations", "302 302 302 200 200 200"),
    ("web.station_detail", "GET"): Call(lambda s, w: f"/stations/{s.station}", PAGE),
    ("web.station_record", "POST"): Call(lambda s, w: f"/stations/{s.station}/record",
                                         "302 302 302 403/404 400/404 400/404", data={"setup_funding_yuan": "x"}),
    ("web.station_plaque", "GET"): Call(lambda s, w: f"/stations/{s.station}/plaque.png?preview=1", PAGE),
    # A reason past 200 characters, a date that is none: refused after the role and scope checks, nothing changed.
    ("web.station_plaque_link", "POST"): Call(lambda s, w: f"/stations/{s.station}/plaque-link",
                                              "302 302 302 400/404 400/404 400/404", data={"reason": "x" * 201}),
    ("web.station_plaque_installed", "POST"): Call(lambda s, w: f"/stations/{s.station}/plaque-installed",
                                                   "302 302 302 403/404 400/404 400/404", data={"installed_on": "x"}),
    ("web.worker_collect_qr", "GET"): Call(lambda s, w: f"/stations/{s.station}/workers/{s.worker}/collect-qr.png",
                                           PAGE),
    ("web.dashboard", "GET"): Call(lambda s, w: f"/dashboard?area={s.township}", PAGE),
    ("web.dashboard_print", "GET"): Call(lambda s, w: f"/dashboard/print?area={s.township}", PAGE),
    ("web.dashboard_report", "GET"): Call(lambda s, w: f"/dashboard/report.xlsx?area={s.township}", PAGE),
    ("web.audit_log", "GET"): Call("/audit", "302 302 302 404 404 200"),  # admins only; others: no such page
    ("web.alert_list", "GET"): Call("/alerts", LIST_PAGE),
    # Projects and money: seen by station heads (their station's), county supervisors and admins in scope.
    ("web.project_list", "GET"): Call("/projects", LIST_PAGE),
    ("web.project_detail", "GET"): Call(lambda s, w: f"/projects/{w.projects[s.key]}", PAGE),
    ("web.county_money", "POST"): Call(lambda s, w: f"/counties/{s.county}/money", "302 302 302 404 404 302/404",
                                       data={"year": "2026"}),
    ("web.project_new", "GET"): Call("/projects/new", "302 302 302 404 200 200"),
    ("web.project_create", "POST"): Call("/projects/new", "302 302 302 404 400 400", data={}),
    ("web.project_edit", "GET"): Call(lambda s, w: f"/projects/{w.projects[s.key]}/edit", "302 302 302 404 200/404 200/404"),
    ("web.project_update", "POST"): Call(lambda s, w: f"/projects/{w.projects[s.key]}/edit",
                                         "302 302 302 404 400/404 400/404", data={}),
    ("web.project_a1", "GET"): Call(lambda s, w: f"/projects/{w.projects[s.key]}/a1", PAGE),
    ("web.project_a1_xlsx", "GET"): Call(lambda s, w: f"/projects/{w.projects[s.key]}/a1.xlsx", PAGE),
    ("web.project_spending", "POST"): Call(lambda s, w: f"/projects/{w.projects[s.key]}/spending",
                                           "302 302 302 400/404 400/404 400/404", data={"month": "x"}),
    # Volunteer certificates: issued, printed and revoked by station heads, county supervisors and admins in scope.
    ("web.certificate_issue", "POST"): Call(lambda s, w: f"/stations/{s.station}/volunteers/{w.volunteers[s.key]}"
                                            "/certificates", "302 302 302 400/404 400/404 400/404",
                                            data={"vfrom": "2026-11-30", "vto": "2026-01-01"}),  # backwards: refused
    ("web.certificate_pdf", "GET"): Call(lambda s, w: f"/certificates/{w.certificates[s.key][0]}.pdf", PAGE),
    ("web.certificate_revoke", "POST"): Call(lambda s, w: f"/certificates/{w.certificates[s.key][0]}/revoke",
                                             "302 302 302 400/404 400/404 400/404", data={"reason": " "}),
    # Public: what a certificate's QR code opens (the name masked); anyone with the link may check it.
    ("web.certificate_verify", "GET"): Call(lambda s, w: f"/v/{w.certificates[s.key][1]}", EVERYONE, public=True),
    # Subscriptions: admins and county supervisors, within their scope; station heads: no such page.
    ("web.integrations", "GET"): Call("/integrations", "302 302 302 404 200 200"),
    ("web.integration_create", "POST"): Call("/integrations", "302 302 302 404 400 400", data={"kind": "x"}),
    ("web.integration_detail", "GET"): Call(lambda s, w: f"/integrations/{w.subscriptions[s.key]}",
                                            "302 302 302 404 200/404 200/404"),
    ("web.integration_test", "POST"): Call(lambda s, w: f"/integrations/{w.subscriptions[s.key]}/test",
                                           "302 302 302 404 302/404 302/404", data={}),
    ("web.integration_pause", "POST"): Call(lambda s, w: f"/integrations/{w.subscriptions[s.key]}/pause",
                                            "302 302 302 404 302/404 302/404", data={}),
    ("web.integration_resume", "POST"): Call(lambda s, w: f"/integrations/{w.subscriptions[s.key]}/resume",
                                             "302 302 302 404 302/404 302/404", data={}),
    # A subscription (and a delivery) that is not there: the role and scope checks come first, nothing is deleted.
    ("web.integration_delete", "POST"): Call("/integrations/999999/delete", "302 302 302 404 404 404", data={}),
    ("web.integration_resend", "POST"): Call(lambda s, w: f"/integrations/{w.subscriptions[s.key]}/deliveries/999999"
                                             "/resend", "302 302 302 404 404 404", data={}),
    # Forms in the browser: workers and station heads, for their own station (no station: 403).
    ("web.fill_home", "GET"): Call("/fill/", FILL),
    ("web.fill_collect", "GET"): Call("/fill/collect", FILL),
    ("web.fill_service_worker", "GET"): Call("/fill/sw.js", EVERYONE, public=True),  # no personal data
    ("web.fill_status", "GET"): Call("/fill/status", "401 401 200 200 403 403"),
    ("web.fill_form", "GET"): Call("/fill/visit", FILL),
    ("web.fill_form_xml", "GET"): Call("/fill/visit/form.xml", FILL),
    ("web.fill_attachment", "GET"): Call("/fill/visit/attachments/cases.csv", FILL),  # their own cases only
    # Only a visit sent back to the user's case list may be opened for an edit; none is in the world.
    ("web.fill_edit", "GET"): Call(lambda s, w: f"/fill/returned/{s.instance_id}", FILL_NONE),
    ("web.fill_instance_xml", "GET"): Call(lambda s, w: f"/fill/returned/{s.instance_id}/instance.xml", FILL_NONE),
    ("web.fill_instance_file", "GET"): Call(lambda s, w: f"/fill/returned/{s.instance_id}/files/{s.photo}",
                                            FILL_NONE),
    ("web.fill_submit", "POST"): Call("/fill/submission", "401 401 400 400 403 403", data={}),  # no XML in it
    # --- REST API (bearer token) ---
    ("health.healthz", "GET"): Call("/healthz", EVERYONE),
    ("api.create_session", "POST"): Call("/api/v1/sessions", "400 400 400 400 400 400", json={}),
    ("api.delete_session", "DELETE"): Call("/api/v1/sessions/current", "401 401 204 204 204 204", fresh=True),
    ("api.list_forms", "GET"): Call("/api/v1/forms", REST_LIST),
    ("api.publish", "POST"): Call("/api/v1/forms", "401 401 403 403 403 400", data={}),
    ("api.get_collect_settings", "GET"): Call(lambda s, w: f"/api/v1/users/{s.worker}/collect-settings",
                                              "401 401 403 200/404 200/404 200/404"),
    ("api.reissue_collect_token", "POST"): Call(lambda s, w: f"/api/v1/users/{s.spare}/collect-token",
                                                "401 401 403 201/404 201/404 201/404"),
    ("api.revoke_collect_token", "DELETE"): Call(lambda s, w: f"/api/v1/users/{s.spare}/collect-token",
                                                 "401 401 403 204/404 204/404 204/404"),
    ("api.list_cases", "GET"): Call(lambda s, w: f"/api/v1/cases?station={s.station}", REST_LIST),
    ("api.get_case", "GET"): Call(lambda s, w: f"/api/v1/cases/{s.case_id}", REST_OBJECT),
    ("api.close_case", "POST"): Call(lambda s, w: f"/api/v1/cases/{s.case_id}/close",
                                     "401 401 403 400/404 400/404 400/404", json={}),
    ("api.reopen_case", "POST"): Call(lambda s, w: f"/api/v1/cases/{s.case_id}/reopen",
                                      "401 401 403 400/404 400/404 400/404", json={}),
    ("api.dismiss_close_proposal", "POST"): Call(lambda s, w: f"/api/v1/cases/{s.case_id}/close-proposal/dismiss",
                                                 "401 401 403 400/404 400/404 400/404", json={}),
    ("api.erase_case", "POST"): Call(lambda s, w: f"/api/v1/cases/{s.case_id}/erasure", "401 401 403 403 403 400/404",
                                     json={"reason": " "}),  # a blank reason: refused once the case is found
    ("api.import_cases", "POST"): Call("/api/v1/cases/import", "401 401 403 400 400 400", data={}),
    ("api.overdue_summary", "GET"): Call("/api/v1/overdue", "401 401 403 200 200 200"),
    ("api.list_visit_intervals", "GET"): Call("/api/v1/visit-intervals", REST_LIST),
    ("api.put_visit_interval", "PUT"): Call("/api/v1/visit-intervals/destitute", "401 401 403 403 403 400",
                                            json={}),
    ("api.list_submissions", "GET"): Call(lambda s, w: f"/api/v1/submissions?station={s.station}", REST_LIST),
    ("api.export_submissions", "GET"): Call(
        lambda s, w: f"/api/v1/submissions/export?format=media&station={s.station}", REST_LIST),
    ("api.get_submission", "GET"): Call(lambda s, w: f"/api/v1/submissions/{s.instance_id}", REST_OBJECT),
    # Review through the API: the role rules of server/domain/review.py (tests/integration/test_review_rules.py
    # holds the whole matrix, feedback included); workers may comment, never review.
    ("api.review_submission", "PATCH"): Call(lambda s, w: f"/api/v1/submissions/{s.instance_id}",
                                             "401 401 403/404 200/404 200/404 200/404", json={"reviewState": "approved"}),
    ("api.comment_submission", "POST"): Call(lambda s, w: f"/api/v1/submissions/{s.instance_id}/comments",
                                             "401 401 201/404 201/404 201/404 201/404", json={"body": "已核实"}),
    ("api.return_submission", "POST"): Call(lambda s, w: f"/api/v1/submissions/{s.instance_id}/return",
                                            "401 401 403/404 400/404 400/404 400/404", json={"reason": " "}),
    ("api.exclude_submission", "PUT"): Call(lambda s, w: f"/api/v1/submissions/{s.instance_id}/exclusion",
                                            "401 401 403/404 400/404 400/404 400/404",  # a visit: no exclusion
                                            json={"reason": "spam", "note": "测试"}),
    ("api.judge_submission", "POST"): Call(lambda s, w: f"/api/v1/submissions/{s.instance_id}/verdict",
                                           "401 401 403/404 400/404 400/404 400/404",
                                           json={"verdict": "not_genuine", "note": ""}),  # no words: refused
    ("api.get_quality", "GET"): Call(lambda s, w: f"/api/v1/quality?station={s.station}",
                                     "401 401 403 200 200/404 200/404"),
    ("api.get_thresholds", "GET"): Call(lambda s, w: f"/api/v1/counties/{s.county}/authenticity-thresholds",
                                        "401 401 403 403 200/404 200/404"),
    ("api.put_thresholds", "PUT"): Call(lambda s, w: f"/api/v1/counties/{s.county}/authenticity-thresholds",
                                        "401 401 403 403 400/404 400/404", json={"values": {"far_from_home_m": "x"}}),
    ("api.get_attachment", "GET"): Call(  # a thumbnail here, the original on the page: both ways through media
        lambda s, w: f"/api/v1/submissions/{s.instance_id}/attachments/{s.photo}?size=240", REST_OBJECT),
    ("api.get_indicators", "GET"): Call(lambda s, w: f"/api/v1/indicators?area={s.township}", REST_OBJECT),
    ("api.get_station_compliance", "GET"): Call(lambda s, w: f"/api/v1/stations/{s.station}/compliance",
                                                REST_OBJECT),
    ("api.list_audit_events", "GET"): Call("/api/v1/audit", "401 401 404 404 404 200"),
    ("api.list_changes", "GET"): Call("/api/v1/changes", "401 401 403 200 200 200"),
    ("api.list_volunteers", "GET"): Call(lambda s, w: f"/api/v1/volunteers?station={s.station}",
                                         "401 401 200/404 200/404 200/404 200/404"),
    ("api.list_alerts", "GET"): Call("/api/v1/alerts", "401 401 403 200 200 200"),
    ("api.list_projects", "GET"): Call("/api/v1/projects", "401 401 403 200 200 200"),
    ("api.create_project", "POST"): Call("/api/v1/projects", "401 401 403 403 400 400", json={}),
    ("api.import_projects", "POST"): Call("/api/v1/projects/import", "401 401 403 403 400 400", data={}),
    ("api.import_spending", "POST"): Call("/api/v1/projects/spending/import", "401 401 403 400 400 400", data={}),
    ("api.get_project", "GET"): Call(lambda s, w: f"/api/v1/projects/{w.projects[s.key]}",
                                     "401 401 403 200/404 200/404 200/404"),
    ("api.update_project", "PUT"): Call(lambda s, w: f"/api/v1/projects/{w.projects[s.key]}",
                                        "401 401 403 403 400/404 400/404", json={}),
    ("api.report_spending", "PUT"): Call(lambda s, w: f"/api/v1/projects/{w.projects[s.key]}/spending/2026-01",
                                         "401 401 403 400/404 400/404 400/404", json={}),
    ("api.get_county_money", "GET"): Call(lambda s, w: f"/api/v1/counties/{s.county}/money/2026",
                                          "401 401 403 403 200/404 200/404"),
    ("api.set_county_money", "PUT"): Call(lambda s, w: f"/api/v1/counties/{s.county}/money/2026",
                                          "401 401 403 403 403 400/404", json={}),
    ("api.list_subscriptions", "GET"): Call("/api/v1/subscriptions", "401 401 403 403 200 200"),
    ("api.create_subscription", "POST"): Call("/api/v1/subscriptions", "401 401 403 403 400 400", json={}),
    ("api.get_subscription", "GET"): Call(lambda s, w: f"/api/v1/subscriptions/{w.subscriptions[s.key]}",
                                          "401 401 403 403 200/404 200/404"),
    ("api.delete_subscription", "DELETE"): Call("/api/v1/subscriptions/999999", "401 401 403 403 404 404"),
    ("api.pause_subscription", "POST"): Call(lambda s, w: f"/api/v1/subscriptions/{w.subscriptions[s.key]}/pause",
                                            "401 401 403 403 400/404 400/404", json={"reason": "x" * 501}),
    ("api.resume_subscription", "POST"): Call(lambda s, w: f"/api/v1/subscriptions/{w.subscriptions[s.key]}/resume",
                                             "401 401 403 403 200/404 200/404", json={}),
    ("api.test_subscription", "POST"): Call(lambda s, w: f"/api/v1/subscriptions/{w.subscriptions[s.key]}/test",
                                           "401 401 403 403 202/404 202/404", json={}),
    ("api.list_deliveries", "GET"): Call(lambda s, w: f"/api/v1/subscriptions/{w.subscriptions[s.key]}/deliveries",
                                         "401 401 403 403 200/404 200/404"),
    ("api.resend_delivery", "POST"): Call(
        lambda s, w: f"/api/v1/subscriptions/{w.subscriptions[s.key]}/deliveries/{w.deliveries[s.key]}/resend",
        "401 401 403 403 409/404 409/404", json={}),  # still pending: nothing to resend
    ("api.openapi_document", "GET"): Call("/api/v1/openapi.json", EVERYONE),
    ("api.import_stations", "POST"): Call("/api/v1/stations/import", "401 401 403 403 400 400", data={}),
    ("api.import_staff", "POST"): Call("/api/v1/stations/staff/import", "401 401 403 403 400 400", data={}),
    ("api.reissue_plaque_link", "POST"): Call(lambda s, w: f"/api/v1/stations/{s.station}/plaque-link",
                                              "401 401 403 400/404 400/404 400/404", json={"reason": "x" * 201}),
}
# --- OpenRosa: the same routes two ways in — Digest on the bare URL, the Collect token on /key/<token>/… ---
OPENROSA = (  # (endpoint, method, URL after the prefix, what a worker or station head gets)
    ("form_list", "GET", "/formList", "200"),
    ("form_xml", "GET", "/forms/visit.xml", "200"),
    ("manifest", "GET", "/forms/visit/manifest", "200"),
    ("attachment", "GET", "/forms/visit/attachments/cases.csv", "200"),
    ("integrity", "GET", f"/datasets/cases/integrity?id={HUASHAN.case_id}", "200"),
    ("submission_head", "GET", "/submission", "204"),
    ("submission_post", "POST", "/submission", "201"),  # the station's own visit again, as Collect retries
)
# What a GET may write: the audit log (who viewed what), and the read-through cache of a station's cases.csv
# (a copy derived from the cases, rebuilt whenever its key — the cases' count and latest change — differs:
# no fact changes). Nothing else, for any role.
GET_MAY_WRITE = frozenset({"audit_event", "case_list_cache"})
# OpenRosa answers that hold no personal data keep ODK Central's "private, no-cache"; all else is no-store.
OPENROSA_CACHEABLE = ("form_list", "form_xml", "manifest", "submission_head")
for _name, _method, _url, _ok in OPENROSA:
    ROUTES[(f"openrosa.{_name}", _method)] = Call(_url, COLLECT_DIGEST.replace("200", _ok))
    ROUTES[(f"openrosa_key.{_name}", _method)] = Call(_url, COLLECT_TOKEN.replace("200", _ok))


def _route_methods(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _cases():
    for (endpoint, method), call in ROUTES.items():
        for role in ROLES:
            for scope in (("own", "foreign") if call.scoped else ("any",)):
                yield pytest.param(endpoint, method, role, scope, id=f"{endpoint}-{method}-{role}-{scope}")


def test_every_route_has_a_rule(tmp_path):
    app = create_app(_test_config("sqlite://", tmp_path))
    routes = _route_methods(app)
    missing = sorted(f"{endpoint} {method}" for endpoint, method in routes - set(ROUTES))
    stale = sorted(f"{endpoint} {method}" for endpoint, method in set(ROUTES) - routes)
    assert not missing, f"routes without a rule in the access matrix: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


@pytest.mark.parametrize(("endpoint", "method", "role", "scope"), list(_cases()))
def test_access(world, endpoint, method, role, scope):
    call = ROUTES[(endpoint, method)]
    site = FOREIGN[role] if scope == "foreign" else OWN[role]
    url = call.url(site, world) if callable(call.url) else call.url
    if endpoint.startswith("web."):
        web_client(world, role, fresh=call.fresh)  # signed in before the database is looked at
    before = _fingerprint(GET_MAY_WRITE) if method == "GET" else None
    response = _send(world, endpoint, method, call, role, url)
    try:
        body = response.get_data()
    finally:
        response.close()
    expected = call.expected(role, scope)
    assert response.status_code == expected, (
        f"{role} {method} {url} ({scope} scope): {response.status_code}, expected {expected}\n{body[:600]!r}")
    if method == "GET":
        assert _fingerprint(GET_MAY_WRITE) == before, f"{role} GET {url} changed the database"
    if response.status_code == 200 and role in SIGNED_IN and not call.public:
        cache = response.headers.get("Cache-Control")
        assert cache == "no-store" or endpoint.split(".")[1] in OPENROSA_CACHEABLE, f"{url}: Cache-Control {cache}"
    if response.status_code == 200 and role in SIGNED_IN and not call.public:
        leaked = [mark for mark in FOREIGN[role].marks if mark.encode("utf-8") in _readable(body)]
        assert not leaked, f"{role} {method} {url} shows what is outside their scope: {leaked}"


def _send(world: World, endpoint: str, method: str, call: Call, role: str, url: str):
    blueprint = endpoint.split(".", 1)[0]
    if blueprint in ("openrosa", "openrosa_key"):
        phone = collect_client(world, role, token_url=blueprint == "openrosa_key")
        if method == "POST":
            xml = visit_xml(HUASHAN.instance_id, case=HUASHAN.case_id, photo=HUASHAN.photo)
            payload, content_type = multipart_body(submission_parts(xml, []))
            return phone.request("POST", url, data=payload, content_type=content_type)
        return phone.request(method, url)
    if blueprint == "web":
        client, token = web_client(world, role, fresh=call.fresh)
        data = call.data(OWN[role], world) if callable(call.data) else call.data
        if method in UNSAFE_METHODS:
            data = {**(data or {}), "csrf_token": token}
        return client.open(url, method=method, data=data)
    headers = bearer(world, role, fresh=call.fresh)
    return world.client().open(url, method=method, headers=headers, data=call.data, json=call.json)


COOKIE_ONLY = [(endpoint, method) for (endpoint, method), call in ROUTES.items()
               if endpoint.split(".")[0] in ("api", "openrosa") and call.expected("anonymous", "own") == 401]


@pytest.mark.parametrize(("endpoint", "method"), COOKIE_ONLY, ids=[f"{e}-{m}" for e, m in COOKIE_ONLY])
def test_token_routes_ignore_the_session_cookie(world, endpoint, method):
    """The REST API and OpenRosa are exempt from CSRF because a cookie never authenticates them."""
    call = ROUTES[(endpoint, method)]
    url = call.url(HUASHAN, world) if callable(call.url) else call.url
    client, _token = web_client(world, "admin")
    headers = {"X-OpenRosa-Version": "1.0"} if endpoint.startswith("openrosa.") else {}
    response = client.open(url, method=method, headers=headers, data=call.data, json=call.json)
    assert response.status_code == 401, f"{method} {url} with only a session cookie: {response.status_code}"


@pytest.mark.parametrize(("method", "path"), [("GET", "collect-settings"), ("POST", "collect-token"),
                                             ("DELETE", "collect-token")])
@pytest.mark.parametrize(("role", "target"), [("county", "wuhua"), ("admin", "wuhua")])
def test_accounts_without_collect_access_have_no_collect_settings(world, method, path, role, target):
    """A county supervisor in their own scope (themselves) is no worker: 404, as for anything not there."""
    response = world.client().open(f"/api/v1/users/{target}/{path}", method=method, headers=bearer(world, role))
    assert response.status_code == 404, response.get_data(as_text=True)[:300]


def _readable(body: bytes) -> bytes:
    """The body, with every member of a zip (exports, XLSX) unpacked, so marks inside are seen too."""
    if not body.startswith(b"PK"):
        return body
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return b"\n".join(name.encode("utf-8") + b"\n" + archive.read(name) for name in archive.namelist())


# --- CSRF: every state-changing page refuses a request without its token, and changes nothing ---------

@dataclass(frozen=True)
class Change:
    url: str | Callable[[World], str]
    data: dict
    ok: int  # what the same request answers with its token (the body is a valid one)
    signed_in: bool = True
    token_page: str | Callable[[World], str] = "/login"  # where the page's token is read (the resident page: its own)
    username: str = "city"  # who is signed in

    def body(self, world: World) -> dict:
        """A fresh body for each request (a file in it is read once)."""
        return self.data(world) if callable(self.data) else dict(self.data)


CSRF: dict[tuple[str, str], Change] = {
    ("web.login", "POST"): Change("/login", {"username": "city", "password": PASSWORD}, 302, signed_in=False),
    ("web.logout", "POST"): Change("/logout", {}, 302),
    ("web.fill_submit", "POST"): Change("/fill/submission", lambda w: {
        "xml_submission_file": (io.BytesIO(visit_xml("uuid:csrf-web", case=HUASHAN.case_id, photo=None)), "s.xml",
                                "text/xml")}, 201, username="worker1"),
    ("web.feedback_page", "POST"): Change(lambda w: f"/f/{w.links[HUASHAN.key]}",
                                          {"satisfaction": "5", "service_received": "elderly", "improvement": "",
                                           "contact": ""}, 201, token_page=lambda w: f"/f/{w.links[HUASHAN.key]}"),
    ("web.station_record", "POST"): Change(f"/stations/{HUASHAN.station}/record",
                                           {"operator_name": "春城社工服务中心", "flagship_projects": "2"}, 302),
    ("web.station_plaque_installed", "POST"): Change(f"/stations/{HUASHAN.station}/plaque-installed",
                                                     {"installed_on": "2026-11-30"}, 302),
    # 拓东's link, not 华山's: the resident of the matrix holds 华山's (these run after the access cases).
    ("web.station_plaque_link", "POST"): Change(f"/stations/{TUODONG.station}/plaque-link", {"reason": "门牌被盗"}, 302),
    # A worker's "service ended" (seeded) not confirmed; then closed and reopened: in this order.
    ("web.case_dismiss_proposal", "POST"): Change(f"/cases/{HUASHAN.case_id}/close-proposal/dismiss",
                                                  {"note": "本人仍在村里居住"}, 302),
    ("web.case_close", "POST"): Change(f"/cases/{HUASHAN.case_id}/close", {"reason": "moved_out", "note": "迁往外省"},
                                       302),
    ("web.case_reopen", "POST"): Change(f"/cases/{HUASHAN.case_id}/reopen", {"note": "迁回本村"}, 302),
    ("web.submission_review", "POST"): Change(f"/submissions/{HUASHAN.instance_id}/review",
                                              {"review_state": "approved", "note": "照片清楚"}, 302),
    ("web.submission_comment", "POST"): Change(f"/submissions/{HUASHAN.instance_id}/comment", {"body": "已核实"}, 302),
    ("web.submission_return", "POST"): Change(f"/submissions/{HUASHAN.instance_id}/return",
                                              {"reason": "照片看不清门牌"}, 302),
    ("web.submission_verdict", "POST"): Change(f"/submissions/{HUASHAN.instance_id}/verdict", {"verdict": "genuine"},
                                               302),
    ("web.quality_thresholds_save", "POST"): Change(f"/quality/thresholds/{HUASHAN.county}",
                                                    {"far_from_home_m": "1500"}, 302),
    ("web.submission_exclusion", "POST"): Change(lambda w: f"/submissions/{w.feedback_id}/exclusion",
                                                 {"reason": "test", "note": "培训时的演示"}, 302),
    ("web.certificate_revoke", "POST"): Change(f"/certificates/{HUASHAN.station}-2026-0001/revoke",
                                               {"reason": "出具有误"}, 302),
    ("web.certificate_issue", "POST"): Change(lambda w: f"/stations/{HUASHAN.station}/volunteers/"
                                              f"{w.volunteers[HUASHAN.key]}/certificates",
                                              {"vfrom": "2026-01-01", "vto": "2026-11-30"}, 302),
    ("web.integration_create", "POST"): Change("/integrations", {"kind": "webhook", "name": "省平台", "area": "530100",
                                                                 "url": "https://1.1.1.1/hook",
                                                                 "topics": "case.created"}, 302),
    ("web.integration_test", "POST"): Change(lambda w: f"/integrations/{w.subscriptions[HUASHAN.key]}/test", {}, 302),
    ("web.project_spending", "POST"): Change(lambda w: f"/projects/{w.projects[HUASHAN.key]}/spending",
                                             {"month": "2026-01"}, 302),
    ("web.county_money", "POST"): Change(f"/counties/{HUASHAN.county}/money",
                                         {"year": "2026", "social_assistance_yuan": "4000000"}, 302),
    ("web.project_create", "POST"): Change("/projects/new", {
        "county": "530102", "year": "2026", "name": "CSRF 项目", "operator": "某中心", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "amount_yuan": "100", "stations": "530102001", "line-0-group": "II",
        "line-0-name": "劳务", "line-0-yuan": "70", "line-1-group": "I", "line-1-name": "活动", "line-1-yuan": "30"},
        302),
    ("web.project_update", "POST"): Change(lambda w: f"/projects/{w.projects[HUASHAN.key]}/edit", {
        "county": "530102", "year": "2026", "name": "华山街道社工站购买服务项目", "operator": "某社会工作服务中心",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31", "amount_yuan": "100000", "stations": "530102001",
        "source-local_matching": "100000", "line-0-group": "II", "line-0-name": "社工劳务费", "line-0-yuan": "70000",
        "line-1-group": "I", "line-1-name": "社区活动", "line-1-yuan": "30000"}, 302),
    ("web.integration_pause", "POST"): Change(lambda w: f"/integrations/{w.subscriptions[HUASHAN.key]}/pause", {},
                                              302),
    ("web.integration_resume", "POST"): Change(lambda w: f"/integrations/{w.subscriptions[HUASHAN.key]}/resume", {},
                                               302),
    ("web.integration_resend", "POST"): Change(
        lambda w: f"/integrations/{w.subscriptions[HUASHAN.key]}/deliveries/{w.deliveries[HUASHAN.key] + 1}/resend",
        {}, 302),  # the failed one beside the pending test delivery
    ("web.integration_delete", "POST"): Change(lambda w: f"/integrations/{w.subscriptions[TUODONG.key]}/delete", {},
                                               302),
}


def test_every_state_changing_page_has_a_csrf_check(tmp_path):
    app = create_app(_test_config("sqlite://", tmp_path))
    pages = {(endpoint, method) for endpoint, method in _route_methods(app)
             if endpoint.startswith("web.") and method in UNSAFE_METHODS}
    assert not pages - set(CSRF), f"state-changing pages without a CSRF case: {sorted(pages - set(CSRF))}"
    assert not set(CSRF) - pages, f"CSRF cases for routes that no longer exist: {sorted(set(CSRF) - pages)}"


@pytest.mark.parametrize(("endpoint", "method"), list(CSRF), ids=[f"{e}-{m}" for e, m in CSRF])
def test_state_changing_page_without_csrf_token_is_refused(world, endpoint, method):
    change = CSRF[(endpoint, method)]
    url = change.url(world) if callable(change.url) else change.url
    client = world.client()
    if change.signed_in:
        assert sign_in(client, change.username, PASSWORD).status_code == 302
    before = _fingerprint()
    refused = client.open(url, method=method, data=change.body(world))
    assert refused.status_code == 400, f"{method} {url} without a CSRF token: {refused.status_code}"
    assert _fingerprint() == before, f"{method} {url} without a CSRF token changed the database"
    assert _signed_in(client) == change.signed_in  # neither signed out nor signed in
    # A token is bound to its session: one taken from another browser is refused the same way.
    stranger = csrf_token(world.client().get("/login").get_data(as_text=True))
    assert client.open(url, method=method, data={**change.body(world), "csrf_token": stranger}).status_code == 400
    assert _fingerprint() == before
    # The same request with the page's token goes through: the body above was a valid one.
    token_page = change.token_page(world) if callable(change.token_page) else change.token_page
    token = csrf_token(client.get(token_page).get_data(as_text=True))
    accepted = client.open(url, method=method, data={**change.body(world), "csrf_token": token})
    assert accepted.status_code == change.ok, accepted.get_data(as_text=True)[:600]
    if endpoint in ("web.login", "web.logout"):
        assert _signed_in(client) != change.signed_in
    else:
        assert _fingerprint() != before


def _signed_in(client) -> bool:
    office = client.get("/stations")  # a worker is sent to their forms
    return office.status_code == 200 or office.headers.get("Location", "").endswith("/fill/")


def _fingerprint(skip: frozenset[str] = frozenset()) -> str:
    """A digest of every row of every table (but ``skip``): equal digests, unchanged database."""
    digest = hashlib.sha256()
    db.session.expire_all()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            digest.update(table.name.encode() + b"\0" + "\n".join(rows).encode("utf-8"))
    return digest.hexdigest()
