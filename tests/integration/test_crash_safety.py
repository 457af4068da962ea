"""Crash safety: the real server (gunicorn, deploy/gunicorn.conf.py) is killed with SIGKILL several times while
Collect-like clients upload visits with photos, and restarted; the clients retry as ODK Collect does (the same
instanceID and the same files, after a connection error or a 5xx), until every visit is acknowledged.

What must hold afterwards:

- every instanceID that ever got a 201 is in the database exactly once, with every file it was acknowledged for
  stored whole: its ``blob`` row and the stored bytes hash to what the client sent;
- no committed row is half-written. A POST is one transaction: the submission, its attachment rows and its blob
  rows commit together or not at all. A submission may lack a file only after a *split upload* (a POST marked
  ``*isIncomplete*`` carries some of the files; Central's rule, which Lastmeter follows, is to accept it with 201
  and let the next POSTs of the same instance add the rest). Some visits here are sent that way; Collect only
  considers an instance sent once its last part got a 201, so once every client is done, every submission row
  must name a stored blob for every file its XML refers to — and no row may exist that no client sent;
- after ``flask sweep-media`` (the orphan sweep, docs/storage.md) media storage holds exactly the blobs the
  committed rows name, and the upload spool is empty. Blobs stored by a request killed before its commit are what
  the sweep exists for.
"""
from __future__ import annotations

import hashlib
import http.client
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.media.storage import blob_key
from server.models import Blob, Submission, SubmissionAttachment, SubmissionVersion
from server.services.accounts import active_collect_token
from tests.support.collect import HEADERS, multipart_body, submission_parts
from tests.support.gunicorn import Gunicorn, app_env
from tests.support.visit_form import visit_xml

pytestmark = pytest.mark.slow

CLIENTS = 12
VISITS_PER_CLIENT = 6
KILLS = 3
SEND_CHUNK = 32 * 1024
SEND_PAUSE = 0.004  # between chunks: a phone on a township's mobile network, so a kill lands mid-upload
DEADLINE = 120  # seconds for every client to finish; each restart imports the app, so a busy machine is slow


@dataclass(frozen=True)
class Visit:
    instance_id: str
    files: tuple[tuple[str, bytes], ...]
    split: bool  # sent as a split upload: one POST per file, all but the last marked *isIncomplete*
    abandoned_on_failure: bool  # the worker deletes it from the phone once sending it failed

    def hashes(self) -> set[str]:
        return {hashlib.sha256(content).hexdigest() for _, content in self.files}

    def xml(self) -> bytes:
        names = [name for name, _ in self.files] + [None]
        return visit_xml(self.instance_id, photo=names[0], photo2=names[1])

    def posts(self) -> list[bytes]:
        """The request bodies Collect sends for this instance, in order (content type fixed by the boundary)."""
        if not self.split:
            return [multipart_body(submission_parts(self.xml(), list(self.files)), BOUNDARY)[0]]
        last = len(self.files) - 1
        return [multipart_body(submission_parts(self.xml(), [file], incomplete=n < last), BOUNDARY)[0]
                for n, file in enumerate(self.files)]


BOUNDARY = "crash-safety-boundary-7f3a9c"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def make_visits(seed: int) -> list[list[Visit]]:
    """Distinct visits per client, with one or two photos of 150–450 KB (the visit form has two photo fields)."""
    rng = random.Random(seed)
    clients = []
    for client in range(CLIENTS):
        visits = []
        for number in range(VISITS_PER_CLIENT):
            count = rng.choice((1, 2, 2))
            files = tuple((f"17145589{client:02d}{number:02d}{n}.jpg",
                           b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(150_000, 450_000))) for n in range(count))
            split = count == 2 and number > 0 and rng.random() < 0.3
            visits.append(Visit(f"uuid:crash-{seed}-{client:02d}-{number:02d}", files, split,
                                abandoned_on_failure=number == 0))
        clients.append(visits)
    return clients


@dataclass
class Ledger:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: dict[str, set[str]] = field(default_factory=dict)  # instanceID → files a 201 covered
    completed: int = 0  # visits whose last POST got a 201
    abandoned: set[str] = field(default_factory=set)  # instanceIDs deleted from the phone after a failure
    halt: threading.Event = field(default_factory=threading.Event)  # the test failed: phones stop
    retries: int = 0  # connection errors and 5xx: what the kills did to the clients
    refused: list[str] = field(default_factory=list)  # any other answer: a bug

    def acknowledge(self, visit: Visit, files: list[str]) -> None:
        with self.lock:
            self.acknowledged.setdefault(visit.instance_id, set()).update(files)

    def count(self, what: str) -> None:
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)


