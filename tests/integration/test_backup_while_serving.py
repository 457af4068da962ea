"""A backup taken while the real server receives visits with photos, restored into a new database and media
folder (docs/deploy.md, "Backups and restore"): every visit acknowledged before the backup began is there with its
photo, no restored row names a file the restored storage lacks, and the restored server serves Collect at once —
the same phone, the same token, a retry of a restored visit recognised, a new visit stored. On both databases."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from server import create_app
from server.extensions import db
from server.media import media_storage
from server.models import Blob, Submission, SubmissionAttachment, SubmissionVersion
from server.services.accounts import active_collect_token
from tests.conftest import _test_config
from tests.support.collect import post_submission
from tests.support.gunicorn import app_env, gunicorn
from tests.support.visit_form import visit_xml

ROOT = Path(__file__).parents[2]


@pytest.fixture
def target_url(database_url, request, tmp_path):
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    return request.getfixturevalue("postgres_cluster").create_database(f"restored_{uuid.uuid4().hex[:8]}")


def _post(url: str, instance: str, photo: bytes) -> int:
    return post_submission(url, visit_xml(instance, photo="p.jpg"), [("p.jpg", photo)])[0]


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "server", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_backup_taken_while_serving_restores_every_acknowledged_visit(app, worker, tmp_path, target_url):
    token = active_collect_token(worker).token
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **app_env(app), "LASTMETER_JOBS_URL": "memory://"}
    acknowledged: dict[str, tuple[float, bytes]] = {}  # instance → (when its 201 came, photo)
    stop = threading.Event()
    errors: list[str] = []

    def phone(number: int) -> None:
        sent = 0
        while not stop.is_set():
            sent += 1
            instance, photo = f"uuid:{number}-{sent}-{uuid.uuid4()}", os.urandom(32 * 1024)
            status = _post(url, instance, photo)
            if status == 201:
                acknowledged[instance] = (time.monotonic(), photo)
            else:
                errors.append(f"{instance}: {status}")

    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        url = f"{server.url}/key/{token}"
        phones = [threading.Thread(target=phone, args=(n,), daemon=True) for n in range(3)]
        for thread in phones:
            thread.start()
        while len(acknowledged) < 15:
            time.sleep(0.05)
        began = time.monotonic()
        backup = _flask(env, "backup", "--out", str(tmp_path / "backup"))  # while the phones keep sending
        time.sleep(0.5)
        stop.set()
        for thread in phones:
            thread.join(60)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert errors == []
    before = {instance for instance, (when, _) in acknowledged.items() if when < began}
    assert len(before) >= 15 and len(acknowledged) > len(before)  # visits kept arriving during the backup

    restored_env = {**env, "LASTMETER_DATABASE_URL": target_url, "LASTMETER_MEDIA_ROOT": str(tmp_path / "restored")}
    restore = _flask(restored_env, "restore", str(tmp_path / "backup"))
    assert restore.returncode == 0, restore.stdout + restore.stderr
    restored = create_app(_test_config(target_url, tmp_path / "restored"))
    with restored.app_context():
        stored = set(db.session.scalars(select(Submission.instance_id)))
        assert before <= stored <= set(acknowledged)
        storage = media_storage()
        for instance in stored:  # every restored visit has its photo, byte for byte
            sha256 = db.session.scalar(
                select(SubmissionAttachment.blob_sha256)
                .join(SubmissionVersion, SubmissionVersion.id == SubmissionAttachment.version_id)
                .join(Submission, Submission.id == SubmissionVersion.submission_id)
                .where(Submission.instance_id == instance))
            with storage.open(sha256) as stream:
                assert stream.read() == acknowledged[instance][1]
        for sha256 in db.session.scalars(select(Blob.sha256)):
            assert storage.exists(sha256)
        db.session.remove()
        db.engine.dispose()

    with gunicorn(restored_env, tmp_path / "restored.log", workers=2) as server:  # serves Collect at once
        url = f"{server.url}/key/{token}"
        some = sorted(before)[0]
        assert _post(url, some, acknowledged[some][1]) == 201  # a phone's retry of a restored visit
        photo = os.urandom(32 * 1024)
        assert _post(url, "uuid:after-restore", photo) == 201
    with restored.app_context():
        assert db.session.scalar(select(Submission.id).where(Submission.instance_id == "uuid:after-restore"))
        assert media_storage().exists(hashlib.sha256(photo).hexdigest())
        db.session.remove()
        db.engine.dispose()
