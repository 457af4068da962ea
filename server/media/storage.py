"""Storage backends for file content addressed by SHA-256.

The only module that touches the media folder (``s3.py`` is its twin for an S3-compatible
bucket, and shares the names, the key layout and the upload spool defined here). Every
write goes to a temporary file first, is hashed while written, flushed to disk, then
renamed into place: a blob either exists whole or not at all, whatever happens to the process.
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Protocol, runtime_checkable

from server.errors import LastmeterError, RetryLater

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
DERIVED_PATTERN = re.compile(r"[0-9a-f]{64}-[a-z0-9]+\.[a-z]+")  # <blob sha256>-<variant>.<ext>
CHUNK = 1024 * 1024
SWEEP_BATCH = 500  # blob names asked about at once when sweeping orphans


class StorageError(LastmeterError):
    code = "500.3"
    zh = "媒体存储出错：{reason}"
    en = "Media storage failed: {reason}"


class StorageUnavailable(RetryLater, StorageError):
    """The object storage cannot be reached or answers with a server error: nothing of the request was kept, and a
    phone sends its submission again after ``Retry-After`` seconds (docs/deploy.md, "When things break")."""

    code = "503.2"
    zh = "服务器暂时无法保存照片等文件（文件存储不可用），本次提交未保存，请 {retry_after} 秒后重试（手机会保留已填写的表单）。"
    en = ("The server cannot store files just now (its file storage is unavailable); nothing was saved. Try again in "
          "{retry_after} seconds (the phone keeps the filled form).")


class StorageFull(RetryLater, StorageError):
    """The disk under the media folder or the upload spool is full (or a file would exceed the size the system
    allows): nothing of the request was kept, no partial file remains."""

    code = "507.1"
    zh = "服务器存储空间已满，本次提交未保存。请联系管理员清理空间；手机会保留已填写的表单，稍后可重新发送。"
    en = ("The server's storage is full; nothing was saved. Ask the administrator to free space; the phone keeps the "
          "filled form and can send it again later.")
    retry_after = 300


# What a full disk (or quota, or RLIMIT_FSIZE) answers a write with.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


class HashingUpload:
    """A temporary file that computes SHA-256, MD5 and size as bytes are written to it."""

    def __init__(self, directory: Path) -> None:
        try:
            handle, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
        except OSError as exc:
            raise StorageFull() if is_disk_full(exc) else exc
        self.path = Path(name)
        self._file = os.fdopen(handle, "w+b")
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5()
        self.size = 0
        self.claimed = False

    # file protocol used by Werkzeug's multipart parser and FileStorage
    def write(self, data: bytes) -> int:
        self._sha256.update(data)
        self._md5.update(data)
        self.size += len(data)
        try:
            return self._file.write(data)
        except OSError as exc:
            raise StorageFull() if is_disk_full(exc) else exc

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            raise StorageFull() if is_disk_full(exc) else exc

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:
            raise StorageFull() if is_disk_full(exc) else exc

    @property
    def closed(self) -> bool:
        return self._file.closed

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self._file.read(CHUNK), b"")

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    def discard(self) -> None:
        if not self._file.closed:
            try:
                self._file.close()
            except OSError:  # what was buffered cannot be written (the disk is full): the file goes anyway
                pass
        self.path.unlink(missing_ok=True)


class MediaStorage(Protocol):
    def new_upload(self) -> HashingUpload: ...

    def store(self, upload: HashingUpload) -> bool: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def read_head(self, sha256: str, size: int) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...

    def open_derived(self, name: str) -> BinaryIO | None: ...

    def derived_exists(self, name: str) -> bool: ...

    def store_derived(self, name: str, data: bytes) -> None: ...

    def delete_derived(self, name: str) -> None: ...

    def sweep_temporary(self, older_than_seconds: float = 3600) -> int: ...

    def problem(self, min_free_bytes: int) -> str | None: ...

    def sweep_orphans(self, known: Callable[[list[str]], set[str]], older_than_seconds: float = 3600) -> list[str]: ...


# ``known`` answers, for a batch of blob names, which of them a committed ``blob`` row names.
KnownBlobs = Callable[[list[str]], set[str]]


@runtime_checkable
class SignsUrls(Protocol):
    """A backend whose files clients can fetch directly, through short-lived signed URLs."""

    def signed_url(self, sha256: str, download_name: str, content_type: str, expires: int) -> str: ...

    def signed_derived_url(self, name: str, download_name: str, content_type: str, expires: int) -> str: ...

    def url_origin(self) -> str: ...


def blob_key(sha256: str) -> str:
    """Where a blob lives, relative to the storage's root: ``blobs/ab/cd/abcd…``; refuses anything but a SHA-256."""
    if not SHA256_PATTERN.fullmatch(sha256):
        raise StorageError(reason=f"invalid blob name {sha256[:80]!r}")
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sweep_unknown(candidates: Iterable[str], known: KnownBlobs, delete_if_still_old: Callable[[str], bool]) -> list[str]:
    """The orphan sweep both backends share: ask about listed blobs in batches, delete those no row names.

    ``delete_if_still_old`` looks at the blob's age once more right before deleting it: a request that has
    just found the blob already stored (and will commit a row for it) has refreshed its age meanwhile.
    """
    removed: list[str] = []
    batch: list[str] = []

    def settle() -> None:
        claimed = known(batch)
        removed.extend(name for name in batch if name not in claimed and delete_if_still_old(name))
        batch.clear()

    for name in candidates:
        batch.append(name)
        if len(batch) >= SWEEP_BATCH:
            settle()
    if batch:
        settle()
    return removed


