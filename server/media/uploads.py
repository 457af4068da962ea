"""Request uploads stream into media storage's temporary area, hashed as they arrive.

Werkzeug's multipart parser writes each file part into the stream this request class
provides, so a 100 MB photo never sits in memory, and its SHA-256/MD5 are known the
moment the part ends. Uploads nobody stored are removed when the request ends.
"""
from __future__ import annotations

from flask import Request, current_app, g


class UploadRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):  # noqa: ANN001
        upload = current_app.extensions["media"].new_upload()
        g.setdefault("uploads", []).append(upload)
        return upload


def discard_unclaimed_uploads(_exc: BaseException | None = None) -> None:
    for upload in g.pop("uploads", []):
        if not upload.claimed:
            upload.discard()
