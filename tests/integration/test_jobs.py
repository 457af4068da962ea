"""The job queue: two worker processes claiming from one shared backend (a SQLite file on one machine, a
PostgreSQL database across machines) run every job exactly once; jobs wait for their transaction."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from server import create_app
from server.extensions import db
from server.jobs import after_commit
from tests.conftest import _test_config

ROOT = Path(__file__).parents[2]
JOBS = 240


@pytest.fixture(params=["sqlite", "postgresql"])
def jobs_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"jobs_{uuid.uuid4().hex[:8]}")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "jobs-worker", "--threads", "2"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def test_two_workers_run_every_job_exactly_once(jobs_url, tmp_path):
    config = {**_test_config(f"sqlite:///{tmp_path / 'app.sqlite3'}", tmp_path / "media"), "JOBS_URL": jobs_url}
    app = create_app(config)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **{f"LASTMETER_{k}": str(v) for k, v in config.items()}}
    marker = tmp_path / "ran.log"
    workers = [start_worker(env, tmp_path / f"worker{i}.log") for i in (1, 2)]
    try:
        ping = app.extensions["job_tasks"]["ping"]
        for number in range(JOBS):
            ping(str(marker), f"job{number}", 0.01)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if marker.exists() and len(marker.read_text().splitlines()) >= JOBS:
                break
            assert all(w.poll() is None for w in workers), [(tmp_path / f"worker{i}.log").read_text() for i in (1, 2)]
            time.sleep(0.2)
        time.sleep(1)  # a job run twice would show up here
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    lines = [line.split() for line in marker.read_text().splitlines()]
    tags = [tag for tag, _ in lines]
    assert len(tags) == JOBS and set(tags) == {f"job{n}" for n in range(JOBS)}  # none lost, none run twice
    assert {pid for _, pid in lines} == {str(w.pid) for w in workers}  # both workers took a share
    app.extensions["jobs"].storage.close()
    with app.app_context():
        db.engine.dispose()


def test_a_job_is_queued_only_when_its_transaction_commits(app, tmp_path):
    marker = tmp_path / "ran.log"
    after_commit("ping", str(marker), "rolled-back")
    db.session.rollback()
    db.session.commit()
    assert not marker.exists()
    after_commit("ping", str(marker), "committed")
    assert not marker.exists()  # queued at commit, not before
    db.session.commit()
    assert marker.read_text().split()[0] == "committed"  # memory:// runs it at once


def test_a_savepoint_neither_sends_nor_drops_the_jobs_of_its_transaction(app, tmp_path):
    """SQLAlchemy reports a released SAVEPOINT as a commit: the job must still wait for the real one (sent early,
    ``memory://`` would run it against rows not committed yet, and on SQLite wait for the writer it is part of)."""
    from sqlalchemy import text

    marker = tmp_path / "ran.log"
    after_commit("ping", str(marker), "outer")
    with db.session.begin_nested():
        db.session.execute(text("SELECT 1"))
    assert not marker.exists()
    try:
        with db.session.begin_nested():
            raise ValueError("a savepoint rolled back")
    except ValueError:
        pass
    assert not marker.exists()
    db.session.commit()
    assert marker.read_text().split()[0] == "outer"


def test_unknown_jobs_are_refused(app):
    with pytest.raises(KeyError):
        after_commit("no-such-job")


def test_jobs_ping_reports_a_running_worker(runner):
    result = runner.invoke(args=["jobs-ping", "--wait", "5"])
    assert result.exit_code == 0 and "ran ping" in result.output


def test_a_photo_gets_its_thumbnails_from_a_job_once_the_visit_is_committed(app, collect):
    import hashlib
    from io import BytesIO

    from PIL import Image

    from server.media import media_storage
    from tests.support.visit_form import visit_xml

    out = BytesIO()
    Image.new("RGB", (1600, 1200), (200, 120, 40)).save(out, format="JPEG")
    photo = out.getvalue()
    sha256 = hashlib.sha256(photo).hexdigest()
    storage = media_storage()
    assert storage.open_derived(f"{sha256}-240.jpg") is None
    assert collect.submit(visit_xml("uuid:thumb-1"), [("1714558951234.jpg", photo)]).status_code == 201
    for size in (240, 640):
        made = storage.open_derived(f"{sha256}-{size}.jpg")
        assert made is not None, size
        with made, Image.open(made) as thumb:
            assert max(thumb.size) == size


def test_the_periodic_sweep_removes_only_old_abandoned_uploads(app):
    import time as clock

    from server.jobs import sweep_uploads
    from server.media import media_storage

    storage = media_storage()
    old, fresh = storage.new_upload(), storage.new_upload()
    for upload in (old, fresh):
        upload.write(b"half a photo")
        upload.close()
    long_ago = clock.time() - 2 * 3600
    os.utime(old.path, (long_ago, long_ago))
    assert "sweep-uploads" in app.extensions["job_tasks"]
    assert sweep_uploads() == 1
    assert not old.path.exists() and fresh.path.exists()
    fresh.discard()



class TestAThumbnailJobLostWithItsWorker:
    """A queue removes a job when a worker takes it: a worker killed in the middle loses it. The photo's
    ``image_check`` stays empty until the job finishes, and the ``inspect-photos`` sweep takes such photos up."""

    @pytest.fixture
    def media_config(self, tmp_path):
        return {"JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}  # a real queue, no worker reading it

    def test_is_redone_by_the_sweep(self, app, collect):
        from datetime import datetime, timedelta, timezone

        from sqlalchemy import select

        from server.jobs import inspect_photos
        from server.models import Blob, Submission
        from tests.support.visit_form import visit_xml

        broken = b"\xff\xd8\xff\xe0" + b"not really a picture" * 500  # a JPEG's start, then nothing decodable
        assert collect.submit(visit_xml("uuid:lost-job"), [("1714558951234.jpg", broken)]).status_code == 201
        queue = app.extensions["jobs"]
        assert queue.pending_count() == 1
        claimed = queue.dequeue()  # what a worker does when it takes the job — and then it is killed
        assert claimed.name == "thumbnails" and queue.pending_count() == 0
        blob = db.session.scalar(select(Blob))
        assert blob.image_check is None
        assert inspect_photos() == 0  # too fresh: its job may still be running
        blob.created_at = datetime.now(timezone.utc) - timedelta(minutes=5)
        db.session.commit()
        assert inspect_photos() == 1
        db.session.remove()
        assert db.session.scalar(select(Blob.image_check)) == "unreadable"
        assert "image_unreadable" in db.session.scalar(select(Submission.flags))
        assert inspect_photos() == 0  # done once


def test_a_periodic_job_runs_once_a_period_whichever_workers_ask(app):
    """Every worker's scheduler queues each periodic job; two workers (threads here, each with its own connection
    to the shared database) asking at the same moment run it once, and again in the next period."""
    import threading

    from server.jobs import _in_app_context, once_per_period

    ran: list[int] = []
    now = [1_800_000_000.0]
    job = _in_app_context(app, once_per_period("test-sweep", 1, lambda: ran.append(1) or len(ran),
                                               clock=lambda: now[0]))
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    for period in range(3):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert len(ran) == period + 1, period
        now[0] += 60 if period else 30  # half a period later is still the same period: the second round moves on
        if period == 0:
            job()
            assert len(ran) == 1
            now[0] += 30
