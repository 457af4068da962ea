"""The REST API against its own published OpenAPI document: the document describes every route, and
schemathesis, generating valid and invalid requests from it, never gets a server error or an undocumented
answer. Signed in as the city's admin over seeded data (stations, a worker, a form, cases, a submission
with a photo), on both databases, through the WSGI app (no network)."""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
from datetime import timedelta

import pytest
import schemathesis
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from server.domain.clock import today_in_china
from server.domain.station_rows import STAFF_COLUMNS, STATION_COLUMNS
from server.extensions import db
from server.models import Case, CaseCategoryLink
from server.services import case_import
from tests.integration.test_exports import JPEG_A
from tests.support.visit_form import visit_xml

ADMIN_PASSWORD = "Admin-pass-2026"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
SEEDED_PATH_PARAMETERS = {"case_id": "c-huashan", "instance_id": "uuid:fuzz-1", "name": "a.jpg",
                          "username": "worker1", "code": "530102001"}
# Each operation gets this many generated requests per database, valid and invalid alike; FUZZ_EXAMPLES=300
# for a deeper search (the examples are fixed by the Hypothesis profile of tests/conftest.py unless
# LASTMETER_EXPLORE=1).
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "20"))


@pytest.fixture
def admin_headers(client, make_user) -> dict[str, str]:
    make_user("admin", "admin", "530100", ADMIN_PASSWORD)
    token = client.post("/api/v1/sessions", json={"username": "admin", "password": ADMIN_PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def seeded(client, collect, admin_headers):
    """The admin's bearer headers, over two counties' stations, a worker with a visit and a photo, and cases."""
    today = today_in_china()
    for case_id, station, village in (("c-huashan", "530102001", "530102001001"),
                                      ("c-tuodong", "530103001", "530103001001")):
        case = Case(id=case_id, label=case_id, station_code=station, village_code=village, status="open",
                    next_due=today - timedelta(days=2), properties={"id_number": "53010219480502123X"},
                    registered_on=today - timedelta(days=100))
        case.categories = [CaseCategoryLink(category="destitute")]
        db.session.add(case)
    db.session.commit()
    assert collect.submit(visit_xml("uuid:fuzz-1", photo="a.jpg"), [("a.jpg", JPEG_A)]).status_code == 201
    return admin_headers


@pytest.fixture
def api_schema(app, seeded):
    def served_app(environ, start_response):
        """The app as a WSGI server runs it: a fresh ``g`` per request (the tests hold one app context), and
        the response read to its end and closed (schemathesis reads it but leaves closing to the server)."""
        g.__dict__.clear()
        chunks = app(environ, start_response)
        try:
            return [b"".join(chunks)]
        finally:
            getattr(chunks, "close", lambda: None)()

    # Signing out would end the run's session: that operation is proven by its own tests.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", served_app)
    schema.config.generation.update(with_security_parameters=False)  # the admin's token is sent with each request
    return schema.exclude(method="DELETE", path="/sessions/current")


# Uploads the importers can read: a CSV under the file's own columns (all of them, in any order, a few left out),
# with cells from the vocabulary of real registers and station records and arbitrary text; or an .xlsx of
# arbitrary bytes. Generated from the document alone, every upload would be named "file" and refused unread.
UPLOAD_COLUMNS = {"POST /cases/import": case_import.REQUIRED_COLUMNS + case_import.OPTIONAL_COLUMNS,
                  "POST /stations/import": STATION_COLUMNS, "POST /stations/staff/import": STAFF_COLUMNS,
                  "POST /forms": ("type", "name", "label")}
CELLS = st.sampled_from(["", " ", "530102001", "530102001001", "530103001", "530100", "destitute", "低保对象、残疾人",
                         "2026-01-01", "2026-02-30", "20260101", "purchased", "government", "operating", "female", "1",
                         "-1", "1e309", "10000001", "张桂英", "53010219480502123X", "53010219480502123", "worker1",
                         "=HYPERLINK(\"x\")", "social_worker", "local", "a\x00b"]) | st.text(max_size=12)


@st.composite
def uploads(draw, columns: tuple[str, ...]) -> tuple[str, bytes]:
    if draw(st.booleans()):
        return "upload.xlsx", draw(st.binary(max_size=200) | st.just(b"PK\x03\x04" + bytes(40)))
    header = draw(st.permutations(columns).flatmap(lambda c: st.lists(st.sampled_from(c), unique=True, min_size=1)))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header) + 1), max_size=4))
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return "upload.csv", text.getvalue().encode(encoding, errors="replace")