def derived_key(name: str) -> str:
    """Where a derived file (a thumbnail) lives, relative to the storage's root: ``derived/ab/abcd…-240.jpg``."""
    if not DERIVED_PATTERN.fullmatch(name):
        raise StorageError(reason=f"invalid derived name {name[:80]!r}")
    return f"derived/{name[:2]}/{name}"


class UploadSpool:
    """Uploads land in a local folder first, hashed as they stream in, whichever backend keeps them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def new_upload(self) -> HashingUpload:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return HashingUpload(self.tmp)

    def spool_problem(self, min_free_bytes: int) -> str | None:
        """Why uploads could not be taken now (the spool's disk nearly full), or None."""
        return _low_space(self.tmp, min_free_bytes)

    def sweep_temporary(self, older_than_seconds: float = 3600) -> int:
        """Remove uploads abandoned by a crashed request; returns how many were removed."""
        if not self.tmp.exists():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for part in self.tmp.glob("upload-*.part"):
            if part.stat().st_mtime < cutoff:
                part.unlink(missing_ok=True)
                removed += 1
        return removed


def _low_space(folder: Path, min_free_bytes: int) -> str | None:
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None:
        return None
    free = shutil.disk_usage(existing).free
    return f"{free:,} bytes free under {folder}, fewer than {min_free_bytes:,}" if free < min_free_bytes else None


class LocalStorage(UploadSpool):
    """Blobs in a local folder: ``<root>/blobs/ab/cd/abcd…``; uploads in ``<root>/tmp``."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        super().__init__(self.root / "tmp")

    def problem(self, min_free_bytes: int) -> str | None:
        """Why files could not be stored now (``/healthz``), or None: the disk is nearly full."""
        return _low_space(self.root, min_free_bytes) or self.spool_problem(min_free_bytes)

    def path_of(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def store(self, upload: HashingUpload) -> bool:
        """Move a finished upload into place; False when that content was already stored."""
        target = self.path_of(upload.sha256)
        upload.claimed = True
        if _touch(target):
            upload.discard()
            return False
        try:
            upload.flush()
            os.fsync(upload._file.fileno())
            upload.close()
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(upload.path, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            upload.discard()
            if is_disk_full(exc):
                raise StorageFull() from exc
            raise
        return True

    def store_bytes(self, data: bytes) -> tuple[HashingUpload, bool]:
        upload = self.new_upload()
        upload.write(data)
        return upload, self.store(upload)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path_of(sha256), "rb")
        except FileNotFoundError as exc:
            raise StorageError(reason=f"blob {sha256} is missing") from exc

    def read_head(self, sha256: str, size: int) -> bytes:
        """The first bytes of a blob (enough to tell its type)."""
        with self.open(sha256) as stream:
            return stream.read(size)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

    def delete(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    def sweep_orphans(self, known: KnownBlobs, older_than_seconds: float = 3600) -> list[str]:
        """Delete blobs (and their thumbnails) older than the grace period that no ``blob`` row names: what a
        process killed between storing a file and committing its row left behind. Returns their names."""
        cutoff = time.time() - older_than_seconds

        def old(path: Path) -> bool:
            try:
                return path.stat().st_mtime < cutoff
            except FileNotFoundError:
                return False

        def delete_if_still_old(sha256: str) -> bool:
            path = self.path_of(sha256)
            if not old(path):
                return False
            # Taken out of place first, then judged: a request that touched it a moment ago (and will commit a
            # row naming it) has made it young again, and it goes back; one that comes after finds no file and
            # stores its own copy. Either way no committed row is left naming a deleted file.
            self.tmp.mkdir(parents=True, exist_ok=True)
            held = self.tmp / f"sweep-{sha256}-{os.getpid()}"
            try:
                os.replace(path, held)
            except FileNotFoundError:
                return False
            if not old(held):
                os.replace(held, path)  # the same content, should a request have stored it again meanwhile
                return False
            held.unlink()
            for derived in (self.root / "derived" / sha256[:2]).glob(f"{sha256}-*"):
                derived.unlink(missing_ok=True)
            return True

        blobs = self.root / "blobs"
        candidates = (path.name for path in sorted(blobs.glob("??/??/*"))
                      if SHA256_PATTERN.fullmatch(path.name) and old(path))
        return sweep_unknown(candidates, known, delete_if_still_old)

    # Derived files (thumbnails) can always be made again from their blob.
    def _derived_path(self, name: str) -> Path:
        return self.root / derived_key(name)

    def open_derived(self, name: str) -> BinaryIO | None:
        try:
            return open(self._derived_path(name), "rb")
        except FileNotFoundError:
            return None

    def derived_exists(self, name: str) -> bool:
        return self._derived_path(name).exists()

    def store_derived(self, name: str, data: bytes) -> None:
        target = self._derived_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.tmp, prefix="derived-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)

    def delete_derived(self, name: str) -> None:
        self._derived_path(name).unlink(missing_ok=True)


def _touch(path: Path) -> bool:
    """Refresh an existing blob's age, so the orphan sweep spares it while the request that found it commits
    its row; False when there is no such blob (or the sweep removed it just now: then it is stored again)."""
    try:
        os.utime(path)
        return True
    except FileNotFoundError:
        return False


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
