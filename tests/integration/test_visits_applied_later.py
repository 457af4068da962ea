"""A visit is acknowledged before it is applied to its case (``services.submissions.apply_pending_visits``):
the 201 waits for the submission, its files and its event, not for the case. What must hold:

- until an applier runs, the visit is stored and waiting (``applied_at`` empty), and its case is unchanged;
- an applier applies waiting visits in the order they arrived, each exactly once (a registration before the
  follow-up that updates it), in a job queued by the ingest's commit or in a round of the events pump;
- with the real server and a real job worker both killed with SIGKILL while phones register and follow up cases,
  and restarted, every acknowledged visit ends up applied exactly once: one case per registration, one timeline
  entry per visit, nothing left waiting.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.domain.clock import today_in_china
from server.extensions import db
from server.domain.cases import CaseEventKind
from server.models import Case, CaseEvent, OutboxEvent, Submission, SubmissionVersion
from server.queries import submissions as submission_queries
from server.services.accounts import active_collect_token
from server.services.forms import publish_form
from tests.support.collect import CollectClient, HEADERS, multipart_body, submission_parts
from tests.support.gunicorn import Gunicorn, app_env
from tests.support.instances import fill_instance

ROOT = Path(__file__).parents[2]
FORMS = ROOT / "forms"
TODAY = today_in_china()


@pytest.fixture
def media_config(tmp_path):
    """A real queue no worker reads (unlike the tests' ``memory://``, which runs each job at once)."""
    return {"JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}


@pytest.fixture
def home_visit(app):
    publish_form((FORMS / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    db.session.commit()


def registration(xform: bytes, case_id: str, name: str) -> bytes:
    values = {"case_mode": "new", "visit_date": TODAY.isoformat(), "location": "25.04 102.71 1890 5",
              "registration/reg_name": name, "registration/reg_gender": "female",
              "registration/reg_birth_date": "1948-05-02", "registration/reg_category": "destitute",
              "registration/reg_village": "530102001001", "risk_level": "medium"}
    return fill_instance(xform, values, drop=("case",),
                         entity={"id": case_id, "create": "1", "update": "0", "label": f"{name} · 团结社区"})


def follow_up(xform: bytes, case_id: str, base_version: str = "1", **answers: str) -> bytes:
    values = {"case_mode": "existing", "case": case_id, "visit_date": TODAY.isoformat(),
              "location": "25.04 102.71 1890 5", "risk_level": "high", **answers}
    return fill_instance(xform, values, drop=("registration",),
                         entity={"id": case_id, "create": "0", "update": "1", "baseVersion": base_version})


def worker_phone(client, make_user) -> tuple[CollectClient, bytes]:
    """A worker's phone, and the home-visit form it fetched."""
    worker = make_user("worker1", "worker", "530102001", "Worker-pass-1")
    phone = CollectClient(client, f"/key/{active_collect_token(worker).token}")
    return phone, phone.get("/forms/home_visit.xml").data


def register(phone: CollectClient, xform: bytes, cases: list[str]) -> None:
    for n, case_id in enumerate(cases):
        assert phone.submit(registration(xform, case_id, f"对象{n}"), []).status_code == 201


def _waiting() -> int:
    return submission_queries.pending_versions_summary()[0]


def _events(case_id: str) -> list[str]:
    return [str(kind) for kind in db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                                                     .order_by(CaseEvent.id))]


def test_the_201_comes_before_the_case_and_an_applier_applies_in_arrival_order(client, make_user, home_visit,
                                                                                runner):
    phone, xform = worker_phone(client, make_user)
    case_id = str(uuid.uuid4())
    assert phone.submit(registration(xform, case_id, "张桂英"), []).status_code == 201
    assert phone.submit(follow_up(xform, case_id), []).status_code == 201
    db.session.rollback()
    assert db.session.get(Case, case_id) is None  # acknowledged, not yet applied
    assert _waiting() == 2
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 2

    result = runner.invoke(args=["outbox-pump", "--once"])  # one round of the events pump, as a worker runs it
    assert result.exit_code == 0, result.output
    db.session.rollback()
    case = db.session.get(Case, case_id)
    assert case is not None and case.version == 2 and str(case.risk_level) == "high"  # created, then updated
    assert _events(case_id) == ["created", "visited"]
    assert _waiting() == 0
    assert all(s.case_id == case_id for s in db.session.scalars(select(Submission)))
    # one batch, written in one flush: the follow-up found the case its registration made before either was written,
    # and the case's events are numbered in that order
    assert db.session.execute(select(OutboxEvent.type, OutboxEvent.object_version).where(
        OutboxEvent.object_type == "case", OutboxEvent.object_id == case_id).order_by(OutboxEvent.id)).all() == [
        ("case.created", 1), ("case.updated", 2)]

    assert runner.invoke(args=["outbox-pump", "--once"]).exit_code == 0  # nothing is applied twice
    db.session.rollback()
    assert _events(case_id) == ["created", "visited"] and db.session.get(Case, case_id).version == 2


def test_healthz_says_degraded_while_visits_wait_with_no_applier(client, make_user, home_visit, runner):
    """Visits are acknowledged with no job worker running: the app is up, but a load balancer's health check
    (and the operator's monitoring) must tell "up" from "up, but no case is being updated"."""
    from datetime import datetime, timedelta, timezone

    phone, xform = worker_phone(client, make_user)
    assert phone.submit(registration(xform, str(uuid.uuid4()), "张桂英"), []).status_code == 201
    fresh = client.get("/healthz")
    assert fresh.status_code == 200 and fresh.json["status"] == "ok" and fresh.json["visits_waiting"] == 1
    db.session.rollback()
    version = db.session.scalars(select(SubmissionVersion)).one()
    version.created_at = datetime.now(timezone.utc) - timedelta(minutes=10)  # as if no worker ran for 10 minutes
    db.session.commit()
    stale = client.get("/healthz")
    assert stale.status_code == 200 and stale.json["status"] == "degraded" and stale.json["problems"] == ["jobs"]
    assert 590 < stale.json["oldest_waiting_seconds"] < 700
    assert runner.invoke(args=["outbox-pump", "--once"]).exit_code == 0
    after = client.get("/healthz").json
    assert (after["status"], after["problems"], after["visits_waiting"]) == ("ok", [], 0)


def test_a_visit_that_cannot_be_applied_holds_back_no_other(client, make_user, home_visit, runner, monkeypatch,
                                                             caplog):
    """A bug applying one visit (injected here) rolls back only that visit: the others of its batch are applied,
    it is marked applied with the error logged, and it stays stored and listed."""
    from server.services import submissions as service

    phone, xform = worker_phone(client, make_user)
    cases = [str(uuid.uuid4()) for _ in range(3)]
    register(phone, xform, cases)
    real = service.process_visit

    def failing_for_the_second(context):
        if context.envelope.entity.entity_id == cases[1]:
            raise RuntimeError("a bug")
        return real(context)

    monkeypatch.setattr(service, "process_visit", failing_for_the_second)
    assert runner.invoke(args=["outbox-pump", "--once"]).exit_code == 0
    db.session.rollback()
    assert [db.session.get(Case, c) is not None for c in cases] == [True, False, True]
    assert _waiting() == 0
    assert "could not apply visit" in caplog.text
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 3


def test_a_case_registered_by_a_visit_that_failed_is_not_found_by_the_next_one(client, make_user, home_visit, runner,
                                                                              monkeypatch, caplog):
    """The batch keeps the cases its visits register for the visits after them; when one visit's application fails,
    the case it registered goes with it, and a follow-up of that case later in the batch finds none."""
    from server.services import submissions as service

    phone, xform = worker_phone(client, make_user)
    lost, kept = str(uuid.uuid4()), str(uuid.uuid4())
    for xml in (registration(xform, lost, "张桂英"), follow_up(xform, lost), registration(xform, kept, "李秀兰"),
                follow_up(xform, kept)):
        assert phone.submit(xml, []).status_code == 201
    real = service.process_visit

    def failing_for_the_first(context):
        case = real(context)
        if context.envelope.entity.entity_id == lost and context.envelope.entity.create:
            raise RuntimeError("a bug")  # after the case was registered: the visit's savepoint takes it back
        return case

    monkeypatch.setattr(service, "process_visit", failing_for_the_first)
    assert runner.invoke(args=["outbox-pump", "--once"]).exit_code == 0
    db.session.rollback()
    assert db.session.get(Case, lost) is None and _events(lost) == []
    assert db.session.get(Case, kept).version == 2 and _events(kept) == ["created", "visited"]
    assert caplog.text.count("could not apply visit") == 1  # the follow-up of the lost case is applied to none
    assert _waiting() == 0


def test_a_follow_up_in_the_batch_that_registered_the_case_sees_it_as_a_case_fully_made(client, make_user,
                                                                                       home_visit, runner):
    """Nothing of the batch is written before its end: the case a registration makes is read by the follow-up
    as it will be stored (open, not sent back), so a worker's "service ended" in that follow-up is proposed."""
    phone, xform = worker_phone(client, make_user)
    case_id = str(uuid.uuid4())
    assert phone.submit(registration(xform, case_id, "张桂英"), []).status_code == 201
    ended = follow_up(xform, case_id, **{"service_end/service_ended": "yes", "service_end/end_reason": "moved_out"})
    assert phone.submit(ended, []).status_code == 201
    assert runner.invoke(args=["outbox-pump", "--once"]).exit_code == 0
    db.session.rollback()
    case = db.session.get(Case, case_id)
    assert (str(case.status), str(case.close_proposal_reason), case.redo, case.conflict) == \
        ("open", "moved_out", False, False)


def test_a_version_that_cannot_be_read_holds_back_no_other(client, make_user, home_visit, runner, caplog):
    """A stored version whose XML no longer reads (as a stricter parser might one day find) is marked applied with
    the error logged, and the visits after it are applied."""
    phone, xform = worker_phone(client, make_user)
    broken, fine = str(uuid.uuid4()), str(uuid.uuid4())
    register(phone, xform, [broken, fine])
    db.session.rollback()
    first = db.session.scalars(select(SubmissionVersion).order_by(SubmissionVersion.id)).first()
    first.xml = b"<not-xml"
    db.session.commit()
    assert runner.invoke(args=["outbox-pump", "--once"]).exit_code == 0
    db.session.rollback()
    assert db.session.get(Case, broken) is None and db.session.get(Case, fine) is not None
    assert _waiting() == 0 and caplog.text.count("could not apply visit") == 1


def test_a_batch_of_visits_is_written_in_a_few_statements_not_a_dozen_each(client, make_user, home_visit):
    """The applier reads the batch's cases and villages once and writes its visits in one flush: registrations of
    new cases cost a couple of statements each at most (the ORM writes some rows one at a time on SQLite), where
    a flush and lookups per visit cost eight."""
    from sqlalchemy import event

    from server.services.submissions import apply_pending_visits

    phone, xform = worker_phone(client, make_user)
    cases = [str(uuid.uuid4()) for _ in range(12)]
    register(phone, xform, cases)
    db.session.rollback()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 — (conn, cursor, statement, …)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert apply_pending_visits() == 12
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert all(db.session.get(Case, case_id) is not None for case_id in cases)
    assert len(statements) <= 3 * 12 + 20, len(statements)


# --- SIGKILL of the server and the job worker under load ---------------------------------------------------

PHONES = 4
CASES_PER_PHONE = 5
DEADLINE = 150


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "jobs-worker", "--threads", "2"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


class Phone(threading.Thread):
    """Registers cases and follows each up once, retrying every instance until it gets a 201, as Collect does."""

    def __init__(self, url: str, xform: bytes, number: int, acknowledged: dict[str, str]) -> None:
        super().__init__(daemon=True, name=f"phone-{number}")
        self.url, self.xform, self.number, self.acknowledged = url, xform, number, acknowledged
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            deadline = time.monotonic() + DEADLINE
            for n in range(CASES_PER_PHONE):
                case_id = str(uuid.UUID(int=random.Random(self.number * 100 + n).getrandbits(128), version=4))
                self.send(registration(self.xform, case_id, f"对象{self.number}-{n}"), f"reg:{case_id}", deadline)
                self.send(follow_up(self.xform, case_id), f"visit:{case_id}", deadline)
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            self.error = exc

    def send(self, xml: bytes, what: str, deadline: float) -> None:
        body, content_type = multipart_body(submission_parts(xml, []))
        while time.monotonic() < deadline:
            request = urllib.request.Request(f"{self.url}/submission", data=body, method="POST",
                                             headers={**HEADERS, "Content-Type": content_type})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    if response.status == 201:
                        self.acknowledged[what] = xml.decode()
                        return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    raise AssertionError(f"{what}: {error.code} {error.read()[:300]!r}")
            except OSError:
                pass  # the server is down: Collect tries again later
            time.sleep(0.2)
        raise TimeoutError(f"{what} never acknowledged")


@pytest.mark.slow
def test_every_acknowledged_visit_is_applied_exactly_once_after_sigkills(app, make_user, home_visit, tmp_path,
                                                                         client):
    worker = make_user("worker1", "worker", "530102001", "Worker-pass-1")
    token = active_collect_token(worker).token
    xform = CollectClient(client, f"/key/{token}").get("/forms/home_visit.xml").data
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **app_env(app),
           "LASTMETER_JOBS_URL": str(app.config["JOBS_URL"]), "LASTMETER_OUTBOX_POLL_SECONDS": "1"}
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=2)
    server.start()
    job_worker = _start_worker(env, tmp_path / "worker.log")
    acknowledged: dict[str, str] = {}
    phones = [Phone(f"{server.url}/key/{token}", xform, n, acknowledged) for n in range(PHONES)]
    total = PHONES * CASES_PER_PHONE * 2
    rng = random.Random(20261206)
    try:
        for phone in phones:
            phone.start()
        for share in sorted(rng.uniform(0.2, 0.8) for _ in range(3)):  # kill both while visits are under way
            while len(acknowledged) < share * total and any(p.is_alive() for p in phones):
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.2))
            _kill(job_worker)
            server.kill()
            time.sleep(rng.uniform(0.1, 0.5))
            server.start()
            job_worker = _start_worker(env, tmp_path / "worker.log")
        for phone in phones:
            phone.join(DEADLINE + 30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the worker applies what is left
            db.session.rollback()
            if _waiting() == 0:
                break
            time.sleep(0.3)
    finally:
        _kill(job_worker)
        server.stop()
    logs = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    assert [p.error for p in phones if p.error] == [], logs
    assert len(acknowledged) == total
    db.session.rollback()
    assert _waiting() == 0, logs
    assert db.session.scalar(select(func.count()).select_from(SubmissionVersion)) == total
    case_ids = {what.split(":", 1)[1] for what in acknowledged}
    assert set(db.session.scalars(select(Case.id))) == case_ids  # one case per registration
    for case_id in case_ids:
        assert _events(case_id) == ["created", "visited"], case_id  # each visit applied exactly once, in order
        assert db.session.get(Case, case_id).version == 2
    assert "could not apply" not in logs
    kinds = db.session.scalars(select(CaseEvent.kind)).all()
    assert sorted(map(str, kinds)) == sorted(["created", "visited"] * len(case_ids))
    assert CaseEventKind.CREATED in kinds
