"""A server whose clock jumped (docs/deploy.md, "When things break"; ``domain/clock.py``, "The time source").

The real server and the real job worker are started with their machine's clock shifted (``CLOCK_OFFSET_SECONDS``:
three days ahead, as after a bad NTP step; 400 days behind, as after a lost BIOS battery) while the database's
clock and the phones' are right. A phone sends a visit registering a new case. Everything must be dated by the
right time: the visit's day and receipt, the case's registration and schedule (not overdue), the review history;
no "phone clock is wrong" flag on a phone whose clock is right; no negative waiting time; and ``/healthz`` tells
the operator the machine's clock is off, by how much.

A jump while running is in ``tests/unit/test_clock.py`` (the app's time does not move with the machine's clock).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from server.domain.cases import interval_days, next_due_date
from server.domain.clock import CHINA
from server.extensions import db
from server.models import Case, Submission
from server.services.accounts import active_collect_token
from server.services.cases import visit_intervals
from server.services.forms import publish_form
from tests.support.collect import CollectClient, post_submission
from tests.support.gunicorn import Gunicorn, app_env
from tests.support.instances import fill_instance

ROOT = Path(__file__).parents[2]
JUMPS = {"ahead": 3 * 86400, "behind": -400 * 86400}


def _real_now() -> datetime:
    return datetime.fromtimestamp(time.time(), timezone.utc)


def _visit(xform: bytes, case_id: str) -> bytes:
    now = _real_now().astimezone(CHINA)
    values = {"start": (now - timedelta(minutes=20)).isoformat(timespec="milliseconds"),
              "end": now.isoformat(timespec="milliseconds"), "today": now.date().isoformat(),
              "case_mode": "new", "visit_date": now.date().isoformat(), "location": "25.04 102.71 1890 5",
              "registration/reg_name": "王桂英", "registration/reg_gender": "female",
              "registration/reg_birth_date": "1948-05-02", "registration/reg_category": "destitute",
              "registration/reg_village": "530102001001", "risk_level": "low"}
    return fill_instance(xform, values, drop=("case",),
                         entity={"id": case_id, "create": "1", "update": "0", "label": "王桂英 · 团结社区"})


def _applied_case(case_id: str, deadline: float) -> Case:
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot: the worker writes meanwhile
        case = db.session.get(Case, case_id)
        if case is not None and case.last_visit is not None:
            return case
        time.sleep(0.3)
    raise AssertionError("the job worker never applied the visit")


@pytest.mark.slow
@pytest.mark.parametrize("jump", JUMPS)
def test_a_server_whose_clock_jumped_dates_everything_by_the_database(app, client, make_user, tmp_path, jump):
    if (jump, db.engine.dialect.name) in (("ahead", "postgresql"), ("behind", "sqlite")):
        pytest.skip("each jump once, one on each database (the suite's time)")
    publish_form((ROOT / "forms" / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    token = active_collect_token(make_user("worker1", "worker", "530102001", "Worker-pass-1")).token
    db.session.commit()
    xform = CollectClient(client, f"/key/{token}").get("/forms/home_visit.xml").data
    offset = JUMPS[jump]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **app_env(app),
           "LASTMETER_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
           "LASTMETER_CLOCK_OFFSET_SECONDS": str(offset)}
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=1)
    server.start()
    with open(tmp_path / "worker.log", "ab") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "jobs-worker", "--threads", "1"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    case_id = str(uuid.uuid4())
    try:
        sent_at = _real_now()
        status, _, body = post_submission(f"{server.url}/key/{token}", _visit(xform, case_id), [], timeout=30)
        assert status == 201, body[:500]
        health = requests.get(f"{server.url}/healthz", timeout=10).json()
        case = _applied_case(case_id, time.monotonic() + 60)
    finally:
        server.stop()
        worker.terminate()
        worker.wait(timeout=30)

    # The operator is told, with the size of the jump.
    assert "clock" in health["problems"] and health["status"] == "degraded"
    assert abs(health["clock_skew_seconds"] - offset) < 30
    assert health["oldest_waiting_seconds"] >= 0

    # Received now, on the right day; the phone's clock is not blamed.
    today = sent_at.astimezone(CHINA).date()
    submission = db.session.scalars(select(Submission)).one()
    assert abs((submission.created_at - sent_at).total_seconds()) < 120
    assert submission.visit_date == today
    assert "clock_skew" not in (submission.flags or [])
    assert all(abs((event.created_at - sent_at).total_seconds()) < 120 for event in submission.events)

    # The case: registered and visited today, next due a full interval from today, not overdue.
    assert case.registered_on == today and case.last_visit == today
    assert case.next_due == next_due_date(today, today, interval_days(case.category_codes, visit_intervals()))
    assert case.next_due > today
    token = client.post("/api/v1/sessions", json={"username": "wuhua", "password": "Wuhua-pass-1"}).json["token"]
    county = {"Authorization": f"Bearer {token}"}
    assert case_id in [row["id"] for row in client.get("/api/v1/cases", headers=county).json["cases"]]
    assert case_id not in [row["id"] for row in client.get("/api/v1/cases?overdue=1", headers=county).json["cases"]]
