"""The orphan-media sweep through the app: `flask sweep-media` and the hourly job remove what a process killed
between storing a file and committing its row left behind, and nothing a committed submission names."""
import os
import time

from server.media import media_storage
from tests.support.visit_form import visit_xml

PHOTO = b"\xff\xd8\xff\xe0" + b"committed photo" * 100


def leave_orphan(content: bytes, age_seconds: float = 0) -> str:
    """What a killed request leaves: the blob stored, its row never committed."""
    storage = media_storage()
    upload, _ = storage.store_bytes(content)
    if age_seconds:
        then = time.time() - age_seconds
        os.utime(storage.path_of(upload.sha256), (then, then))
    return upload.sha256


def test_sweep_media_removes_orphans_and_abandoned_uploads_but_no_committed_file(collect, runner):
    assert collect.submit(visit_xml("uuid:sweep-1"), [("1714558951234.jpg", PHOTO)]).status_code == 201
    storage = media_storage()
    committed = next(p.name for p in (storage.root / "blobs").rglob("*") if p.is_file())
    orphan = leave_orphan(b"photo of a killed request")
    abandoned = storage.new_upload()
    abandoned.write(b"half a photo")
    abandoned.close()

    result = runner.invoke(args=["sweep-media"])  # default grace: an hour, so fresh files may be in flight
    assert result.exit_code == 0, result.output
    assert "removed 0 orphan blob(s) and 0 abandoned upload(s)" in result.output
    assert storage.exists(orphan) and abandoned.path.exists()

    result = runner.invoke(args=["sweep-media", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert f"removed orphan blob {orphan}" in result.output
    assert "removed 1 orphan blob(s) and 1 abandoned upload(s)" in result.output
    assert not storage.exists(orphan) and not abandoned.path.exists()
    assert storage.exists(committed)
    assert collect.submit(visit_xml("uuid:sweep-1"), [("1714558951234.jpg", PHOTO)]).status_code == 201


def test_sweep_media_refuses_a_negative_grace_period(app, runner):
    result = runner.invoke(args=["sweep-media", "--older-than", "-1"])
    assert result.exit_code == 2 and "-1" in result.output


def test_the_hourly_job_sweeps_only_orphans_older_than_an_hour(app):
    from server.jobs import sweep_media

    old, fresh = leave_orphan(b"old orphan", age_seconds=2 * 3600), leave_orphan(b"fresh orphan")
    assert "sweep-media" in app.extensions["job_tasks"]
    assert sweep_media() == 1
    assert not media_storage().exists(old) and media_storage().exists(fresh)


def test_a_photo_a_killed_request_left_is_adopted_by_the_retry_and_gets_its_thumbnails(collect):
    """Collect resends the files of a request the server died in: the retry finds the blob stored, with no row,
    and must commit the row and warm the thumbnails as for any new photo."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (800, 600), (40, 120, 200)).save(out, format="JPEG")
    sha256 = leave_orphan(out.getvalue(), age_seconds=2 * 3600)
    assert collect.submit(visit_xml("uuid:sweep-2"), [("1714558951234.jpg", out.getvalue())]).status_code == 201
    storage = media_storage()
    assert storage.derived_exists(f"{sha256}-240.jpg")
    assert time.time() - storage.path_of(sha256).stat().st_mtime < 600  # its age refreshed: the sweep spares it