def test_generated_requests_get_no_server_error_and_documented_answers(api_schema, seeded, client, subtests):
    for result in api_schema.get_all_operations():
        operation = result.ok()
        requests = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))
        known = {name: value for name, value in SEEDED_PATH_PARAMETERS.items() if f"{{{name}}}" in operation.path}
        if known:  # random ids only ever meet 404: aim a share of the requests at what exists
            requests |= operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)
        requests = requests.map(lambda case: (case, None))
        if operation.label in UPLOAD_COLUMNS:
            requests |= st.tuples(operation.as_strategy(GenerationMode.POSITIVE), uploads(UPLOAD_COLUMNS[operation.label]))

        @settings(max_examples=EXAMPLES_PER_OPERATION, suppress_health_check=list(HealthCheck))
        @given(request=requests)
        def answers_properly(request):
            case, upload = request
            if upload is None:
                case.call_and_validate(headers=seeded, checks=CHECKS)
                return
            # schemathesis names every file part after its field; the importers need a file name they can read
            name, content = upload
            response = client.post(operation.full_path, headers=seeded, content_type="multipart/form-data",
                                   data={"file": (io.BytesIO(content), name)})
            case.validate_response(response, checks=CHECKS)

        with subtests.test(msg=operation.label):
            answers_properly()


def test_the_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.json["openapi"].startswith("3.")
    described = {(path, method) for path, operations in document.json["paths"].items() for method in operations}
    routed = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed - described == set(), "routes missing from server/api/openapi.py"
    assert described - routed == set(), "described operations with no route"


def test_the_document_is_public_and_names_the_error_shape(client):
    document = client.get("/api/v1/openapi.json").json
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "message_en", "details"}
    assert document["paths"]["/sessions"]["post"]["security"] == []
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# --- what the fuzzing found, kept as stories ------------------------------------------------------

@pytest.mark.parametrize("query", ["station=530102001&station=530103001", "limit=5&limit=500"])
def test_an_argument_given_twice_is_refused_not_half_read(client, admin_headers, query):
    response = client.get(f"/api/v1/cases?{query}", headers=admin_headers)
    assert response.status_code == 400 and response.json["code"] == "400.1"
    assert list(response.json["details"]["fields"]) == [query.split("=")[0]]


@pytest.mark.parametrize("days", [True, False, "30", 30.0, None, [30]])
def test_visit_interval_days_must_be_a_whole_number_not_a_boolean(client, admin_headers, days):
    response = client.put("/api/v1/visit-intervals/destitute", json={"days": days}, headers=admin_headers)
    assert response.status_code == 400 and response.json["code"] == "400.1"
    assert client.get("/api/v1/visit-intervals", headers=admin_headers).json["intervals"]["destitute"] == 30


@pytest.mark.parametrize("path", ["/api/v1/indicators?to=0001-01-01", "/api/v1/indicators?from=0002-01-01",
                                  "/api/v1/submissions?from=0001-01-01", "/api/v1/submissions?to=9999-12-31",
                                  "/api/v1/submissions/export?format=geojson&to=9999-12-31",
                                  "/api/v1/audit?from=0001-01-01", "/api/v1/audit?to=2101-01-01"])
def test_days_off_the_calendars_edge_are_refused_not_a_server_error(client, admin_headers, path):
    response = client.get(path, headers=admin_headers)
    assert response.status_code == 400 and response.json["code"] == "400.1", response.json


def test_the_first_and_last_days_a_query_may_name_are_answered(client, admin_headers):
    for path in ("/api/v1/indicators?from=2000-01-01&to=2100-12-31", "/api/v1/submissions?from=2000-01-01&to=2100-12-31",
                 "/api/v1/audit?from=2000-01-01&to=2100-12-31"):
        assert client.get(path, headers=admin_headers).status_code == 200, path


@pytest.mark.parametrize("request_args", [
    ("GET", "/api/v1/indicators?area=%00", None), ("GET", "/api/v1/cases/a%00b", None),
    ("GET", "/api/v1/submissions?worker=%00", None), ("GET", "/api/v1/cases?%00=1", None),
    ("PUT", "/api/v1/visit-intervals/destitute", {"days": 30, "note": ["\u0000"]}),
    ("POST", "/api/v1/sessions", {"username": "admin\u0000", "password": ADMIN_PASSWORD})])
def test_a_nul_character_is_refused_before_any_query(client, admin_headers, request_args):
    """PostgreSQL cannot store U+0000 and failed the first query naming one with a 500 (found by the fuzzing)."""
    method, path, body = request_args
    response = client.open(path, method=method, json=body, headers=admin_headers)
    assert response.status_code == 400 and response.json["code"] == "400.1", response.json
    assert "NUL" in response.json["message_en"]


