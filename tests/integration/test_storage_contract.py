"""One contract, two backends: the local folder and an S3-compatible bucket (moto's server on
loopback, spoken to over HTTP) must behave alike in everything the app asks of media storage."""
import hashlib
import os
import time
import urllib.request
from pathlib import Path

import pytest

from server.extensions import db
from server.media import discard_new_blobs, keep_new_blobs, note_new_blob
from server.media.s3 import S3Storage
from server.media.storage import CHUNK, LocalStorage, SignsUrls, StorageError
from server.models import Blob

MB = 1024 * 1024
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 2000


@pytest.fixture(params=("local", "s3"))
def storage(request, tmp_path):
    if request.param == "local":
        yield LocalStorage(str(tmp_path / "media"))
        return
    server = request.getfixturevalue("s3_server")
    s3 = S3Storage(server.settings(server.create_bucket(), prefix="lastmeter/"), spool=str(tmp_path / "spool"))
    yield s3
    s3.close()


@pytest.fixture
def s3_storage(s3_server, tmp_path):
    s3 = S3Storage(s3_server.settings(s3_server.create_bucket()), spool=str(tmp_path / "spool"))
    yield s3
    s3.close()


def store(storage, data: bytes) -> tuple[str, bool]:
    upload = storage.new_upload()
    upload.write(data)
    return upload.sha256, storage.store(upload)


def read(storage, sha256: str) -> bytes:
    with storage.open(sha256) as stream:
        return stream.read()


def spooled(storage) -> list[Path]:
    return list(storage.tmp.glob("*")) if storage.tmp.exists() else []


def stored_blobs(request, storage) -> list[str]:
    """The blobs the backend really holds, looked at from outside it."""
    if isinstance(storage, LocalStorage):
        return sorted(p.name for p in (storage.root / "blobs").rglob("*") if p.is_file())
    keys = request.getfixturevalue("s3_server").list_keys(storage.bucket)
    return sorted(key.rsplit("/", 1)[1] for key in keys if key.startswith(f"{storage.prefix}blobs/"))


def test_stored_bytes_read_back_and_the_spool_is_left_empty(storage):
    sha256, created = store(storage, JPEG)
    assert created and sha256 == hashlib.sha256(JPEG).hexdigest()
    assert read(storage, sha256) == JPEG
    assert storage.read_head(sha256, 4) == b"\xff\xd8\xff\xe0"
    assert spooled(storage) == []


def test_a_12_mb_file_is_stored_whole_and_streams_back_byte_for_byte(storage, request):
    data = os.urandom(12 * MB)
    sha256, created = store(storage, data)
    assert created
    digest = hashlib.sha256()
    with storage.open(sha256) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    assert digest.hexdigest() == sha256
    if isinstance(storage, S3Storage):  # went up in two 8 MB parts: a multipart ETag ends in "-2"
        with request.getfixturevalue("s3_server").client() as client:
            assert client.head_object(Bucket=storage.bucket, Key=storage.key_of(sha256))["ETag"].endswith('-2"')


def test_an_opened_blob_seeks_like_a_local_file(storage):
    data = os.urandom(3 * MB)  # past the read buffer: a seek there cannot be served from it
    sha256, _ = store(storage, data)
    with storage.open(sha256) as stream:
        assert stream.read(16) == data[:16]
        stream.seek(0)
        assert stream.read(16) == data[:16] and stream.tell() == 16
        stream.seek(2 * MB + 5)
        assert stream.read(100) == data[2 * MB + 5:2 * MB + 105]
        stream.seek(-4, os.SEEK_END)
        assert stream.read() == data[-4:] and stream.read(1) == b""
        stream.seek(10)
        assert stream.read() == data[10:]


def test_storing_the_same_content_twice_returns_false_and_keeps_one_blob(storage, request):
    sha256, first = store(storage, JPEG)
    again, second = store(storage, JPEG)
    assert (first, second) == (True, False) and again == sha256
    assert stored_blobs(request, storage) == [sha256]
    assert spooled(storage) == []


def test_empty_file_is_a_blob_too(storage):
    sha256, created = store(storage, b"")
    assert created and read(storage, sha256) == b"" and storage.read_head(sha256, 32) == b""


