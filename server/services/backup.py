"""Backups of the database and the media, and restoring them (docs/deploy.md, "Backups").

A backup is a folder: ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the app
serves) or ``database.pgdump`` (pg_dump's custom format), ``media/ab/<sha256>`` for every stored file,
and ``manifest.json``. The database is copied first and the media after: files are content-addressed and
written before the rows that name them commit, so every file the copied database names is there.
Media is read and written through the configured storage, so the same commands serve a local folder
and object storage. Thumbnails are not kept: they are made again on demand.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from server.adapters import postgres_tools
from server.domain.clock import utc_now
from server.errors import BadRequest, Conflict
from server.extensions import db
from server.media.storage import CHUNK, MediaStorage
from server.models import Blob, Submission

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BackupSummary:
    database: str
    blobs: int
    bytes: int
    submissions: int


def backup(out: Path, storage: MediaStorage) -> BackupSummary:
    if out.exists() and any(out.iterdir()):
        raise Conflict(reason=f"备份目录不是空的 / the backup folder is not empty: {out}")
    (out / "media").mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    submissions = int(db.session.scalar(select(func.count()).select_from(Submission)))
    db.session.rollback()  # let the copy see everything committed so far
    if url.get_backend_name() == "sqlite":
        name = "database.sqlite3"
        with sqlite3.connect(url.database) as source, sqlite3.connect(out / name) as target:
            source.backup(target)
        source.close()
        target.close()
    else:
        name = "database.pgdump"
        postgres_tools.dump(url.render_as_string(hide_password=False), out / name)
    blobs = total = 0
    for sha256, size in db.session.execute(select(Blob.sha256, Blob.size).order_by(Blob.sha256)):
        _copy_out(storage, sha256, out / "media" / sha256[:2] / sha256)
        blobs += 1
        total += int(size)
    summary = BackupSummary(name, blobs, total, submissions)
    (out / MANIFEST).write_text(json.dumps({
        "created_at": utc_now().isoformat(timespec="seconds"), "database": name,
        "schema_revision": revision, "blobs": blobs, "bytes": total, "submissions": submissions}, indent=2))
    return summary


def restore(source: Path, storage: MediaStorage) -> BackupSummary:
    """Restore into an empty database and storage; refused if the database already holds a schema."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BadRequest(reason=f"不是 Lastmeter 备份（缺少 {MANIFEST}）/ not a Lastmeter backup: {source}")
    manifest = json.loads(manifest_path.read_text())
    engine = db.engine
    db.session.remove()
    if inspect(engine).get_table_names():
        raise Conflict(reason="目标数据库不是空的，只能恢复到新建的空数据库 / restore only into a new, empty database")
    name = manifest["database"]
    if engine.url.get_backend_name() == "sqlite":
        if name != "database.sqlite3":
            raise BadRequest(reason="备份来自 PostgreSQL，目标是 SQLite / the backup is of PostgreSQL, the target is SQLite")
        engine.dispose()
        with sqlite3.connect(source / name) as snapshot, sqlite3.connect(make_url(str(engine.url)).database) as target:
            snapshot.backup(target)
        snapshot.close()
        target.close()
    else:
        if name != "database.pgdump":
            raise BadRequest(reason="备份来自 SQLite，目标是 PostgreSQL / the backup is of SQLite, the target is PostgreSQL")
        engine.dispose()
        postgres_tools.restore(engine.url.render_as_string(hide_password=False), source / name)
    blobs = total = 0
    for path in sorted((source / "media").glob("*/*")):
        total += _copy_in(storage, path)
        blobs += 1
    return BackupSummary(name, blobs, total, int(manifest.get("submissions", 0)))


def _copy_out(storage: MediaStorage, sha256: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with storage.open(sha256) as stream, open(target, "wb") as out:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise Conflict(reason=f"存储中的文件已损坏 / stored file {sha256} does not match its hash")


def _copy_in(storage: MediaStorage, path: Path) -> int:
    upload = storage.new_upload()
    try:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                upload.write(chunk)
        if upload.sha256 != path.name:
            raise Conflict(reason=f"备份中的文件已损坏 / backup file {path.name} does not match its hash")
        size = upload.size
        storage.store(upload)
        return size
    except BaseException:
        upload.discard()
        raise
