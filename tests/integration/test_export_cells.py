"""The answers kept as the CSV export writes them (services/export_cells.py): an export copying them writes exactly
the bytes it writes from the answers, on both databases, and they never outlive the answers or the columns they
were written for."""
import io
import random
import zipfile

import pytest
from sqlalchemy import func, select, update

from server.extensions import db
from server.models import SubmissionVersion
from server.services import export_cells
from server.services.forms import publish_form
from tests.support.visit_form import visit_xml
from tests.support.web import sign_in
from tests.support.xlsforms import build_xlsform

# Text that CSV must quote or make inert, and text it must not touch.
PIECES = ["王芳", "a,b", 'say "hi"', "line\nbreak", "=1+2", "+86 138", "-5", "@SUM(A1)", " lead", "tail ", "",
          "\t=tab", "𠀋 ext-B", "'quoted", "0012", "1e5", "\r\n"]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 3)))


def tables(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def export(client) -> dict[str, bytes]:
    with client.get("/submissions/export?format=csv&form=visit") as response:
        assert response.status_code == 200
        return tables(response.get_data())


def kept() -> int:
    return db.session.scalar(select(func.count()).select_from(SubmissionVersion)
                             .where(SubmissionVersion.export_key.is_not(None)))


def forget_all() -> None:
    db.session.execute(update(SubmissionVersion).values(export_key=None, export_cells=None, export_repeat_rows=None))
    db.session.commit()


@pytest.fixture
def city(make_user):
    make_user("city", "admin", "530100", "City-pass-1")


@pytest.mark.parametrize("seed", [1, 2])
def test_kept_cells_write_the_bytes_the_answers_write(client, collect, city, seed):
    rng = random.Random(seed)
    for number in range(30):
        members = tuple((random_text(rng), str(rng.randint(0, 99))) for _ in range(rng.randint(0, 3)))
        location = rng.choice(["", "25.0406 102.7123 1891.5 4.8", "25 102 0 0", "-0.5 1e-3 12 3"])
        xml = visit_xml(f"uuid:s{seed}-{number}", person=random_text(rng), photo=None, location=location,
                        age=rng.choice(["67", "", "-1", "0"]), members=members)
        assert collect.submit(xml, []).status_code == 201
    edit = visit_xml(f"uuid:s{seed}-0-edit", person="=改过", photo=None, deprecated_id=f"uuid:s{seed}-0")
    assert collect.submit(edit, []).status_code == 201
    assert kept() == 31  # every version was applied, its cells kept (the superseded one's too, from before)
    sign_in(client, "city", "City-pass-1")
    copied = export(client)
    forget_all()
    written = export(client)
    assert copied == written
    assert written["visit.csv"].count(b"\r\n") > 30 and b"'=\xe6\x94\xb9" in written["visit.csv"]  # '=改…
    assert export_cells.refresh() == 30  # current versions only; the export copies them again
    assert export(client) == written


def test_new_columns_make_the_cells_stale_and_the_job_writes_them_again(client, collect, city):
    for number in range(3):
        assert collect.submit(visit_xml(f"uuid:c{number}", photo=None), []).status_code == 201
    old_key = db.session.scalar(select(SubmissionVersion.export_key))
    zh = "label::中文 (zh)"
    wider = build_xlsform(
        survey=[{"type": "text", "name": "person", zh: "姓名"}, {"type": "text", "name": "phone", zh: "电话"},
                {"type": "integer", "name": "age", zh: "年龄"}],
        settings={"form_id": "visit", "form_title": "入户访视（测试）", "version": "2026020101"})
    publish_form(wider, "visit.xlsx")
    db.session.commit()  # the export-cells job runs at the commit (the tests' queue runs jobs at once)
    keys = set(db.session.scalars(select(SubmissionVersion.export_key)))
    assert len(keys) == 1 and old_key not in keys
    sign_in(client, "city", "City-pass-1")
    copied = export(client)
    header, first = copied["visit.csv"].decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("SubmissionDate,person,phone,age,meta-instanceID,KEY,")
    assert ",王芳,,67,uuid:c0,uuid:c0," in first  # the new column blank, the rest where the new layout has it
    forget_all()
    assert export(client) == copied


def test_a_reader_who_sees_answers_masked_is_never_given_kept_cells(client, collect, make_user):
    assert collect.submit(visit_xml("uuid:m1", photo=None), []).status_code == 201
    make_user("huashan", "station", "530102001", "Station-pass-1")
    sign_in(client, "huashan", "Station-pass-1")
    db.session.execute(update(SubmissionVersion).values(export_cells="KEPT-CELLS-NOT-FOR-THIS-READER,"))
    db.session.commit()
    table = export(client)["visit.csv"]
    assert b"KEPT-CELLS" not in table and "王芳".encode() in table  # written from the answers, masked for them


def test_the_sweep_goes_on_from_where_it_stopped(client, collect, city):
    for number in range(3):
        assert collect.submit(visit_xml(f"uuid:w{number}", photo=None), []).status_code == 201
    forget_all()
    assert export_cells.refresh(batch=2) == 3  # in batches of two, to the end
    assert export_cells.refresh() == 0  # nothing stored since: nothing read again
    assert collect.submit(visit_xml("uuid:w3", photo=None), []).status_code == 201
    forget_all()  # the new one's cells lost (an applier that failed), and the older ones' too
    assert export_cells.refresh() == 1  # only what came after the last sweep is looked at
    assert kept() == 1
    sign_in(client, "city", "City-pass-1")
    assert export(client)["visit.csv"].count(b"uuid:w") == 8  # every row there all the same (KEY, instanceID)
