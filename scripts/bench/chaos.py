"""Benchmark 8: a bounded chaos run — normal Collect load on a province-shaped deployment while faults strike at
random, ended by a reconciliation (docs/deploy.md, "When things break").

The deployment: two app servers (gunicorn, 2 workers each, standing for two machines; each phone request goes to
one of them at random), one job worker, PostgreSQL (durable: fsync on), an S3 bucket (moto's server), Redis for
the rate-limit counters, and a webhook receiver subscribed to every event. Phones (threads) register cases with a
photo each, as ODK Collect does: each submission is sent until it is answered 201 (or 202), whatever came before
(503/507 with Retry-After, a dropped connection).

Faults, one at a time every 8–20 s, each kind once in random order before any comes again: PostgreSQL restarted (``-m fast``, ``-m immediate``), the bucket's server
stopped for a few seconds, Redis stopped, an app server or the job worker SIGKILLed and started again, the disk
full under one server for a few seconds (its file size limit lowered), an app server restarted with its machine's
clock days off.

The reconciliation, once the load has stopped and the queues drained:
- every submission a phone saw acknowledged is stored exactly once, with its photo (the right bytes, in the bucket),
  and no submission is stored that no phone saw acknowledged;
- every acknowledged visit is applied to its case (one case each, no visit still waiting);
- every outbox event is numbered and delivered to the webhook, and the receiver got each one;
- no orphans: no row names a file the bucket lacks; files no row names (a server killed between storing a file and
  committing its row) are found and removed by the orphan sweep, after which bucket and rows agree;
- no request was answered 500.

Run: .venv/bin/python scripts/bench/chaos.py [--seconds 300] [--phones 6] [--seed N]
Exits non-zero if any reconciliation check fails.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

from common import ROOT, publish, table
from setup import SECRET, environment, prepare

from tests.support.collect import post_submission
from tests.support.gunicorn import Gunicorn, free_port
from tests.support.instances import fill_instance
from tests.support.postgres import start_cluster
from tests.support.redis import RedisServer
from tests.support.s3 import start_s3_server

CHINA = timezone(timedelta(hours=8))
FAULTS = ("postgres-fast", "postgres-immediate", "bucket-away", "redis-away", "kill-app-server", "kill-job-worker",
          "disk-full", "clock-jump")
FAULT_NAMES = {"postgres-fast": "PostgreSQL restarted (-m fast)", "postgres-immediate": "PostgreSQL crashed and restarted (-m immediate)",
               "bucket-away": "bucket server stopped 3–8 s", "redis-away": "Redis stopped 3–8 s",
               "kill-app-server": "an app server SIGKILLed, restarted", "kill-job-worker": "the job worker SIGKILLed, restarted",
               "disk-full": "disk full under one app server 3–8 s", "clock-jump": "an app server restarted with its clock days off"}


def jpeg(rng: random.Random) -> bytes:
    from PIL import Image

    size = rng.randint(120, 260)
    buffer = BytesIO()
    Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def visit(xform: bytes, case_id: str, instance: str) -> bytes:
    now = datetime.now(CHINA)
    values = {"start": (now - timedelta(minutes=15)).isoformat(timespec="milliseconds"),
              "end": now.isoformat(timespec="milliseconds"), "today": now.date().isoformat(),
              "case_mode": "new", "visit_date": now.date().isoformat(), "location": "25.04 102.71 1890 5",
              "registration/reg_name": "王桂英", "registration/reg_gender": "female",
              "registration/reg_birth_date": "1948-05-02", "registration/reg_category": "destitute",
              "registration/reg_village": "530102001001", "risk_level": "low", "photos/photo_home": "home.jpg"}
    return fill_instance(xform, values, instance, drop=("case",),
                         entity={"id": case_id, "create": "1", "update": "0", "label": "王桂英 · 团结社区"})


class Receiver(ThreadingHTTPServer):
    """The webhook's receiving end: keeps every event id it is sent, answers 200."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event_id = json.loads(body).get("id")
                except ValueError:
                    event_id = None
                with receiver.lock:
                    receiver.seen[str(event_id)] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)


