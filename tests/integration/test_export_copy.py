"""The CSV export's root table written by PostgreSQL (``queries/export_copy.py``) is byte for byte the one the
Python exporter writes, on random answers of every shape JSON can hold — text with formula triggers, commas,
quotes and line feeds, numbers as Python spells them, booleans, lists, lists of points, geopoints whole, partial,
kept as text, groups that are not objects — and random metadata, with rows only Python can spell in their place."""
from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server.domain.access import Role, Scope
from server.extensions import db
from server.models import Blob, FormVersion, Submission, SubmissionAttachment, SubmissionVersion
from server.queries import export_copy
from server.queries.submissions import SubmissionFilters
from server.services import accounts, exports
from server.services.forms import publish_form
from tests.support.xlsforms import build_xlsform

SURVEY = [
    {"type": "text", "name": "t", "label": "文字"},
    {"type": "integer", "name": "n", "label": "整数"},
    {"type": "decimal", "name": "d", "label": "小数"},
    {"type": "select_multiple needs", "name": "sm", "label": "需求"},
    {"type": "geopoint", "name": "gp", "label": "位置"},
    {"type": "geotrace", "name": "gt", "label": "路线"},
    {"type": "begin_group", "name": "g", "label": "组"},
    {"type": "text", "name": "gt2", "label": "组内文字"},
    {"type": "begin_group", "name": "h", "label": "内组"},
    {"type": "text", "name": "deep", "label": "深处"},
    {"type": "geopoint", "name": "gp2", "label": "内组位置"},
    {"type": "end_group", "name": "h"},
    {"type": "end_group", "name": "g"},
    {"type": "date", "name": "day", "label": "日期"},
]
CHOICES = [{"list_name": "needs", "name": "care", "label": "照料"},
           {"list_name": "needs", "name": "school", "label": "上学"}]
TEXTS = ["王桂英", "", "=1+2", "+86 138", "-5", "@SUM(A1)", "\ttab", "\rcr", "\nlf", "a,b", 'say "hi"', "two\nlines",
         "'quoted", "\\.", " space ", "x" * 300, "末尾\r\n", ",lead", "1e-05", "None", "True"]
NUMBERS = [0, 1, -7, 12345678901234567890, 2.5, -0.0, 25.0, 1e-05, 1e16, 123456789.123, 0.1 + 0.2, 1e300, -1.5e-7]


def _scalar(rng: random.Random):
    return rng.choice([rng.choice(TEXTS), rng.choice(NUMBERS), True, False, None])


def _point(rng: random.Random):
    keys = ("latitude", "longitude", "altitude", "accuracy")
    return {key: rng.choice([rng.choice(NUMBERS), None, rng.choice(TEXTS), True])
            for key in rng.sample(keys, rng.randint(0, 4))}


def _value(rng: random.Random, exotic: bool):
    shapes = ["scalar", "scalar", "scalar", "list", "points", "empty", "point", "object", "missing"]
    if exotic:
        shapes += ["nested", "mixed", "point_text", "point_nested"]
    shape = rng.choice(shapes)
    if shape == "scalar":
        return _scalar(rng)
    if shape == "list":
        return [_scalar(rng) for _ in range(rng.randint(1, 4))]
    if shape == "points":
        return [_point(rng) for _ in range(rng.randint(1, 3))]
    if shape == "empty":
        return []
    if shape == "point":
        return _point(rng)
    if shape == "object":
        return {"x": _scalar(rng)}
    if shape == "nested":
        return [["a", 1], "b"]
    if shape == "mixed":
        return [{"latitude": 1}, "b"]
    if shape == "point_text":
        return "25.04 102.71 1891 4.8"
    if shape == "point_nested":
        return {"latitude": [1, 2], "longitude": 3}
    return "<missing>"


def _data(rng: random.Random, exotic: bool):
    if rng.random() < 0.05:
        return rng.choice([None, [], "text"])

    def fill(names):
        node = {}
        for name in names:
            value = _value(rng, exotic)
            if value != "<missing>":
                node[name] = value
        return node

    data = fill(["t", "n", "d", "sm", "gp", "gt", "day", "extra"])
    roll = rng.random()
    if roll < 0.7:
        data["g"] = fill(["gt2"])
        if rng.random() < 0.8:
            data["g"]["h"] = fill(["deep", "gp2"])
        else:
            data["g"]["h"] = _scalar(rng)
    elif roll < 0.85:
        data["g"] = _scalar(rng)
    return data


@pytest.fixture
def copyform(network, make_user):
    publish_form(build_xlsform(SURVEY, {"form_id": "copyform", "version": "2026120601", "form_title": "导出"}, CHOICES),
                 "copyform.xlsx")
    db.session.commit()
    return db.session.scalar(select(FormVersion).order_by(FormVersion.id.desc()))


