"""Serving a submission's files inside the viewer's scope: originals, and thumbnails made on demand."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from server.adapters.images import THUMBNAIL_SIZES, make_thumbnail
from server.domain.access import Scope
from server.domain.filetypes import sniff_content_type
from server.errors import BadRequest, NotFound
from server.media.storage import MediaStorage
from server.models import SubmissionAttachment
from server.queries import submissions as queries


@dataclass(frozen=True)
class MediaFile:
    stream: BinaryIO
    content_type: str
    etag: str
    download_name: str


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
    stream = storage.open(attachment.blob_sha256)
    head = stream.read(32)
    stream.seek(0)
    # Served as what the bytes are, never as what the name or the phone claimed.
    return MediaFile(stream, sniff_content_type(head), attachment.blob_sha256, attachment.name)


def thumbnail(attachment: SubmissionAttachment, size: int, storage: MediaStorage) -> MediaFile:
    if size not in THUMBNAIL_SIZES:
        raise BadRequest(reason=f"缩略图尺寸应为 {THUMBNAIL_SIZES} 之一 / size must be one of {THUMBNAIL_SIZES}")
    name = f"{attachment.blob_sha256}-{size}.jpg"
    cached = storage.open_derived(name)
    if cached is None:
        with storage.open(attachment.blob_sha256) as source:
            data = make_thumbnail(source, size)
        if data is None:
            raise NotFound(what="缩略图（文件不是可显示的图片）", key=attachment.name)
        storage.store_derived(name, data)
        cached = storage.open_derived(name)
    return MediaFile(cached, "image/jpeg", name, f"{size}-{attachment.name}")
