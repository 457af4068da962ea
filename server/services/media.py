"""Serving a submission's files inside the viewer's scope: originals, and thumbnails made on demand.

With ``LASTMETER_MEDIA_DOWNLOADS=redirect`` and a backend that signs URLs (S3), a file is not
streamed through the app: the caller is sent to a short-lived signed URL of the bucket instead.
The scope check has been made by then; the URL only outlives it by its expiry.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from flask import current_app

from server.adapters.images import THUMBNAIL_SIZES, ImageCheck, check_image, make_thumbnail
from server.adapters.perceptual import photo_hash
from server.domain.clock import utc_now
from server.domain.flags import SubmissionFlag, merged_flags
from server.extensions import db
from server.domain.access import Scope
from server.domain.filetypes import served_type, sniff_content_type
from server.errors import BadRequest, NotFound
from server.media.storage import MediaStorage, SignsUrls
from server.models import Blob, SubmissionAttachment
from server.queries import submissions as queries


SNIFF_BYTES = 32
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaFile:
    """A file to send: its bytes as a stream, or (redirected downloads) a signed URL to fetch them from."""

    stream: BinaryIO | None
    content_type: str
    etag: str
    download_name: str
    url: str | None = None
    inline: bool = True  # False: Content-Disposition: attachment (a file the browser must not show)


def attachment_in_scope(scope: Scope, instance_id: str, name: str) -> SubmissionAttachment:
    """The file of the submission's current version; 404 alike for 'not there' and 'not yours'."""
    submission = queries.get_submission_in_scope(scope, instance_id)
    if submission is None:
        raise NotFound(what="提交", key=instance_id)
    version = queries.current_version_of(submission)
    attachment = next((a for a in version.attachments if a.name == name and a.blob_sha256), None)
    if attachment is None:
        raise NotFound(what="附件", key=name)
    return attachment


def original(attachment: SubmissionAttachment, storage: MediaStorage) -> MediaFile:
    sha256 = attachment.blob_sha256
    # Served as what the bytes are, never as what the name or the phone claimed; bytes that are not what
    # the name says, or not known at all, only as an opaque download.
    detected = attachment.detected_type or sniff_content_type(storage.read_head(sha256, SNIFF_BYTES))
    content_type, inline = served_type(attachment.name, detected)
    signer = _url_signer(storage)
    if signer is not None and inline:  # an opaque download goes through the app, with its attachment headers
        url = signer.signed_url(sha256, attachment.name, content_type, _url_expiry())
        return MediaFile(None, content_type, sha256, attachment.name, url, inline)
    return MediaFile(storage.open(sha256), content_type, sha256, attachment.name, inline=inline)


def thumbnail(attachment: SubmissionAttachment, size: int, storage: MediaStorage) -> MediaFile:
    if size not in THUMBNAIL_SIZES:
        raise BadRequest(reason=f"缩略图尺寸应为 {THUMBNAIL_SIZES} 之一 / size must be one of {THUMBNAIL_SIZES}")
    if attachment.detected_type is not None and not attachment.detected_type.startswith("image/"):
        raise NotFound(what="缩略图（文件不是图片）", key=attachment.name)  # never handed to the image decoder
    name, download_name = f"{attachment.blob_sha256}-{size}.jpg", f"{size}-{attachment.name}"
    signer = _url_signer(storage)
    if signer is not None and storage.derived_exists(name):
        url = signer.signed_derived_url(name, download_name, "image/jpeg", _url_expiry())
        return MediaFile(None, "image/jpeg", name, download_name, url)
    # Not made yet (or not redirected): made now and sent from here, redirected from the next time on.
    cached = _derived_thumbnail(attachment.blob_sha256, size, storage)
    if cached is None:
        raise NotFound(what="缩略图（文件不是可显示的图片）", key=attachment.name)
    return MediaFile(cached, "image/jpeg", name, download_name)


def download_origin(storage: MediaStorage) -> str | None:
    """Where redirected downloads send the browser, for the pages' Content-Security-Policy (``img-src``);
    None when downloads are streamed by the app itself."""
    signer = _url_signer(storage)
    return signer.url_origin() if signer is not None else None


def _url_signer(storage: MediaStorage) -> SignsUrls | None:
    """The backend, when downloads are to be redirected and it can sign URLs; None: stream the file."""
    if current_app.config["MEDIA_DOWNLOADS"] != "redirect" or not isinstance(storage, SignsUrls):
        return None
    return storage


def _url_expiry() -> int:
    return int(current_app.config["MEDIA_URL_EXPIRY_SECONDS"])


PREPARED_SIZES = (240, 640)  # the list's and the detail page's
IMAGE_FLAGS = {ImageCheck.TOO_LARGE: SubmissionFlag.IMAGE_TOO_LARGE,
               ImageCheck.UNREADABLE: SubmissionFlag.IMAGE_UNREADABLE}
