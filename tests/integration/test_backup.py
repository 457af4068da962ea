"""Backup and restore, database and media, on both databases: a backup restored into a new, empty database
and media folder gives back every submission and every photo, byte for byte."""
import hashlib
import json
import uuid

import pytest
from sqlalchemy import func, select

from server import create_app
from server.extensions import db
from server.models import Blob, Case, Submission
from tests.conftest import _test_config
from tests.support.visit_form import visit_xml

PHOTO = b"\xff\xd8\xff\xe0" + b"a home photo " * 4000


@pytest.fixture
def target_url(database_url, postgres_cluster_if_needed, tmp_path):
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    return postgres_cluster_if_needed.create_database(f"restored_{uuid.uuid4().hex[:8]}")


@pytest.fixture
def postgres_cluster_if_needed(request, database_url):
    return request.getfixturevalue("postgres_cluster") if database_url.startswith("postgresql") else None


def counts() -> dict[str, int]:
    return {model.__tablename__: int(db.session.scalar(select(func.count()).select_from(model)))
            for model in (Submission, Blob, Case)}


def test_backup_then_restore_into_a_new_database_and_media_folder(app, collect, runner, tmp_path, target_url):
    second = PHOTO + b"second"
    assert collect.submit(visit_xml("uuid:b1"), [("1714558951234.jpg", PHOTO)]).status_code == 201
    assert collect.submit(visit_xml("uuid:b2", photo="b2.jpg"), [("b2.jpg", second)]).status_code == 201
    before = counts()
    assert before["submission"] == 2 and before["blob"] >= 2

    out = tmp_path / "backup"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["submissions"] == 2 and manifest["blobs"] == before["blob"]
    for content in (PHOTO, second):
        sha256 = hashlib.sha256(content).hexdigest()
        assert (out / "media" / sha256[:2] / sha256).read_bytes() == content
    assert runner.invoke(args=["backup", "--out", str(out)]).exit_code == 1  # never over an earlier backup

    restored = create_app(_test_config(target_url, tmp_path / "restored-media"))
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        assert counts() == before
        assert {s.instance_id for s in db.session.scalars(select(Submission))} == {"uuid:b1", "uuid:b2"}
        from server.media import media_storage

        for content in (PHOTO, second):
            with media_storage().open(hashlib.sha256(content).hexdigest()) as stream:
                assert stream.read() == content
        again = restored.test_cli_runner().invoke(args=["restore", str(out)])
        assert again.exit_code == 1 and "empty" in again.output  # a database in use is never overwritten
        db.session.remove()
        db.engine.dispose()


def test_a_folder_that_is_no_backup_is_refused(app, runner, tmp_path):
    (tmp_path / "junk").mkdir()
    result = runner.invoke(args=["restore", str(tmp_path / "junk")])
    assert result.exit_code == 1 and "manifest.json" in result.output