def _load(rng: random.Random, version: FormVersion, count: int, exotic: bool) -> None:
    names = ["", "=cmd", "王芳", "a,b", 'q"uote']
    users = []
    for number, name in enumerate(names):
        user = accounts.create_user(f"worker{number}", "worker", "530102001", "correct-horse-9")
        user.display_name = name
        users.append(user)
    blob = Blob(sha256="a" * 64, md5="b" * 32, size=3)
    db.session.add(blob)
    db.session.flush()
    start = datetime(2026, 11, 1, 3, 4, 5, tzinfo=timezone.utc)
    for number in range(count):
        created = start + timedelta(seconds=rng.randint(0, 86400 * 20), microseconds=rng.choice([0, 999, 1000,
                                                                                                 999999, 500500]))
        submitter = rng.choice([*users, None])
        submission = Submission(form_id=version.form_id, instance_id=f"uuid:{number}-{rng.random()}",
                                station_code=rng.choice(["530102001", "530103001"]),
                                case_id=None, submitter_id=submitter.id if submitter else None,
                                review_state=rng.choice(["received", "has_issues", "edited", "approved", "rejected"]),
                                created_at=created)
        db.session.add(submission)
        db.session.flush()
        for edit in range(rng.choice([1, 1, 2])):
            current = edit == 0
            version_row = SubmissionVersion(
                submission_id=submission.id, instance_id=f"{submission.instance_id}#{edit}", current=current,
                form_version_id=version.id, xml=b"<data/>", xml_sha256="0" * 64, data=_data(rng, exotic),
                device_id=rng.choice([None, "", "collect:abc", "-dev"]), created_at=created)
            db.session.add(version_row)
            db.session.flush()
            for index in range(rng.choice([0, 0, 1, 2])):
                db.session.add(SubmissionAttachment(version_id=version_row.id, name=f"{index}.jpg",
                                                    blob_sha256=rng.choice([None, blob.sha256])))
    db.session.commit()


def _root_csv(role: str, area: str, path: str, use_copy: bool, monkeypatch, filters=None) -> bytes:
    monkeypatch.setattr(export_copy, "available", lambda: use_copy)
    scope = Scope(Role(role), area, path)
    export = exports.start_export("csv", scope, filters or SubmissionFilters(xml_form_id="copyform"), None)
    data = b"".join(export.chunks)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["copyform.csv"]
        return archive.read("copyform.csv")


def _first_difference(copied: bytes, python: bytes):
    """The first row and column where the two differ, for a readable failure."""
    import csv

    rows = [list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))) for data in (copied, python)]
    for number, (left, right) in enumerate(zip(*rows)):
        if left != right:
            header = rows[1][0]
            return number, [(header[i] if i < len(header) else i, a, b)
                            for i, (a, b) in enumerate(zip(left, right)) if a != b], len(left), len(right)
    return None if len(rows[0]) == len(rows[1]) else ("rows", len(rows[0]), len(rows[1]))


@pytest.mark.parametrize("seed, exotic", [(1, False), (2, False), (3, True), (4, True)])
def test_the_database_writes_the_bytes_python_writes(app, copyform, monkeypatch, seed, exotic):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    _load(random.Random(seed), copyform, 150, exotic)
    for role, area, path in (("admin", "530100", "/530100/"), ("county", "530102", "/530100/530102/")):
        python = _root_csv(role, area, path, False, monkeypatch)
        copied = _root_csv(role, area, path, True, monkeypatch)
        assert python.count(b"\r\n") > 20
        assert _first_difference(copied, python) is None
        assert copied == python
    # the list's filters select the same rows both ways
    filters = SubmissionFilters(xml_form_id="copyform", review_state="approved", station="530102001")
    assert _root_csv("admin", "530100", "/530100/", True, monkeypatch, filters) == \
        _root_csv("admin", "530100", "/530100/", False, monkeypatch, filters)


def test_rows_only_python_can_spell_are_placed_by_python(app, copyform, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    _load(random.Random(5), copyform, 60, True)
    pieces = list(export_copy.stream_root_csv(Scope(Role.ADMIN, "530100", "/530100/"),
                                              SubmissionFilters(xml_form_id="copyform"),
                                              exports._layout(SubmissionFilters(xml_form_id="copyform"),
                                                              "CSV").tables[0]))
    assert any(isinstance(piece, int) for piece in pieces) and any(isinstance(piece, bytes) for piece in pieces)


def test_a_station_head_export_stays_in_python(app, copyform, monkeypatch):
    """Masked fields (ID numbers) are masked in Python: a station head's export never takes the database's path."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    _load(random.Random(6), copyform, 10, False)
    called = []
    monkeypatch.setattr(export_copy, "stream_root_csv", lambda *args: called.append(args) or iter(()))
    scope = Scope(Role.STATION, "530102001", "/530100/530102/530102001/")
    b"".join(exports.start_export("csv", scope, SubmissionFilters(xml_form_id="copyform"), None).chunks)
    assert called == []