NOT_IMAGE = "not_image"


def inspect_photo(sha256: str, storage: MediaStorage) -> int:
    """The thumbnail job after a file is stored: find once whether it is a picture that can be shown (the one
    decode it needs), flag every submission holding it when it cannot (too large, unreadable), else make the
    thumbnails pages ask for first. Returns how many of those exist. Idempotent."""
    blob = db.session.get(Blob, sha256)
    if blob is None:
        return 0  # no committed row names it (an orphan the sweep removes)
    if blob.image_check is None:
        if not sniff_content_type(storage.read_head(sha256, SNIFF_BYTES)).startswith("image/"):
            blob.image_check = NOT_IMAGE
        else:
            with storage.open(sha256) as source:
                blob.image_check = check_image(source).value
    flag = IMAGE_FLAGS.get(blob.image_check)  # type: ignore[call-overload]
    if flag is not None:
        for submission in queries.list_submissions_holding_image(sha256):
            submission.flags = merged_flags(submission.flags, {flag})
        db.session.flush()
        return 0
    if blob.image_check != ImageCheck.OK:
        return 0
    if blob.phash is None:
        _hash_photo(blob, storage)
    return prepare_thumbnails(sha256, storage)


def _hash_photo(blob: Blob, storage: MediaStorage) -> None:
    """Keep the picture's perceptual hash and flag near-identical photos of the station's visits
    (``services/authenticity.py``). A failure is logged and never stands in the way of the thumbnails."""
    from server.services import authenticity

    try:
        with db.session.begin_nested():
            with storage.open(blob.sha256) as source:
                blob.phash = photo_hash(source)
            authenticity.check_near_copies(blob.sha256, blob.phash)
    except Exception:  # noqa: BLE001 — logged; the check asks for review, it never holds a photo back
        log.exception("could not compare photo %s with the station's other photos", blob.sha256)


def hash_old_photos(storage: MediaStorage, batch: int = 100) -> int:
    """The perceptual hash of each picture stored before hashes were kept (they are kept since the near-copy check
    came), each compared with its station's photos as the thumbnail job compares a new one: a one-off after an
    upgrade, ``flask hash-photos``. One photo a transaction, so a stop keeps what was done and a new run goes on with
    the rest. Returns how many were hashed."""
    done, after = 0, ""
    while shas := queries.list_unhashed_photos(ImageCheck.OK.value, after, batch):
        for sha256 in shas:
            blob = db.session.get(Blob, sha256)
            if blob is not None and blob.phash is None:
                _hash_photo(blob, storage)
                db.session.commit()
                done += blob.phash is not None
        after = shas[-1]
    return done


def inspect_unchecked_photos(storage: MediaStorage, older_than_seconds: float = 120, limit: int = 50) -> int:
    """What thumbnail jobs left undone: a queue removes a job when a worker takes it, so a worker killed while
    it ran loses it. A file's ``image_check`` stays empty until its job finishes, so the files still empty after
    ``older_than_seconds`` are inspected here (their flags set, their thumbnails made). Returns how many."""
    stored_before = utc_now() - timedelta(seconds=older_than_seconds)
    done = 0
    for sha256 in queries.list_unchecked_blobs(stored_before, limit):
        inspect_photo(sha256, storage)
        db.session.commit()  # one file at a time: a failure later keeps what was done
        done += 1
    return done


def prepare_thumbnails(sha256: str, storage: MediaStorage) -> int:
    """Make the thumbnails pages ask for first (a background job after a photo arrives); how many exist."""
    made = 0
    for size in PREPARED_SIZES:
        if storage.derived_exists(f"{sha256}-{size}.jpg"):
            made += 1
            continue
        stream = _derived_thumbnail(sha256, size, storage)
        if stream is None:
            return made  # not a decodable image: nothing to prepare
        stream.close()
        made += 1
    return made


def _derived_thumbnail(sha256: str, size: int, storage: MediaStorage) -> BinaryIO | None:
    """The stored thumbnail, made and stored first if missing; None when the blob is not a decodable image."""
    name = f"{sha256}-{size}.jpg"
    cached = storage.open_derived(name)
    if cached is None:
        with storage.open(sha256) as source:
            data = make_thumbnail(source, size)
        if data is None:
            return None
        storage.store_derived(name, data)
        cached = storage.open_derived(name)
    return cached


def sweep_orphan_blobs(storage: MediaStorage, older_than_seconds: float) -> list[str]:
    """Remove stored blobs no ``blob`` row names, older than the grace period (docs/storage.md, "What a crash
    leaves behind"); an in-flight request's new blob is younger than that, and a blob a request has just found
    already stored had its age refreshed by ``store``. Returns the removed blobs' names."""
    return storage.sweep_orphans(queries.list_known_blobs, older_than_seconds)
