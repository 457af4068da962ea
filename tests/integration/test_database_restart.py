"""PostgreSQL restarted under the server (docs/deploy.md, "When things break"): a request that meets the outage is
answered ``503`` with ``Retry-After`` in the asker's format (OpenRosa XML for Collect), never a 500; the server
reconnects by itself; and after Collect-style retries every submission sent during ``pg_ctl restart -m fast`` and
``-m immediate`` exists exactly once with its photo.

Its own cluster, so restarting it disturbs no other test.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from server import create_app
from server.domain.clock import today_in_china
from server.extensions import db
from server.media import media_storage
from server.models import Submission, SubmissionAttachment, SubmissionVersion
from server.services.accounts import active_collect_token
from server.services.forms import publish_form
from tests.conftest import _test_config
from tests.support.collect import CollectClient, post_submission
from tests.support.gunicorn import Gunicorn, app_env
from tests.support.instances import fill_instance
from tests.support.postgres import PostgresUnavailable, start_cluster

ROOT = Path(__file__).parents[2]
PHONES, VISITS_PER_PHONE, DEADLINE = 4, 8, 120


@pytest.fixture(scope="module")
def restartable_cluster():
    cluster = start_cluster(durable=True)  # the suite's other clusters trade durability for speed
    yield cluster
    try:
        cluster.stop()
    except PostgresUnavailable:  # a failed test may leave it stopped: its folder is removed all the same
        pass


@pytest.fixture(scope="module")
def database_url(restartable_cluster, tmp_path_factory):
    """This module's database: on its own cluster, migrated (overrides the session's SQLite/PostgreSQL pair)."""
    url = restartable_cluster.create_database("restart")
    app = create_app(_test_config(url, tmp_path_factory.mktemp("media")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _visit(xform: bytes, photo: str) -> bytes:
    case_id = str(uuid.uuid4())
    values = {"case_mode": "new", "visit_date": today_in_china().isoformat(), "location": "25.04 102.71 1890 5",
              "registration/reg_name": "王桂英", "registration/reg_gender": "female",
              "registration/reg_birth_date": "1948-05-02", "registration/reg_category": "destitute",
              "registration/reg_village": "530102001001", "risk_level": "low", "photos/photo_home": photo}
    return fill_instance(xform, values, drop=("case",),
                         entity={"id": case_id, "create": "1", "update": "0", "label": "王桂英 · 团结社区"})


def _post(url: str, xml: bytes, photo: bytes) -> tuple[int, dict, bytes]:
    return post_submission(url, xml, [("home.jpg", photo)], timeout=30)


class Phone(threading.Thread):
    """Sends its visits one after another, each until it gets a 201; a 503 must say when to come back."""

    def __init__(self, url: str, xform: bytes, number: int, sent: dict[str, bytes], outages: list[int]) -> None:
        super().__init__(daemon=True, name=f"phone-{number}")
        self.url, self.xform, self.number, self.sent, self.outages = url, xform, number, sent, outages
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for n in range(VISITS_PER_PHONE):
                photo = b"\xff\xd8\xff\xe0" + os.urandom(64 * 1024)
                xml = _visit(self.xform, "home.jpg")
                self.send(xml, photo)
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            self.error = exc

    def send(self, xml: bytes, photo: bytes) -> None:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                status, headers, body = _post(self.url, xml, photo)
            except OSError:
                time.sleep(0.2)  # the server itself is unreachable: Collect tries again later
                continue
            if status == 201:
                instance = xml.split(b"<instanceID>")[1].split(b"</instanceID>")[0].decode()
                self.sent[instance] = photo
                return
            if status != 503 or "Retry-After" not in headers or b"<OpenRosaResponse" not in body:
                raise AssertionError(f"{status} {headers.get('Retry-After')} {body[:300]!r}")
            self.outages.append(status)
            time.sleep(0.2)  # (Collect waits longer; the test need not)
        raise TimeoutError("never acknowledged")


@pytest.fixture
def home_visit(app):
    publish_form((ROOT / "forms" / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    db.session.commit()


@pytest.mark.slow
def test_a_database_restart_answers_503_then_loses_nothing(app, make_user, home_visit, client, tmp_path,
                                                           restartable_cluster):
    worker = make_user("worker1", "worker", "530102001", "Worker-pass-1")
    token = active_collect_token(worker).token
    xform = CollectClient(client, f"/key/{token}").get("/forms/home_visit.xml").data
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **app_env(app),
           "LASTMETER_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=2)
    server.start()
    url = f"{server.url}/key/{token}"
    sent: dict[str, bytes] = {}
    outages: list[int] = []
    try:
        # The database stopped: the phone hears 503 with Retry-After, in OpenRosa XML; /healthz says so too.
        restartable_cluster.pg_ctl("stop", "fast")
        photo = b"\xff\xd8\xff\xe0" + os.urandom(1024)
        first = _visit(xform, "home.jpg")
        try:
            status, headers, body = _post(url, first, photo)
            health = _health_status(server.url)
        finally:
            restartable_cluster.pg_ctl("start")
        assert status == 503, body[:500]
        assert headers["Retry-After"] == "30" and b"<OpenRosaResponse" in body and "数据库".encode() in body
        assert health == 503
        # Back: the same server answers the same submission at once, without a restart of its own.
        status, _, body = _post(url, first, photo)
        assert status == 201, body[:500]
        sent[first.split(b"<instanceID>")[1].split(b"</instanceID>")[0].decode()] = photo
        # Under load, a fast restart and an immediate one (a crash of the database server).
        phones = [Phone(url, xform, n, sent, outages) for n in range(PHONES)]
        total = 1 + PHONES * VISITS_PER_PHONE
        for phone in phones:
            phone.start()
        for share, mode in ((0.3, "fast"), (0.6, "immediate")):
            while len(sent) < share * total and any(p.is_alive() for p in phones):
                time.sleep(0.02)
            restartable_cluster.pg_ctl("restart", mode)
        for phone in phones:
            phone.join(DEADLINE + 30)
    finally:
        server.stop()
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert [p.error for p in phones if p.error] == [], log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert len(sent) == total
    db.session.remove()
    instances = db.session.scalars(select(Submission.instance_id)).all()
    assert sorted(instances) == sorted(sent)  # every acknowledged submission once, nothing else
    storage = media_storage()
    for instance, photo in sent.items():
        stored = db.session.scalars(
            select(SubmissionAttachment.blob_sha256)
            .join(SubmissionVersion, SubmissionVersion.id == SubmissionAttachment.version_id)
            .join(Submission, Submission.id == SubmissionVersion.submission_id)
            .where(Submission.instance_id == instance)).all()
        assert stored == [hashlib.sha256(photo).hexdigest()], instance
        assert storage.exists(stored[0])
    assert db.session.scalar(select(func.count()).select_from(Submission)) == total


def _health_status(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_people_and_the_api_get_503_in_their_own_format_while_the_database_is_away(app, client, make_user,
                                                                                   restartable_cluster):
    from tests.support.web import sign_in

    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    api = client.post("/api/v1/sessions", json={"username": "wuhua", "password": "Wuhua-pass-1"}).json["token"]
    sign_in(client, "wuhua", "Wuhua-pass-1")
    db.session.remove()
    restartable_cluster.pg_ctl("stop", "fast")
    try:
        page = client.get("/submissions")
        listed = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {api}"})
    finally:
        restartable_cluster.pg_ctl("start")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "服务器暂时无法访问数据库" in page.get_data(as_text=True) and page.mimetype == "text/html"
    assert listed.status_code == 503 and listed.json["code"] == "503.1" and listed.headers["Retry-After"] == "30"
    db.session.remove()
    assert client.get("/submissions").status_code == 200  # reconnected by itself
