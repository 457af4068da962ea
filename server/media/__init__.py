"""Media storage: photos and other files, stored once per content hash.

``storage.py`` holds the storage backends behind one small interface (the local folder;
``s3.py`` an S3-compatible bucket); ``uploads.py`` makes request uploads land in storage's
temporary area, hashed while they stream. ``LASTMETER_MEDIA_BACKEND`` picks the backend.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

from flask import Flask, current_app, g

from server.media.storage import LocalStorage, MediaStorage

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from server.media.uploads import discard_unclaimed_uploads

    app.extensions["media"] = build_storage(app.config)
    app.teardown_request(discard_unclaimed_uploads)  # the request class (boundary.py) streams uploads here


def build_storage(config: Mapping[str, object]) -> MediaStorage:
    """The backend the configuration names; with S3, uploads still spool in ``<MEDIA_ROOT>/tmp``."""
    root = str(config["MEDIA_ROOT"])
    if config["MEDIA_BACKEND"] != "s3":
        return LocalStorage(root)
    from server.media.s3 import S3Settings, S3Storage  # boto3 is only imported where it is used

    settings = S3Settings(
        bucket=str(config["S3_BUCKET"]), endpoint_url=str(config["S3_ENDPOINT_URL"]),
        region=str(config["S3_REGION"]), access_key_id=str(config["S3_ACCESS_KEY_ID"]),
        secret_access_key=str(config["S3_SECRET_ACCESS_KEY"]), prefix=str(config["S3_PREFIX"]),
        addressing_style=str(config["S3_ADDRESSING_STYLE"]))
    return S3Storage(settings, spool=str(Path(root) / "tmp"))


def media_storage() -> MediaStorage:
    return current_app.extensions["media"]


def note_new_blob(sha256: str) -> None:
    """Remember a blob this request created, to remove it again if the request fails."""
    g.setdefault("new_blobs", []).append(sha256)


def keep_new_blobs() -> None:
    g.pop("new_blobs", None)


def discard_new_blobs() -> None:
    """The request failed: its rows are gone, so the files only it created must go too — unless another
    request stored the same content meanwhile and has committed a row for it (called after the rollback)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from server.extensions import db
    from server.models import Blob

    storage = media_storage()
    new = g.pop("new_blobs", [])
    checked = 0
    try:
        for sha256 in new:
            if db.session.get(Blob, sha256) is None:
                storage.delete(sha256)
            checked += 1
        db.session.rollback()  # end the read transaction the check opened
    except (OperationalError, InterfaceError):
        # The database is away, so whether another request committed the same content cannot be known: the
        # files stay, and the orphan sweep (``jobs.sweep``) removes those no blob row names once it is back.
        log.warning("database unavailable: %d new file(s) left for the orphan sweep", len(new) - checked)
        db.session.close()