class Phone:
    """One ODK Collect: HEAD /submission, then the multipart POST(s) of an instance, over a new connection each,
    streamed in chunks; after a connection error or a 5xx it waits and sends the whole instance again."""

    def __init__(self, port: int, base: str, visits: list[Visit], ledger: Ledger, seed: int) -> None:
        self.port, self.base, self.visits, self.ledger = port, base, visits, ledger
        self.rng = random.Random(seed)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            deadline = time.monotonic() + DEADLINE
            for visit in self.visits:
                while not self.send(visit):
                    if visit.abandoned_on_failure:
                        with self.ledger.lock:
                            self.ledger.abandoned.add(visit.instance_id)
                        break
                    if time.monotonic() > deadline or self.ledger.halt.is_set():
                        raise TimeoutError(f"{visit.instance_id} never acknowledged")
                    self.ledger.count("retries")
                    time.sleep(self.rng.uniform(0.1, 0.4))
                else:
                    self.ledger.count("completed")
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            self.error = exc

    def send(self, visit: Visit) -> bool:
        """One attempt at the whole instance; False when Collect would try again later."""
        try:
            if self.request("HEAD", b"") != 204:
                return False
            for body, files in zip(visit.posts(), self.files_per_post(visit)):
                status = self.request("POST", body)
                if status >= 500:
                    return False
                if status != 201:
                    with self.ledger.lock:
                        self.ledger.refused.append(f"{visit.instance_id}: {status}")
                    return True
                self.ledger.acknowledge(visit, files)
            return True
        except (OSError, http.client.HTTPException):
            return False  # refused, reset, cut off mid-body or mid-answer: the server died

    @staticmethod
    def files_per_post(visit: Visit) -> list[list[str]]:
        names = [name for name, _ in visit.files]
        return [[name] for name in names] if visit.split else [names]

    def request(self, method: str, body: bytes) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.putrequest(method, f"{self.base}/submission?deviceID=collect%3ACrash{id(self) % 997}")
            for name, value in HEADERS.items():
                connection.putheader(name, value)
            if method == "POST":
                connection.putheader("Content-Type", CONTENT_TYPE)
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            for start in range(0, len(body), SEND_CHUNK):
                connection.send(body[start:start + SEND_CHUNK])
                time.sleep(SEND_PAUSE)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


def kill_while_uploading(server: Gunicorn, ledger: Ledger, first: list[Visit], storage: Path,
                         rng: random.Random) -> int:
    """SIGKILL the server KILLS times and restart it after a short while with its port closed.

    The first kill lands as soon as a file of a phone's first visit is stored and not yet acknowledged: most
    likely between storing the file and committing its row — the moment that leaves an orphan blob once the
    worker deletes that visit. The others land once a seeded share of the visits is done (so uploads are under
    way, however fast the machine), plus a seeded moment.
    """
    watched = {storage / blob_key(sha256): visit.instance_id for visit in first for sha256 in visit.hashes()}
    give_up = time.monotonic() + DEADLINE / 2
    while not any(path.exists() and watched[path] not in ledger.acknowledged for path in watched):
        if all(v.instance_id in ledger.acknowledged for v in first) or time.monotonic() > give_up:
            break  # a machine too fast to catch it: the first kill lands later, as the others do
        time.sleep(0.002)
    total = len(first) * VISITS_PER_CLIENT
    thresholds = [0.0] + sorted(rng.uniform(0.2, 0.7) * total for _ in range(KILLS - 1))
    kills = 0
    for threshold in thresholds:
        while ledger.completed < threshold:
            time.sleep(0.02)
        if threshold:
            time.sleep(rng.uniform(0.0, 0.3))
        server.kill()
        kills += 1
        time.sleep(rng.uniform(0.1, 0.6))
        server.start()
    return kills


