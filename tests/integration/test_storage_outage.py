"""File storage away or full (docs/deploy.md, "When things break"):

- the bucket stops answering (moto's S3 server stopped, then started again on the same address): a visit with a
  photo gets ``503`` with ``Retry-After`` in OpenRosa XML and nothing is committed that names a file the bucket does
  not hold; downloads fail with ``503`` and recover; ``/healthz`` says ``storage``; Collect's retry then stores it;
- the disk is full (the real server's file size limit, RLIMIT_FSIZE, lowered under a photo's size): ``507`` with
  a message the worker can act on, no partial file left; once space returns the same submission is stored.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from server.extensions import db
from server.models import Blob, Submission, SubmissionAttachment
from tests.support.gunicorn import Gunicorn, app_env
from tests.support.visit_form import visit_xml


def jpeg(seed: int, size: int = 400) -> bytes:
    buffer = BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3) if seed else bytes(size * size * 3)) \
        .save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


# --- the bucket away ----------------------------------------------------------------------------------------

@pytest.fixture
def own_s3():
    """A bucket server of this test's own, so stopping it disturbs no other test."""
    from tests.support.s3 import start_s3_server

    server = start_s3_server()
    yield server
    server.stop()


@pytest.fixture
def media_config(request, own_s3):
    if "bucket" not in request.node.name:
        return {}
    return {**own_s3.app_config(own_s3.create_bucket()), "MEDIA_DOWNLOADS": "proxy"}


def _restart_on_same_address(own_s3) -> None:
    from moto.server import ThreadedMotoServer

    host, port = own_s3.endpoint_url.rsplit("/", 1)[1].split(":")
    own_s3.server = ThreadedMotoServer(ip_address=host, port=int(port), verbose=False)
    own_s3.server.start()  # moto keeps its buckets in the process: they are all still there


def test_the_bucket_away_answers_503_keeps_nothing_half_and_recovers(app, client, collect, make_user, own_s3):
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    token = client.post("/api/v1/sessions", json={"username": "wuhua", "password": "Wuhua-pass-1"}).json["token"]
    county = {"Authorization": f"Bearer {token}"}
    before = jpeg(1)
    assert collect.submit(visit_xml("uuid:s3-before", photo="a.jpg"), [("a.jpg", before)]).status_code == 201
    assert client.get("/healthz").json["problems"] == []

    own_s3.stop()
    try:
        during = jpeg(2)
        refused = collect.submit(visit_xml("uuid:s3-during", photo="b.jpg"), [("b.jpg", during)])
        download = client.get("/api/v1/submissions/uuid:s3-before/attachments/a.jpg", headers=county)
        health = client.get("/healthz")
    finally:
        _restart_on_same_address(own_s3)
    assert refused.status_code == 503, refused.data
    assert refused.headers["Retry-After"] == "30" and b"<OpenRosaResponse" in refused.data
    assert "文件存储不可用" in refused.get_data(as_text=True)
    assert download.status_code == 503 and download.json["code"] == "503.2"
    assert health.status_code == 200 and health.json["status"] == "degraded" and health.json["problems"] == ["storage"]
    db.session.remove()
    assert db.session.scalar(select(func.count()).where(Submission.instance_id == "uuid:s3-during")) == 0
    # every file a committed row names is in the bucket: nothing names one it does not hold
    keys = set(own_s3.list_keys(app.config["S3_BUCKET"]))
    assert all(any(key.endswith(sha) for key in keys) for sha in db.session.scalars(select(Blob.sha256)))

    # Back: Collect's retry stores it, and downloads work again.
    again = collect.submit(visit_xml("uuid:s3-during", photo="b.jpg"), [("b.jpg", during)])
    assert again.status_code == 201, again.data
    response = client.get("/api/v1/submissions/uuid:s3-during/attachments/b.jpg", headers=county)
    assert response.status_code == 200 and response.get_data() == during
    assert client.get("/healthz").json["problems"] == []


# --- the disk full ------------------------------------------------------------------------------------------

def test_a_full_disk_answers_507_leaves_no_partial_file_and_recovers(app, worker, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the server's file size limit would stop SQLite's own file too")
    from server.services.accounts import active_collect_token

    token = active_collect_token(worker).token
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **app_env(app), "LASTMETER_JOBS_URL": "memory://"}
    photo = jpeg(3, 900)  # about 1 MB
    assert len(photo) > 700_000
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=1)
    server.start()
    url = f"{server.url}/key/{token}"
    try:
        limit(server, 512 * 1024)  # no file of the server's may grow past 512 KB: the photo does not fit
        status, headers, body = _post(url, visit_xml("uuid:disk-full", photo="big.jpg"), photo)
        limit(server, "unlimited")
        assert status == 507, body[:500]
        assert "存储空间已满".encode() in body and b"<OpenRosaResponse" in body and headers.get("Retry-After")
        assert list((Path(app.config["MEDIA_ROOT"]) / "tmp").glob("*")) == []  # the partial upload is gone
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
        assert db.session.scalar(select(func.count()).select_from(Blob)) == 0
        status, _, body = _post(url, visit_xml("uuid:disk-full", photo="big.jpg"), photo)  # space is back
        assert status == 201, body[:500]
    finally:
        server.stop()
    db.session.remove()
    stored = db.session.scalars(select(SubmissionAttachment.blob_sha256)).all()
    assert stored == [hashlib.sha256(photo).hexdigest()]


def limit(server: Gunicorn, size) -> None:
    """Set the largest file every process of the server may write (RLIMIT_FSIZE), as a full disk stops writes."""
    pids = [str(server.process.pid)] + subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True,
                                                      text=True).stdout.split()
    for pid in pids:
        subprocess.run(["prlimit", f"--pid={pid}", f"--fsize={size}:"], check=True)  # the soft limit: it can go back up


def _post(url: str, xml: bytes, photo: bytes):
    from tests.support.collect import post_submission

    return post_submission(url, xml, [("big.jpg", photo)])