class Phone(threading.Thread):
    """Registers one case after another; sends each until it is acknowledged, as Collect does."""

    def __init__(self, number: int, servers: list[Gunicorn], token: str, xform: bytes, stop: threading.Event,
                 acknowledged: dict[str, str], answers: Counter, seed: int) -> None:
        super().__init__(daemon=True, name=f"phone-{number}")
        self.servers, self.token, self.xform, self.stop = servers, token, xform, stop
        self.acknowledged, self.answers = acknowledged, answers
        self.rng = random.Random(seed * 1000 + number)
        self.unacknowledged: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            case_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            instance = f"uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
            xml = visit(self.xform, case_id, instance)
            photo = jpeg(self.rng)
            if not self.send(xml, photo):
                self.unacknowledged.append(instance)
                return
            self.acknowledged[instance] = hashlib.sha256(photo).hexdigest()

    def send(self, xml: bytes, photo: bytes) -> bool:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            server = self.rng.choice(self.servers)
            try:
                status, _, _ = post_submission(f"{server.url}/key/{self.token}", xml, [("home.jpg", photo)],
                                               timeout=30)
            except OSError:
                self.answers["connection failed"] += 1
                time.sleep(0.5)
                continue
            self.answers[str(status)] += 1
            if status in (201, 202):
                return True
            time.sleep(0.5)  # 503/507/429 say when to come back; Collect waits longer, the run need not
        return False


class Deployment:
    def __init__(self, folder: Path, seed: int) -> None:
        self.folder = folder
        self.rng = random.Random(seed)
        self.cluster = start_cluster(durable=True)
        self.url = self.cluster.create_database("chaos")
        self.s3 = start_s3_server()
        self.bucket = self.s3.create_bucket()
        self.redis = RedisServer(folder)
        self.redis.start()
        self.receiver = Receiver()
        threading.Thread(target=self.receiver.serve_forever, daemon=True).start()
        media = folder / "media"
        media.mkdir()
        self.config = {"ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": self.url, "MEDIA_ROOT": str(media),
                       "PUBLIC_URL": "http://127.0.0.1", "JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite3'}",
                       "RATELIMIT_STORAGE_URL": self.redis.url, "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
                       "OUTBOX_POLL_SECONDS": "1", **self.s3.app_config(self.bucket)}
        self.prepared = prepare(self.config)
        self._subscribe()
        self.env = {**os.environ, **environment(self.config), "PYTHONWARNINGS": "ignore"}
        self.servers = [Gunicorn(self.env, folder / f"gunicorn-{name}.log", workers=2) for name in "ab"]
        for server in self.servers:
            server.start()
        self.worker = self._start_worker()

    def _subscribe(self) -> None:
        from server import create_app
        from server.domain.events import EventType
        from server.extensions import db
        from server.services import accounts, webhooks

        app = create_app(self.config)
        with app.app_context():
            user = accounts.create_user("chaos_county", "county", "530102", "Chaos-pass-2026")
            db.session.flush()
            webhooks.create_subscription(user, accounts.scope_of(user), "webhook", "混沌接收端",
                                         f"http://127.0.0.1:{self.receiver.server_address[1]}/hook", None,
                                         [t.value for t in EventType], None, allow_private=True)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    def _start_worker(self) -> subprocess.Popen:
        with open(self.folder / "worker.log", "ab") as out:
            return subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "jobs-worker", "--threads", "2"],
                                    cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    # --- faults ---------------------------------------------------------------------------------------------

    def strike(self, fault: str) -> None:
        pause = self.rng.uniform(3, 8)
        if fault in ("postgres-fast", "postgres-immediate"):
            self.cluster.pg_ctl("restart", fault.split("-")[1])
        elif fault == "bucket-away":
            self.s3.stop()
            time.sleep(pause)
            self._restart_bucket_server()
        elif fault == "redis-away":
            self.redis.stop()
            time.sleep(pause)
            self.redis.start()
        elif fault == "kill-app-server":
            server = self.rng.choice(self.servers)
            server.kill()
            server.start()
        elif fault == "kill-job-worker":
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)
            self.worker = self._start_worker()
        elif fault == "disk-full":
            server = self.rng.choice(self.servers)
            self._file_size_limit(server, 4096)
            time.sleep(pause)
            self._file_size_limit(server, "unlimited")
        elif fault == "clock-jump":
            server = self.rng.choice(self.servers)
            server.stop()
            server.env["LASTMETER_CLOCK_OFFSET_SECONDS"] = str(self.rng.choice((-400, -2, 3)) * 86400)
            server.start()

    def _restart_bucket_server(self) -> None:
        from moto.server import ThreadedMotoServer

        host, port = self.s3.endpoint_url.rsplit("/", 1)[1].split(":")
        self.s3.server = ThreadedMotoServer(ip_address=host, port=int(port), verbose=False)
        self.s3.server.start()  # moto keeps its buckets in this process: they are all still there

    @staticmethod
    def _file_size_limit(server: Gunicorn, size) -> None:
        pids = [str(server.process.pid)] + subprocess.run(["pgrep", "-P", str(server.process.pid)],
                                                          capture_output=True, text=True).stdout.split()
        for pid in pids:
            subprocess.run(["prlimit", f"--pid={pid}", f"--fsize={size}:"], capture_output=True)

    def mend(self) -> None:
        """Everything up again, with right clocks, before the queues drain."""
        for server in self.servers:
            self._file_size_limit(server, "unlimited")
            if server.env.get("LASTMETER_CLOCK_OFFSET_SECONDS", "0") != "0":
                server.stop()
                server.env["LASTMETER_CLOCK_OFFSET_SECONDS"] = "0"
                server.start()
        if self.worker.poll() is not None:
            self.worker = self._start_worker()

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if self.worker.poll() is None:
            self.worker.terminate()
            self.worker.wait(timeout=30)
        self.receiver.shutdown()
        self.redis.stop()
        self.s3.stop()
        self.cluster.stop()