def test_acknowledged_visits_survive_sigkill_whole_and_nothing_else_remains(app, worker, tmp_path, runner):
    seed = 20261128
    clients = make_visits(seed)
    sent = {visit.instance_id: visit for visits in clients for visit in visits}
    env = {**app_env(app), "LASTMETER_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}
    server = Gunicorn({**env, "GUNICORN_THREADS": "8"}, tmp_path / "gunicorn.log", workers=1)
    server.start()
    ledger = Ledger()
    base = f"/key/{active_collect_token(worker).token}"
    phones = [Phone(server.port, base, visits, ledger, seed + n) for n, visits in enumerate(clients)]
    threads = [threading.Thread(target=phone.run, name=f"phone-{n}", daemon=True) for n, phone in enumerate(phones)]
    try:
        for thread in threads:
            thread.start()
        kills = kill_while_uploading(server, ledger, [visits[0] for visits in clients],
                                     Path(app.config["MEDIA_ROOT"]), random.Random(seed))
        for thread in threads:
            thread.join(DEADLINE + 30)
    finally:
        ledger.halt.set()
        server.stop()
    log = server.log.read_text(errors="replace")[-3000:]
    assert [p.error for p in phones if p.error] == [], log
    assert ledger.refused == [], log
    assert kills == KILLS and ledger.retries >= KILLS  # the kills really cut requests off
    assert ledger.completed + len(ledger.abandoned) == len(sent)
    assert set(ledger.acknowledged) == set(sent) - ledger.abandoned

    db.session.rollback()
    assert_every_acknowledged_visit_is_stored_once_and_whole(sent, ledger.acknowledged)
    assert_no_other_or_half_written_row(sent, ledger.acknowledged)
    assert_sweep_leaves_exactly_the_committed_blobs(app, runner)


def assert_every_acknowledged_visit_is_stored_once_and_whole(sent: dict[str, Visit],
                                                             acknowledged: dict[str, set[str]]) -> None:
    storage = app_storage()
    for instance_id, files in acknowledged.items():
        assert db.session.scalar(select(func.count()).select_from(Submission)
                                 .where(Submission.instance_id == instance_id)) == 1, instance_id
        versions = db.session.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == instance_id))
        (version,) = versions.all()
        stored = {a.name: a.blob_sha256 for a in version.attachments}
        for name, content in sent[instance_id].files:
            if name not in files:
                continue
            sha256 = hashlib.sha256(content).hexdigest()
            assert stored[name] == sha256, (instance_id, name)
            blob = db.session.get(Blob, sha256)
            assert blob is not None and blob.size == len(content) and blob.md5 == hashlib.md5(content).hexdigest()
            with storage.open(sha256) as stream:
                assert hashlib.sha256(stream.read()).hexdigest() == sha256, (instance_id, name)


def assert_no_other_or_half_written_row(sent: dict[str, Visit], acknowledged: dict[str, set[str]]) -> None:
    """A visit deleted from the phone may have been committed before the kill cut off its 201: then it is there,
    and whole (it was sent in one POST)."""
    present = set(db.session.scalars(select(Submission.instance_id)))
    assert set(acknowledged) <= present <= set(sent)
    assert db.session.scalar(select(func.count()).select_from(SubmissionVersion)) == len(present)
    missing = db.session.scalars(select(SubmissionAttachment.name).where(SubmissionAttachment.blob_sha256.is_(None)))
    assert missing.all() == []  # every instance's last part was acknowledged: nothing is still to come
    attachments = db.session.scalar(select(func.count()).select_from(SubmissionAttachment))
    assert attachments == sum(len(sent[instance_id].files) for instance_id in present)
    named = set(db.session.scalars(select(SubmissionAttachment.blob_sha256)))
    assert set(db.session.scalars(select(Blob.sha256))) == named  # no blob row that no attachment names


def assert_sweep_leaves_exactly_the_committed_blobs(app, runner) -> None:
    storage = app_storage()
    rows = set(db.session.scalars(select(Blob.sha256)))
    db.session.rollback()
    before = stored_files(storage)
    assert rows <= before  # a committed row's file is never missing
    result = runner.invoke(args=["sweep-media", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert f"removed {len(before - rows)} orphan blob(s)" in result.output
    assert stored_files(storage) == rows
    assert list(storage.tmp.glob("*")) == []


def app_storage():
    from server.media import media_storage

    return media_storage()


def stored_files(storage) -> set[str]:
    return {path.name for path in (storage.root / "blobs").rglob("*") if path.is_file()}
