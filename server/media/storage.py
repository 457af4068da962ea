"""Storage backends for file content addressed by SHA-256.

The only module that touches the media folder. Every write goes to a temporary file
first, is hashed while written, flushed to disk, then renamed into place: a blob
either exists whole or not at all, whatever happens to the process.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from server.errors import LastmeterError

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class StorageError(LastmeterError):
    code = "500.3"
    zh = "媒体存储出错：{reason}"
    en = "Media storage failed: {reason}"


class HashingUpload:
    """A temporary file that computes SHA-256, MD5 and size as bytes are written to it."""

    def __init__(self, directory: Path) -> None:
        handle, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
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
        return self._file.write(data)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()

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
            self._file.close()
        self.path.unlink(missing_ok=True)


class MediaStorage(Protocol):
    def new_upload(self) -> HashingUpload: ...

    def store(self, upload: HashingUpload) -> bool: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...

    def open_derived(self, name: str) -> BinaryIO | None: ...

    def store_derived(self, name: str, data: bytes) -> None: ...


class LocalStorage:
    """Blobs in a local folder: ``<root>/blobs/ab/cd/abcd…``; uploads in ``<root>/tmp``."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.blobs = self.root / "blobs"

    def _ensure_dirs(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        if not SHA256_PATTERN.match(sha256):
            raise StorageError(reason=f"invalid blob name {sha256[:80]!r}")
        return self.blobs / sha256[:2] / sha256[2:4] / sha256

    def new_upload(self) -> HashingUpload:
        self._ensure_dirs()
        return HashingUpload(self.tmp)

    def store(self, upload: HashingUpload) -> bool:
        """Move a finished upload into place; False when that content was already stored."""
        target = self.path_of(upload.sha256)
        upload.claimed = True
        if target.exists():
            upload.discard()
            return False
        upload.flush()
        os.fsync(upload._file.fileno())
        upload.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.path, target)
        _fsync_dir(target.parent)
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

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

    def delete(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    # Derived files (thumbnails) can always be made again from their blob.
    def _derived_path(self, name: str) -> Path:
        if not re.match(r"^[0-9a-f]{64}-[a-z0-9]+\.[a-z]+$", name):
            raise StorageError(reason=f"invalid derived name {name[:80]!r}")
        return self.root / "derived" / name[:2] / name

    def open_derived(self, name: str) -> BinaryIO | None:
        try:
            return open(self._derived_path(name), "rb")
        except FileNotFoundError:
            return None

    def store_derived(self, name: str, data: bytes) -> None:
        target = self._derived_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._ensure_dirs()
        handle, temporary = tempfile.mkstemp(dir=self.tmp, prefix="derived-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)

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


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