def drain(deployment: Deployment, expected: int, timeout: float = 300) -> float:
    """Wait until every stored visit is applied and every delivery made; returns the seconds it took."""
    from sqlalchemy import func, select

    from server import create_app
    from server.domain.events import DeliveryStatus
    from server.extensions import db
    from server.models import Delivery, OutboxEvent, SubmissionVersion

    app = create_app(deployment.config)
    started = time.monotonic()
    with app.app_context():
        while time.monotonic() - started < timeout:
            db.session.rollback()
            waiting = db.session.scalar(select(func.count()).select_from(SubmissionVersion)
                                        .where(SubmissionVersion.applied_at.is_(None)))
            unnumbered = db.session.scalar(select(func.count()).select_from(OutboxEvent)
                                           .where(OutboxEvent.seq.is_(None)))
            undelivered = db.session.scalar(select(func.count()).select_from(Delivery)
                                            .where(Delivery.status != DeliveryStatus.DELIVERED))
            if not waiting and not unnumbered and not undelivered:
                break
            time.sleep(1)
        db.session.remove()
        db.engine.dispose()
    return time.monotonic() - started


def reconcile(deployment: Deployment, acknowledged: dict[str, str]) -> list[tuple[str, bool, str]]:
    from sqlalchemy import func, select

    from server import create_app
    from server.domain.events import DeliveryStatus
    from server.extensions import db
    from server.media import media_storage
    from server.models import Blob, Case, Delivery, OutboxEvent, Submission, SubmissionAttachment, SubmissionVersion
    from server.services.media import sweep_orphan_blobs

    checks: list[tuple[str, bool, str]] = []
    app = create_app(deployment.config)
    with app.app_context():
        stored = dict(db.session.execute(select(Submission.instance_id, Submission.id)).all())
        missing = [i for i in acknowledged if i not in stored]
        unasked = [i for i in stored if i not in acknowledged]
        checks.append(("every acknowledged submission stored, once", not missing,
                       f"{len(acknowledged)} acknowledged, {len(stored)} stored, {len(missing)} missing"))
        checks.append(("nothing stored that no phone saw acknowledged", not unasked, f"{len(unasked)} extra"))
        photos = dict(db.session.execute(
            select(Submission.instance_id, SubmissionAttachment.blob_sha256)
            .join(SubmissionVersion, SubmissionVersion.submission_id == Submission.id)
            .join(SubmissionAttachment, SubmissionAttachment.version_id == SubmissionVersion.id)
            .where(SubmissionAttachment.blob_sha256.is_not(None))).all())
        wrong = [i for i, sha in acknowledged.items() if photos.get(i) != sha]
        storage = media_storage()
        blobs = set(db.session.scalars(select(Blob.sha256)).all())
        absent = [sha for sha in blobs if not storage.exists(sha)]
        checks.append(("each with its photo, the right bytes", not wrong, f"{len(wrong)} without"))
        checks.append(("no row names a file the bucket lacks", not absent, f"{len(blobs)} files, {len(absent)} absent"))
        pending = db.session.scalar(select(func.count()).select_from(SubmissionVersion)
                                    .where(SubmissionVersion.applied_at.is_(None)))
        cases = db.session.scalar(select(func.count()).select_from(Case))
        checks.append(("every visit applied to its case", pending == 0 and cases == len(stored),
                       f"{pending} waiting, {cases} cases for {len(stored)} visits"))
        events = db.session.scalars(select(OutboxEvent.event_id)).all()
        unnumbered = db.session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.seq.is_(None)))
        delivered = set(db.session.scalars(select(Delivery.event_id)
                                           .where(Delivery.status == DeliveryStatus.DELIVERED)).all())
        unreceived = [e for e in events if e not in delivered or deployment.receiver.seen[e] == 0]
        checks.append(("every outbox event numbered and delivered", not unnumbered and not unreceived,
                       f"{len(events)} events, {unnumbered} unnumbered, {len(unreceived)} not received, "
                       f"{sum(n > 1 for n in deployment.receiver.seen.values())} received twice"))
        removed = sweep_orphan_blobs(storage, older_than_seconds=0)
        with deployment.s3.client() as client:
            keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=deployment.bucket)
                    for o in page.get("Contents", [])]
        unnamed = [k for k in keys if k.startswith("blobs/") and k.rsplit("/", 1)[1] not in blobs]
        checks.append(("orphan files found and swept; bucket and rows agree", not unnamed,
                       f"{len(removed)} orphan files swept; after it {len(unnamed)} unnamed, "
                       f"{sum(k.startswith('blobs/') for k in keys)} files for {len(blobs)} rows"))
        db.session.remove()
        db.engine.dispose()
    return checks


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--phones", type=int, default=6)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the bucket server's request lines
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="lastmeter-chaos-") as folder:
        deployment = Deployment(Path(folder), args.seed)
        try:
            stop = threading.Event()
            acknowledged: dict[str, str] = {}
            answers: Counter = Counter()
            xform = deployment.prepared["xform:home_visit"].encode()
            phones = [Phone(n, deployment.servers, deployment.prepared["token"], xform, stop, acknowledged, answers,
                            args.seed) for n in range(args.phones)]
            for phone in phones:
                phone.start()
            struck: Counter = Counter()
            deck: list[str] = []  # every kind of fault once, in random order, then again: none is left out
            started = time.monotonic()
            while time.monotonic() - started < args.seconds:
                time.sleep(rng.uniform(8, 20))
                if time.monotonic() - started >= args.seconds:
                    break
                if not deck:
                    deck = rng.sample(FAULTS, len(FAULTS))
                fault = deck.pop()
                print(f"{time.monotonic() - started:6.0f} s  {FAULT_NAMES[fault]}", flush=True)
                deployment.strike(fault)
                struck[fault] += 1
            deployment.mend()
            stop.set()
            for phone in phones:
                phone.join(timeout=300)
            unacknowledged = [i for phone in phones for i in phone.unacknowledged]
            drained = drain(deployment, len(acknowledged))
            checks = reconcile(deployment, acknowledged)
            checks.append(("every phone's last submission acknowledged", not unacknowledged,
                           f"{len(unacknowledged)} given up"))
            checks.append(("no 500 answered", answers.get("500", 0) == 0, f"{answers.get('500', 0)} × 500"))
        finally:
            deployment.close()
    ok = all(passed for _, passed, _ in checks)
    body = "\n\n".join([
        f"{args.seconds} s, {args.phones} phones, seed {args.seed}: {len(acknowledged)} visits with a photo "
        f"acknowledged; queues drained {drained:.0f} s after the load stopped. **{'All checks passed' if ok else 'FAILED'}.**",
        table(("fault", "times"), [(FAULT_NAMES[f], struck[f]) for f in FAULTS]),
        table(("answers the phones got", "count"), sorted(answers.items())),
        table(("check", "result", "numbers"), [(name, "ok" if passed else "**failed**", numbers)
                                              for name, passed, numbers in checks]),
    ])
    publish("chaos", "8. Chaos run: faults at random under load, then a reconciliation",
            f".venv/bin/python scripts/bench/chaos.py --seconds {args.seconds} --phones {args.phones} "
            f"--seed {args.seed}", body)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
