"""An export of 200 000 submissions keeps the process's memory flat: the CSV zip is streamed while the
rows are read in batches, so what Python holds at its peak is a small fraction of what is sent."""
import csv
import ctypes
import gc
import hashlib
import io
import os
import resource
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, literal, select, text

from server.extensions import db
from server.models import Form, Submission, SubmissionVersion
from tests.support.web import sign_in

SUBMISSIONS = 200_000
DISTINCT = 10_000  # inserted one by one (executemany); then copied in the database under new ids
CHUNK_ROWS = 5_000
MEMBERS = 2
# The bounds: a few batches' worth of rows and the zip's buffers, nowhere near the export itself (over
# 100 MB of CSV). Holding every row would take hundreds of megabytes and millions of Python objects.
# (The process's memory is measured, not tracemalloc's: tracing every allocation makes this export
# four times slower, past any reasonable test time.)
RSS_GROWTH_LIMIT = 40 * 1024 * 1024
BLOCKS_GROWTH_LIMIT = 500_000


def bulk_insert_submissions(count: int, station_code: str, submitter_id: int) -> None:
    """Rows straight into the tables, as ingestion would leave them: ``DISTINCT`` submissions with their
    own answers by executemany in chunks, then copies of them (new ids and instanceIDs) until ``count``."""
    form = db.session.scalars(select(Form).where(Form.xml_form_id == "visit")).one()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    xml = b"<data id='visit'/>"
    xml_sha256 = hashlib.sha256(xml).hexdigest()
    distinct = min(count, DISTINCT)
    for first in range(1, distinct + 1, CHUNK_ROWS):
        submissions, versions = [], []
        for n in range(first, min(first + CHUNK_ROWS, distinct + 1)):
            instance_id = f"uuid:00000000-0000-4000-8000-{n:012d}"
            created_at = start + timedelta(seconds=n)
            submissions.append({"id": n, "form_id": form.id, "instance_id": instance_id, "station_code": station_code,
                                "submitter_id": submitter_id, "review_state": "received", "created_at": created_at,
                                "visit_date": created_at.date()})
            versions.append({
                "id": n, "submission_id": n, "instance_id": instance_id, "current": True,
                "form_version_id": form.current_version_id, "xml": xml, "xml_sha256": xml_sha256,
                "data": _values(n, instance_id), "instance_name": f"对象{n}", "latitude": 25 + n / 1e7,
                "longitude": 102 + n / 1e7, "accuracy": 4.5, "submitter_id": submitter_id,
                "device_id": "collect:AbCdEfGh12345678", "created_at": created_at})
        db.session.execute(insert(Submission.__table__), submissions)
        db.session.execute(insert(SubmissionVersion.__table__), versions)
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics before copying: a connection reused from earlier tests may otherwise keep
        # foreign-key check plans made when the tables were empty (a scan per inserted row).
        db.session.commit()
        db.session.execute(text("ANALYZE submission, submission_version, form_version, user_account"))
    for copy in range(1, -(-count // distinct)):
        _copy_rows(Submission.__table__, copy * distinct, f"-{copy}", count)
        _copy_rows(SubmissionVersion.__table__, copy * distinct, f"-{copy}", count)
    db.session.commit()


def _copy_rows(table, offset: int, suffix: str, count: int) -> None:
    """INSERT … SELECT of the first rows under ids shifted by ``offset`` and instanceIDs ending in ``suffix``."""
    shifted = {"id": table.c.id + offset, "instance_id": table.c.instance_id + literal(suffix)}
    if "submission_id" in table.c:
        shifted["submission_id"] = table.c.submission_id + offset
    names = [c.name for c in table.c]
    source = select(*[shifted.get(name, table.c[name]) for name in names]) \
        .where(table.c.id <= min(DISTINCT, count - offset))
    db.session.execute(insert(table).from_select(names, source))


def _values(n: int, instance_id: str) -> dict:
    return {"case": f"case-{n % 997}", "person": f"测试对象{n}号 · 团结社区{n % 89}组", "age": 20 + n % 70,
            "income": round(500 + n * 0.37, 2), "visit_date": "2026-11-20", "needs": ["care", "money"][: 1 + n % 2],
            "location": {"latitude": 25 + n / 1e7, "longitude": 102 + n / 1e7, "altitude": 1890.5, "accuracy": 4.5},
            "photo": f"{1714558951234 + n}.jpg", "photo2": None,
            "member": [{"member_name": f"成员{n}-{m}", "member_age": (n + m) % 90} for m in range(MEMBERS)],
            "meta": {"instanceID": instance_id, "instanceName": f"对象{n}"}}


def release_free_memory() -> None:
    """Hand memory the seeding freed back to the system, so that what the export takes shows in RSS."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_resident_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


# Province scale is PostgreSQL's (its cursor is the one that could hold every row); the export code is the same
# on SQLite, whose path the smaller export tests run.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_200_000_submission_csv_export_streams_in_flat_memory(client, worker, make_user):
    make_user("city", "admin", "530100", "City-pass-1")
    started = time.monotonic()
    bulk_insert_submissions(SUBMISSIONS, "530102001", worker.id)
    if db.engine.dialect.name == "postgresql":
        # Statistics, as autovacuum gathers after a bulk load; without them the planner guesses a
        # couple of rows and sorts all remaining ones for every batch.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    inserted = time.monotonic()
    db.session.expunge_all()
    sign_in(client, "city", "City-pass-1")

    with tempfile.TemporaryFile() as out:
        release_free_memory()
        rss_before, rss_peak = resident_bytes(), 0
        max_rss_before = peak_resident_bytes()
        blocks_before, blocks_peak = sys.getallocatedblocks(), 0
        response = client.get("/submissions/export?format=csv&form=visit")
        try:
            assert response.status_code == 200
            sent = chunks = 0
            for chunk in response.iter_encoded():  # chunk by chunk, as a WSGI server sends them
                out.write(chunk)
                sent += len(chunk)
                chunks += 1
                rss_peak = max(rss_peak, resident_bytes())
                blocks_peak = max(blocks_peak, sys.getallocatedblocks())
        finally:
            response.close()
        max_rss_after = peak_resident_bytes()
        exported = time.monotonic()
        out.seek(0)
        with zipfile.ZipFile(out) as archive:
            data_size = sum(info.file_size for info in archive.infolist())
            counts = {name: _count_rows(archive, name) for name in archive.namelist()}

    # ru_maxrss is the process's all-time peak: if the export raised it, that is the export's peak.
    rss_growth = max(rss_peak, max_rss_after if max_rss_after > max_rss_before else 0) - rss_before
    blocks_growth = blocks_peak - blocks_before
    report = (f"{db.engine.dialect.name}: {SUBMISSIONS} submissions; CSV {data_size / 2**20:.1f} MB "
              f"({sent / 2**20:.1f} MB zipped, {chunks} chunks); peak RSS growth {rss_growth / 2**20:.1f} MB; "
              f"peak Python blocks growth {blocks_growth}; insert {inserted - started:.1f} s, "
              f"export {exported - inserted:.1f} s")
    print(report)
    assert counts == {"visit.csv": SUBMISSIONS, "visit-member.csv": SUBMISSIONS * MEMBERS}, report
    assert data_size > 100 * 1024 * 1024, report
    assert rss_growth < RSS_GROWTH_LIMIT and rss_growth < data_size / 4, report
    assert blocks_growth < BLOCKS_GROWTH_LIMIT, report


def _count_rows(archive: zipfile.ZipFile, name: str) -> int:
    with archive.open(name) as entry:
        reader = csv.reader(io.TextIOWrapper(entry, encoding="utf-8-sig", newline=""))
        next(reader)
        return sum(1 for _row in reader)