def test_exists_and_delete(storage, request):
    sha256, _ = store(storage, JPEG)
    assert storage.exists(sha256)
    storage.delete(sha256)
    assert not storage.exists(sha256) and stored_blobs(request, storage) == []
    storage.delete(sha256)  # deleting what is gone is not an error


def test_a_missing_blob_is_a_storage_error(storage):
    missing = "0" * 64
    with pytest.raises(StorageError) as caught:
        storage.open(missing)
    assert caught.value.code == "500.3" and missing in caught.value.message("en")
    with pytest.raises(StorageError):
        storage.read_head(missing, 32)
    assert not storage.exists(missing)


@pytest.mark.parametrize("name", ["../../etc/passwd", "A" * 64, "0" * 63, "0" * 64 + "/x", "", "0" * 64 + "\n"])
def test_invalid_blob_names_are_refused(storage, name):
    for call in (storage.open, storage.exists, storage.delete, lambda n: storage.read_head(n, 32)):
        with pytest.raises(StorageError):
            call(name)


@pytest.mark.parametrize("name", ["x.jpg", "../" + "0" * 64 + "-240.jpg", "0" * 64 + "-240.JPG",
                                  "0" * 64 + "-240", "0" * 64 + "-240.jpg/../../x"])
def test_invalid_derived_names_are_refused(storage, name):
    for call in (storage.open_derived, storage.derived_exists, lambda n: storage.store_derived(n, b"x")):
        with pytest.raises(StorageError):
            call(name)


def test_derived_files_are_kept_beside_their_blob(storage):
    sha256, _ = store(storage, JPEG)
    name = f"{sha256}-240.jpg"
    assert storage.open_derived(name) is None and not storage.derived_exists(name)
    storage.store_derived(name, b"thumbnail")
    assert storage.derived_exists(name)
    with storage.open_derived(name) as stream:
        assert stream.read() == b"thumbnail"
    storage.store_derived(name, b"thumbnail, made again")  # a second maker simply replaces it
    with storage.open_derived(name) as stream:
        assert stream.read() == b"thumbnail, made again"


def test_a_failed_requests_new_blobs_are_deleted_and_a_successful_ones_kept(storage, app):
    app.extensions["media"] = storage
    with app.test_request_context():
        kept, _ = store(storage, b"committed photo")
        note_new_blob(kept)
        keep_new_blobs()
        old, _ = store(storage, JPEG)
    with app.test_request_context():
        new, created = store(storage, b"photo of a request that then failed")
        note_new_blob(new)
        _, again = store(storage, JPEG)  # already there before this request: not this request's to delete
        assert created and not again
        discard_new_blobs()
    assert not storage.exists(new)
    assert storage.exists(kept) and storage.exists(old)


def test_a_failed_request_leaves_a_file_another_request_has_committed(storage, app):
    """Two phones send the same new photo at once: one request fails, the other has committed its row."""
    app.extensions["media"] = storage
    with app.test_request_context():
        shared, created = store(storage, b"the same photo from two phones")
        note_new_blob(shared)
        db.session.add(Blob(sha256=shared, md5="0" * 32, size=30))  # the other request's committed row
        db.session.commit()
        discard_new_blobs()
    assert created and storage.exists(shared)


def test_abandoned_uploads_are_swept(storage):
    abandoned = storage.new_upload()
    abandoned.write(b"half a photo")
    abandoned.close()
    fresh = storage.new_upload()
    hour_ago = time.time() - 3601
    os.utime(abandoned.path, (hour_ago, hour_ago))
    assert storage.sweep_temporary() == 1
    assert spooled(storage) == [fresh.path]
    fresh.discard()


def test_only_the_bucket_signs_urls():
    assert issubclass(S3Storage, SignsUrls) and not issubclass(LocalStorage, SignsUrls)


