"""Media storage: photos and other files, stored once per content hash.

``storage.py`` holds the storage backends behind one small interface; ``uploads.py``
makes request uploads land in storage's temporary area, hashed while they stream.
"""
from __future__ import annotations

from flask import Flask, current_app, g

from server.media.storage import LocalStorage, MediaStorage


def init_app(app: Flask) -> None:
    from server.media.uploads import UploadRequest, discard_unclaimed_uploads

    app.extensions["media"] = LocalStorage(str(app.config["MEDIA_ROOT"]))
    app.request_class = UploadRequest
    app.teardown_request(discard_unclaimed_uploads)


def media_storage() -> MediaStorage:
    return current_app.extensions["media"]


def note_new_blob(sha256: str) -> None:
    """Remember a blob this request created, to remove it again if the request fails."""
    g.setdefault("new_blobs", []).append(sha256)


def keep_new_blobs() -> None:
    g.pop("new_blobs", None)


def discard_new_blobs() -> None:
    """The request failed: its rows are gone, so the files only it created must go too."""
    storage = media_storage()
    for sha256 in g.pop("new_blobs", []):
        storage.delete(sha256)
