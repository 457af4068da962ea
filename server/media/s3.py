"""Media in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Aliyun OSS, Tencent COS): the one module
that imports boto3.

Objects keep the local folder's layout as keys (``<prefix>blobs/ab/cd/<sha256>``,
``<prefix>derived/ab/<name>``; see ``storage.py``). Uploads still stream into a local spool file,
hashed as they arrive; only a finished file is sent to the bucket, and S3 shows an object only once
it has been uploaded whole (a multipart upload is completed, or aborted and never seen). Nothing
here knows Flask: the configuration arrives as ``S3Settings``.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator
from urllib.parse import quote, urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.response import StreamingBody

from server.domain.clock import utc_now
from server.media.storage import (
    CHUNK,
    SHA256_PATTERN,
    HashingUpload,
    KnownBlobs,
    StorageError,
    StorageUnavailable,
    UploadSpool,
    blob_key,
    derived_key,
    sweep_unknown,
)

MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
MB = 1024 * 1024
# Above 8 MB a file goes up in 8 MB parts, four at a time; S3 assembles the object only when all arrived.
TRANSFER = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB, max_concurrency=4)


@dataclass(frozen=True)
class S3Settings:
    """Where the bucket is and how to sign in to it."""

    bucket: str
    endpoint_url: str = ""  # empty: AWS itself
    region: str = "us-east-1"
    access_key_id: str = ""  # empty (both): boto3's own credential chain (AWS_* variables, instance role)
    secret_access_key: str = field(default="", repr=False)  # never in a log line or a traceback
    prefix: str = ""
    addressing_style: str = "auto"


class S3Storage(UploadSpool):
    """Blobs as objects in a bucket; uploads spooled in a local folder until they are whole."""

    def __init__(self, settings: S3Settings, spool: str) -> None:
        super().__init__(Path(spool))
        self.bucket = settings.bucket
        prefix = settings.prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint_url or None,
            region_name=settings.region or None,
            aws_access_key_id=settings.access_key_id or None,
            aws_secret_access_key=settings.secret_access_key or None,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": settings.addressing_style},
                retries={"mode": "standard"},
                # Checksum trailers (boto3's default since 1.36) are refused by most S3-compatible services.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def close(self) -> None:
        """Release the client's pooled connections."""
        self._client.close()

    def key_of(self, sha256: str) -> str:
        return self.prefix + blob_key(sha256)

    def derived_key_of(self, name: str) -> str:
        return self.prefix + derived_key(name)

    def store(self, upload: HashingUpload) -> bool:
        """Send a finished upload to the bucket; False when that content was already stored."""
        key = self.key_of(upload.sha256)
        upload.claimed = True
        try:
            if self._touch(key):
                return False
            upload.close()
            self._request("upload_file", key, Filename=str(upload.path), Config=TRANSFER)
            return True
        finally:
            upload.discard()

    def open(self, sha256: str) -> BinaryIO:
        stream = self._open_key(self.key_of(sha256))
        if stream is None:
            raise StorageError(reason=f"blob {sha256} is missing")
        return stream

    def read_head(self, sha256: str, size: int) -> bytes:
        """The first bytes of a blob (enough to tell its type), in one ranged request."""
        try:
            reply = self._request("get_object", self.key_of(sha256), Range=f"bytes=0-{size - 1}")
        except StorageError as exc:
            if _error_code(exc.__cause__) == "InvalidRange":
                return b""  # an empty object has no first byte for a range to start at
            raise
        if reply is None:
            raise StorageError(reason=f"blob {sha256} is missing")
        with reply["Body"] as body:
            return body.read()

    def exists(self, sha256: str) -> bool:
        return self._request("head_object", self.key_of(sha256)) is not None

    def delete(self, sha256: str) -> None:
        self._request("delete_object", self.key_of(sha256))

    def sweep_orphans(self, known: KnownBlobs, older_than_seconds: float = 3600) -> list[str]:
        """Delete blobs (and their thumbnails) older than the grace period that no ``blob`` row names: what a
        process killed between storing a file and committing its row left behind. Returns their names."""
        cutoff = utc_now() - timedelta(seconds=older_than_seconds)

        def delete_if_still_old(sha256: str) -> bool:
            head = self._request("head_object", self.key_of(sha256))
            if head is None or head["LastModified"] >= cutoff:
                return False
            self.delete(sha256)
            for _, key in self._list(f"{self.prefix}derived/{sha256[:2]}/{sha256}-"):
                self._request("delete_object", key)
            return True

        candidates = (key.rsplit("/", 1)[1] for modified, key in self._list(f"{self.prefix}blobs/")
                      if modified < cutoff and SHA256_PATTERN.fullmatch(key.rsplit("/", 1)[1]))
        return sweep_unknown(candidates, known, delete_if_still_old)

    def _touch(self, key: str) -> bool:
        """Refresh an existing object's age (copied onto itself), so the orphan sweep spares it while the request
        that found it commits its row; False when there is no such object."""
        return self._request("copy_object", key, CopySource={"Bucket": self.bucket, "Key": key},
                             MetadataDirective="REPLACE") is not None

    def _list(self, prefix: str) -> Iterator[tuple[datetime, str]]:
        """(last modified, key) of every object under ``prefix``."""
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["LastModified"], item["Key"]
        except (ClientError, BotoCoreError) as exc:
            raise _failure(f"list {prefix}", exc) from exc

    # Derived files (thumbnails) can always be made again from their blob.
    def open_derived(self, name: str) -> BinaryIO | None:
        return self._open_key(self.derived_key_of(name))

    def derived_exists(self, name: str) -> bool:
        return self._request("head_object", self.derived_key_of(name)) is not None

    def store_derived(self, name: str, data: bytes) -> None:
        self._request("put_object", self.derived_key_of(name), Body=data)

    def delete_derived(self, name: str) -> None:
        self._request("delete_object", self.derived_key_of(name))

    def signed_url(self, sha256: str, download_name: str, content_type: str, expires: int) -> str:
        """A URL that serves the blob for ``expires`` seconds, as ``content_type`` under ``download_name``."""
        return self._sign(self.key_of(sha256), download_name, content_type, expires)

    def signed_derived_url(self, name: str, download_name: str, content_type: str, expires: int) -> str:
        return self._sign(self.derived_key_of(name), download_name, content_type, expires)

    def url_origin(self) -> str:
        """Scheme and host the signed URLs point to (with virtual-hosted addressing, the bucket's own host)."""
        url = urlsplit(self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": f"{self.prefix}blobs/"}, ExpiresIn=1))
        return f"{url.scheme}://{url.netloc}"

    def _sign(self, key: str, download_name: str, content_type: str, expires: int) -> str:
        # The bucket answers with these headers in place of the object's own: the type the app
        # detected from the bytes, and the name the app would have sent.
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
                  "ResponseContentDisposition": inline_disposition(download_name)}
        return self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def _open_key(self, key: str) -> BinaryIO | None:
        reply = self._request("get_object", key)
        if reply is None:
            return None

        def rest_from(offset: int) -> StreamingBody:
            again = self._request("get_object", key, Range=f"bytes={offset}-")
            if again is None:
                raise StorageError(reason=f"{key} vanished while being read")
            return again["Body"]

        raw = _ObjectReader(reply["Body"], int(reply["ContentLength"]), rest_from)
        return io.BufferedReader(raw, CHUNK)  # type: ignore[return-value]

    def _request(self, operation: str, key: str, **params: Any) -> dict | None:
        """One S3 call on one key: None when there is no such object, StorageUnavailable when the bucket cannot
        be reached or answers with a server error (worth a retry), StorageError for any other failure."""
        try:
            return getattr(self._client, operation)(Bucket=self.bucket, Key=key, **params)
        except ClientError as exc:
            if _error_code(exc) in MISSING_CODES:
                return None
            raise _failure(f"{operation} {key}", exc) from exc
        except (BotoCoreError, S3UploadFailedError) as exc:
            raise _failure(f"{operation} {key}", exc) from exc

    def problem(self, min_free_bytes: int) -> str | None:
        """Why files could not be stored now (``/healthz``), or None: the bucket does not answer, or the
        local upload spool's disk is nearly full."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            return f"bucket {self.bucket}: {exc.__class__.__name__}"
        return self.spool_problem(min_free_bytes)


def inline_disposition(download_name: str) -> str:
    """``Content-Disposition`` as Flask's send_file writes it: inline, an ASCII name and an RFC 5987 UTF-8 one."""
    ascii_name = download_name.encode("ascii", "ignore").decode("ascii").replace("\\", "").replace('"', "")
    header = f'inline; filename="{ascii_name}"'
    if ascii_name != download_name:
        header += f"; filename*=UTF-8''{quote(download_name, safe='!#$&+-.^_`|~')}"
    return header