def test_a_nul_character_is_refused_to_collect_in_openrosa_xml(collect):
    response = collect.get("/forms/visit%00.xml")
    assert response.status_code == 400 and response.mimetype == "text/xml"
    assert b"NUL" in response.data


@pytest.mark.parametrize("path,table", [
    ("/api/v1/cases/import", "full_name,category,village_code\na\x00b,destitute,530102001001\n"),
    ("/api/v1/stations/import", "code,operator_name\n530102001,a\x00b\n")])
def test_a_nul_character_in_an_imported_table_is_refused(client, admin_headers, path, table):
    """PostgreSQL failed the import's first insert with a 500 (SQLite stored the NUL)."""
    response = client.post(path, headers=admin_headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(table.encode()), "register.csv")})
    assert response.status_code == 400 and response.json["code"] == "400.1", response.json
    assert "NUL" in response.json["message_en"]


@pytest.mark.parametrize("method,path,body", [
    ("PUT", "/api/v1/visit-intervals/destitute", {"days": 4, "": None}),
    ("POST", "/api/v1/cases/c-huashan/erasure", {"reason": "本人申请", "members": False})])
def test_a_json_body_with_an_unknown_key_is_refused_not_half_read(client, seeded, method, path, body):
    response = client.open(path, method=method, json=body, headers=seeded)
    assert response.status_code == 400 and response.json["code"] == "400.1", response.json
    assert client.get("/api/v1/visit-intervals", headers=seeded).json["intervals"]["destitute"] == 30
    assert client.get("/api/v1/cases/c-huashan", headers=seeded).json["erased_at"] is None


# --- the shapes schemathesis does not generate: bodies nested past any schema, and forged keyset cursors ---

LEAVES = st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.text(max_size=8) | \
    st.floats(allow_nan=False, allow_infinity=False) | st.datetimes().map(lambda d: d.isoformat())
JSON_VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4),
                                                                                               inner, max_size=3),
                           max_leaves=12)


@st.composite
def nested_bodies(draw) -> str:
    """JSON nested anywhere from a few to 100 000 levels, in arrays or objects, around a valid-looking body."""
    depth = draw(st.sampled_from([0, 1, 31, 32, 33, 200, 1_000, 100_000]) | st.integers(0, 3_000))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"days":[', "]}")]))
    core = json.dumps(draw(JSON_VALUES))
    return opening * depth + core + closing * depth


@st.composite
def forged_cursors(draw) -> str:
    values = draw(st.lists(JSON_VALUES, max_size=4) | st.tuples(LEAVES, LEAVES).map(list))
    raw = json.dumps(values).encode()
    if draw(st.booleans()):
        raw = draw(st.binary(max_size=64))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=" if draw(st.booleans()) else "")


def _operations(document: dict, wanted) -> list[tuple[str, str]]:
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if wanted(operation):
                url = "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: SEEDED_PATH_PARAMETERS.get(m.group(1), "x"), path)
                found.append((method.upper(), url))
    return found


def test_nested_json_bodies_and_forged_cursors_get_no_server_error(client, seeded):
    """Every operation taking JSON gets bodies nested up to 100 000 deep; every keyset list, forged cursors
    (ids past both databases' integers, booleans, naive and far-off times, bytes that are no JSON)."""
    document = client.get("/api/v1/openapi.json").json
    with_bodies = _operations(document, lambda op: "application/json" in op.get("requestBody", {}).get("content", {}))
    with_cursors = _operations(document, lambda op: any(p.get("name") == "cursor" for p in op.get("parameters", [])))
    assert with_bodies and len(with_cursors) >= 3, (with_bodies, with_cursors)

    @settings(max_examples=EXAMPLES_PER_OPERATION * 3, suppress_health_check=list(HealthCheck))
    @given(body=nested_bodies(), cursor=forged_cursors(), which=st.integers(0, 1_000))
    def never_a_server_error(body, cursor, which):
        method, url = with_bodies[which % len(with_bodies)]
        response = client.open(url, method=method, data=body, content_type="application/json", headers=seeded)
        assert response.status_code < 500, (method, url, body[:80], response.get_data(as_text=True)[:300])
        method, url = with_cursors[which % len(with_cursors)]
        response = client.open(f"{url}?cursor={cursor}", method=method, headers=seeded)
        assert response.status_code in (200, 400), (url, cursor, response.get_data(as_text=True)[:300])

    never_a_server_error()
