"""Whether a photo can be shown is found by the thumbnail job, not while ODK Collect waits: the request stores the
file and answers; the job decodes it once (as it must for the thumbnails), keeps the answer on the stored file and
flags every visit holding a photo that cannot be shown. A later visit with the same photo is flagged at once."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.media import media_storage
from server.models import Blob, Submission
from server.services.media import inspect_photo
from tests.support.visit_form import visit_xml


@pytest.fixture
def media_config(tmp_path):
    """A real queue nobody works: jobs wait in it, and the test runs them when it chooses."""
    return {"JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}


def truncated_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()[:200]


def flags_of(instance_id: str) -> list[str]:
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.instance_id == instance_id))
    return submission.flags or []


def waiting_jobs(app) -> list[tuple]:
    return [tuple(task.args) for task in app.extensions["jobs"].pending() if task.name == "thumbnails"]


def test_the_request_stores_the_photo_and_the_job_finds_it_cannot_be_shown(app, collect):
    broken = truncated_png()
    assert collect.submit(visit_xml("uuid:p1", photo="a.png"), [("a.png", broken)]).status_code == 201
    blob = db.session.scalar(select(Blob))
    assert blob.image_check is None and flags_of("uuid:p1") == []  # nothing decoded while Collect waited
    assert waiting_jobs(app) == [(blob.sha256,)]

    assert inspect_photo(blob.sha256, media_storage()) == 0  # the job: no thumbnails of a broken picture
    db.session.commit()
    assert blob.image_check == "unreadable" and flags_of("uuid:p1") == ["image_unreadable"]
    assert inspect_photo(blob.sha256, media_storage()) == 0  # run again (a retry): nothing changes
    db.session.commit()
    assert flags_of("uuid:p1") == ["image_unreadable"]

    # The same bytes in another visit: known already, flagged in the request, no second job.
    assert collect.submit(visit_xml("uuid:p2", photo="b.png"), [("b.png", broken)]).status_code == 201
    assert flags_of("uuid:p2") == ["image_unreadable"] and waiting_jobs(app) == [(blob.sha256,)]


def test_a_photo_stored_before_but_not_yet_checked_is_checked_for_the_new_visit_too(app, collect):
    broken = truncated_png()
    assert collect.submit(visit_xml("uuid:q1", photo="a.png"), [("a.png", broken)]).status_code == 201
    sha256 = db.session.scalar(select(Blob.sha256))
    # The second visit arrives before the job ran: it asks for the job again, which then flags both.
    assert collect.submit(visit_xml("uuid:q2", photo="b.png"), [("b.png", broken)]).status_code == 201
    assert waiting_jobs(app) == [(sha256,), (sha256,)]
    inspect_photo(sha256, media_storage())
    db.session.commit()
    assert flags_of("uuid:q1") == flags_of("uuid:q2") == ["image_unreadable"]


def test_a_good_photo_gets_its_thumbnails_and_a_file_that_is_no_picture_is_left_alone(app, collect):
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 160, 200)).save(out, format="JPEG")
    assert collect.submit(visit_xml("uuid:r1", photo="a.jpg"), [("a.jpg", out.getvalue())]).status_code == 201
    sha256 = db.session.scalar(select(Blob.sha256))
    assert inspect_photo(sha256, media_storage()) == 2  # the list's and the detail page's
    db.session.commit()
    assert db.session.get(Blob, sha256).image_check == "ok" and flags_of("uuid:r1") == []
    html = b"<html><body>not a photo</body></html>" * 10
    assert collect.submit(visit_xml("uuid:r2", photo="b.jpg"), [("b.jpg", html)]).status_code == 201
    other = db.session.scalar(select(Blob.sha256).where(Blob.sha256 != sha256))
    assert inspect_photo(other, media_storage()) == 0
    db.session.commit()
    assert db.session.get(Blob, other).image_check == "not_image" and flags_of("uuid:r2") == ["type_mismatch"]