def _failure(what: str, exc: BaseException) -> StorageError:
    """A failed call as the app's error: the bucket away (no connection, a timeout, a 5xx) is a retry later."""
    # boto3 turns an upload's ClientError into S3UploadFailedError, raised while handling it
    cause = (exc.__cause__ or exc.__context__) if isinstance(exc, S3UploadFailedError) else exc
    away = isinstance(cause, (BotoConnectionError, HTTPClientError)) or (
        isinstance(cause, ClientError)
        and int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) >= 500)
    if away:
        return StorageUnavailable(reason=f"{what}: {exc.__class__.__name__}")
    return StorageError(reason=f"{what}: {exc}")


def _error_code(exc: BaseException | None) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


class _ObjectReader(io.RawIOBase):
    """An object as a raw, seekable stream, so it buffers, reads and seeks like a local file.

    Reads go on along one response; a seek elsewhere drops it, and the next read asks for the rest of
    the object from there (an HTTP range request). Pillow, for one, seeks, and would otherwise copy a
    whole unseekable file into memory just to find out it is no image.
    """

    def __init__(self, body: StreamingBody, size: int, rest_from: Callable[[int], StreamingBody]) -> None:
        self._body: StreamingBody | None = body
        self._size = size
        self._rest_from = rest_from
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        if base + offset != self._position:
            self._drop_response()
            self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size:
            return 0
        if self._body is None:
            self._body = self._rest_from(self._position)
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._drop_response()
        super().close()

    def _drop_response(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