def test_a_signed_url_serves_the_bytes_as_the_type_and_name_given(s3_storage):
    sha256, _ = store(s3_storage, JPEG)
    url = s3_storage.signed_url(sha256, "入户照片.jpg", "image/jpeg", 300)
    assert "X-Amz-Expires=300" in url and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url) as response:
        assert response.status == 200 and response.read() == JPEG
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["Content-Disposition"] == (
            "inline; filename=\".jpg\"; filename*=UTF-8''%E5%85%A5%E6%88%B7%E7%85%A7%E7%89%87.jpg")


def test_a_signed_url_of_a_derived_file(s3_storage):
    sha256, _ = store(s3_storage, JPEG)
    s3_storage.store_derived(f"{sha256}-240.jpg", b"thumbnail")
    url = s3_storage.signed_derived_url(f"{sha256}-240.jpg", "240-a.jpg", "image/jpeg", 60)
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"thumbnail" and response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["Content-Disposition"] == 'inline; filename="240-a.jpg"'


def test_a_bucket_that_fails_is_a_storage_error_and_leaves_no_upload_behind(s3_server, tmp_path):
    s3 = S3Storage(s3_server.settings("lastmeter-no-such-bucket"), spool=str(tmp_path / "spool"))
    try:
        with pytest.raises(StorageError) as caught:
            store(s3, JPEG)
        assert "NoSuchBucket" in caught.value.message("en")
        assert spooled(s3) == []
    finally:
        s3.close()


def test_the_secret_key_never_shows_in_the_settings_repr(s3_server):
    assert "lastmeter-test-secret" not in repr(s3_server.settings("lastmeter-any"))


def known_of(*names: str):
    """What the ``blob`` table would answer: which of a batch of names have a committed row."""
    return lambda batch: set(batch) & set(names)


def test_orphan_blobs_past_the_grace_period_are_swept_with_their_thumbnails(storage, request):
    kept, _ = store(storage, b"a photo whose row was committed")
    orphan, _ = store(storage, JPEG)  # stored, then the process died before its row was committed
    storage.store_derived(f"{orphan}-240.jpg", b"thumbnail")
    storage.store_derived(f"{kept}-240.jpg", b"thumbnail")
    assert storage.sweep_orphans(known_of(kept), older_than_seconds=3600) == []  # could be a request in flight
    assert stored_blobs(request, storage) == sorted([kept, orphan])
    assert storage.sweep_orphans(known_of(kept), older_than_seconds=0) == [orphan]
    assert stored_blobs(request, storage) == [kept]
    assert not storage.derived_exists(f"{orphan}-240.jpg") and storage.derived_exists(f"{kept}-240.jpg")
    assert storage.sweep_orphans(known_of(kept), older_than_seconds=0) == []


def test_the_sweep_asks_about_blobs_in_batches(storage, request, monkeypatch):
    import server.media.storage as storage_module

    monkeypatch.setattr(storage_module, "SWEEP_BATCH", 2)
    names = [store(storage, f"photo {n}".encode())[0] for n in range(5)]
    asked: list[list[str]] = []

    def known(batch: list[str]) -> set[str]:
        asked.append(list(batch))
        return set(batch) & set(names[:2])

    assert sorted(storage.sweep_orphans(known, older_than_seconds=0)) == sorted(names[2:])
    assert sorted(n for batch in asked for n in batch) == sorted(names) and max(map(len, asked)) == 2
    assert stored_blobs(request, storage) == sorted(names[:2])


def test_storing_an_old_orphan_again_refreshes_its_age_so_the_sweep_spares_it(storage, request):
    """Collect resends the very photo a killed request stored: the new request finds the blob already there and
    will commit a row for it, so the sweep must not take it away meanwhile."""
    sha256, _ = store(storage, JPEG)
    if isinstance(storage, LocalStorage):
        long_ago = time.time() - 2 * 3600
        os.utime(storage.path_of(sha256), (long_ago, long_ago))
        grace = 3600
    else:
        time.sleep(2.1)  # a bucket keeps whole seconds and cannot be backdated: let the object grow old instead
        grace = 2
    again, created = store(storage, JPEG)
    assert again == sha256 and not created
    assert storage.sweep_orphans(known_of(), older_than_seconds=grace) == []
    assert stored_blobs(request, storage) == [sha256] and read(storage, sha256) == JPEG
