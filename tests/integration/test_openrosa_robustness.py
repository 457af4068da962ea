"""Hostile and huge submissions: refused fast, accepted without holding them in memory, never half-written."""
import os
import time
import tracemalloc
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from server.extensions import db
from server.models import Blob, Submission, SubmissionAttachment
from tests.support.collect import multipart_body, submission_parts
from tests.support.visit_form import visit_xml

IID = "uuid:9d7c1d5e-1111-4a4a-9b9b-000000000001"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<data id="visit" version="2026010101"><person>&lol9;</person><meta><instanceID>uuid:bomb</instanceID></meta></data>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<data id="visit" version="2026010101"><person>&xxe;</person><meta><instanceID>uuid:xxe</instanceID></meta></data>"""


def nothing_stored() -> bool:
    return all(db.session.scalar(select(func.count()).select_from(m)) == 0
               for m in (Submission, SubmissionAttachment, Blob))


def blob_files() -> list[Path]:
    return [p for p in (Path(current_app.config["MEDIA_ROOT"]) / "blobs").rglob("*") if p.is_file()]


def temp_files() -> list[Path]:
    tmp = Path(current_app.config["MEDIA_ROOT"]) / "tmp"
    return list(tmp.glob("*")) if tmp.exists() else []


def test_xml_bomb_is_refused_quickly_with_400(collect):
    started = time.monotonic()
    response = collect.submit(BILLION_LAUGHS, [])
    assert response.status_code == 400
    assert time.monotonic() - started < 2
    assert "DTD" in response.data.decode()
    assert nothing_stored()


def test_external_entity_is_refused_and_never_read(collect):
    response = collect.submit(EXTERNAL_ENTITY, [])
    assert response.status_code == 400 and b"root:" not in response.data
    assert nothing_stored()


def test_failure_after_files_arrived_leaves_no_rows_and_no_files(collect):
    # The photo is stored while the request runs; the forged case reference then fails it.
    from server.models import Case

    db.session.add(Case(id="22222222-2222-4222-8222-222222222222", label="外站", station_code="530103001"))
    db.session.commit()
    xml = visit_xml(IID, photo="a.jpg", case="22222222-2222-4222-8222-222222222222")
    response = collect.submit(xml, [("a.jpg", os.urandom(50_000))])
    assert response.status_code == 403
    assert nothing_stored() and blob_files() == [] and temp_files() == []


def test_upload_larger_than_the_limit_is_413_openrosa_xml(collect, app):
    app.config["MAX_CONTENT_LENGTH"] = 2_000_000
    body, content_type = multipart_body(submission_parts(visit_xml(IID, photo="a.jpg"),
                                                         [("a.jpg", b"x" * 2_500_000)]))
    response = collect.request("POST", "/submission", data=body, content_type=content_type)
    assert response.status_code == 413 and b"OpenRosaResponse" in response.data
    assert nothing_stored()


def test_100_mb_submission_is_accepted_without_holding_it_in_memory(collect, tmp_path):
    photo = "big_photo.jpg"
    boundary = "bigboundary0123456789"
    head, _ = multipart_body(submission_parts(visit_xml(IID, photo=photo), []), boundary)
    head = head[: -len(f"--{boundary}--\r\n")]
    part_head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{photo}"; filename="{photo}"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = 100_000_000 - len(head) - len(part_head) - len(tail)  # the whole body is exactly 100 MB
    body_path = tmp_path / "body.bin"
    chunk = os.urandom(1024 * 1024)
    with open(body_path, "wb") as out:
        out.write(head + part_head)
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write(chunk[: size % len(chunk)])
        out.write(tail)
    length = body_path.stat().st_size
    assert length == 100_000_000
    tracemalloc.start()
    try:
        with open(body_path, "rb") as stream:
            response = collect.request("POST", "/submission", input_stream=stream,
                                       content_type=f"multipart/form-data; boundary={boundary}",
                                       headers={"Content-Length": str(length)})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.data
    assert peak < 20 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB upload"
    attachment = db.session.scalars(select(SubmissionAttachment)).one()
    assert db.session.get(Blob, attachment.blob_sha256).size == size
    assert temp_files() == []
