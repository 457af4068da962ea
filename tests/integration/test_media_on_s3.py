"""The app with its media in an S3-compatible bucket (moto's server on loopback): a visit's photo sent
by ODK Collect lands in the bucket, and comes back through the REST API — streamed through the app, or
as a redirect to a short-lived signed URL of the bucket."""
import hashlib
import os
import urllib.request
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from server.extensions import db
from server.models import Case
from server.services.media import download_origin
from tests.support.visit_form import visit_xml

IID = "uuid:5b0c3a52-7d1e-4f6a-9e0b-3c3c5e5e0001"
PHOTO_URL = f"/api/v1/submissions/{IID}/attachments/a.jpg"


def jpeg(width: int = 800, height: int = 600) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), (180, 40, 40)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


PHOTO = jpeg()
PHOTO_SHA256 = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def media_bucket(s3_server) -> str:
    return s3_server.create_bucket()


@pytest.fixture
def media_config(request, s3_server, media_bucket):
    """Media on the moto bucket; downloads proxied unless the test asks for ``redirect``."""
    return {**s3_server.app_config(media_bucket), "MEDIA_DOWNLOADS": getattr(request, "param", "proxy")}


@pytest.fixture(autouse=True)
def close_storage(app):
    yield
    app.extensions["media"].close()


@pytest.fixture
def county_headers(client, make_user):
    make_user("wuhua", "county", "530102", "Secret-pass-1")
    token = client.post("/api/v1/sessions", json={"username": "wuhua", "password": "Secret-pass-1"}).json["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def visit_with_photo(collect):
    response = collect.submit(visit_xml(IID, photo="a.jpg"), [("a.jpg", PHOTO)])
    assert response.status_code == 201, response.data


def fetch(client, url, headers):
    """Read a streamed file response and close it, as a WSGI server does."""
    with client.get(url, headers=headers) as response:
        response.get_data()
        return response


def download(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url) as response:
        return response.read(), response.headers["Content-Type"]


def test_a_photo_from_collect_is_kept_in_the_bucket_and_not_on_disk(app, s3_server, media_bucket, visit_with_photo):
    keys = s3_server.list_keys(media_bucket)
    assert f"blobs/{PHOTO_SHA256[:2]}/{PHOTO_SHA256[2:4]}/{PHOTO_SHA256}" in keys
    media_root = Path(app.config["MEDIA_ROOT"])
    assert not (media_root / "blobs").exists()
    assert list((media_root / "tmp").glob("*")) == []  # the spooled upload went once it was in the bucket


def test_photo_and_thumbnail_are_proxied_through_the_api(client, county_headers, visit_with_photo, s3_server,
                                                         media_bucket):
    original = fetch(client, PHOTO_URL, county_headers)
    assert original.status_code == 200 and original.get_data() == PHOTO
    assert original.mimetype == "image/jpeg" and original.headers["X-Content-Type-Options"] == "nosniff"
    thumb = fetch(client, f"{PHOTO_URL}?size=240", county_headers)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(BytesIO(thumb.get_data())).size) == 240
    assert f"derived/{PHOTO_SHA256[:2]}/{PHOTO_SHA256}-240.jpg" in s3_server.list_keys(media_bucket)
    assert download_origin(client.application.extensions["media"]) is None  # the pages need not allow another origin


@pytest.mark.parametrize("media_config", ["redirect"], indirect=True)
def test_with_redirect_downloads_photo_and_thumbnail_are_signed_urls_of_the_bucket(
        app, client, county_headers, visit_with_photo, s3_server):
    response = fetch(client, PHOTO_URL, county_headers)
    assert response.status_code == 302 and response.headers["Cache-Control"] == "no-store"
    location = response.headers["Location"]
    assert location.startswith(f"{s3_server.endpoint_url}/") and "X-Amz-Expires=300" in location
    assert download(location) == (PHOTO, "image/jpeg")
    # Pages' Content-Security-Policy has to let images come from there.
    assert download_origin(app.extensions["media"]) == s3_server.endpoint_url

    # A thumbnail is made (and sent from the app) the first time; from then on it is redirected too.
    made_already = app.extensions["media"].derived_exists(f"{PHOTO_SHA256}-240.jpg")
    first = fetch(client, f"{PHOTO_URL}?size=240", county_headers)
    assert first.status_code == (302 if made_already else 200)
    second = fetch(client, f"{PHOTO_URL}?size=240", county_headers)
    assert second.status_code == 302 and second.headers["Cache-Control"] == "no-store"
    data, content_type = download(second.headers["Location"])
    assert content_type == "image/jpeg" and max(Image.open(BytesIO(data)).size) == 240


@pytest.mark.parametrize("media_config", ["redirect"], indirect=True)
def test_with_redirect_a_file_that_is_not_what_its_name_says_is_never_a_signed_url(client, collect, county_headers):
    """The bucket would serve it inline under its name; the app sends it as an opaque download instead."""
    page = b"<html><script>alert(1)</script></html>"
    other = "uuid:5b0c3a52-7d1e-4f6a-9e0b-3c3c5e5e0002"
    assert collect.submit(visit_xml(other, photo="b.jpg"), [("b.jpg", page)]).status_code == 201
    response = fetch(client, f"/api/v1/submissions/{other}/attachments/b.jpg", county_headers)
    assert response.status_code == 200 and "Location" not in response.headers
    assert response.mimetype == "application/octet-stream" and response.get_data() == page
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("media_config", ["redirect"], indirect=True)
def test_scope_is_checked_before_any_url_is_signed(client, make_user, visit_with_photo):
    make_user("panlong", "county", "530103", "Secret-pass-1")
    token = client.post("/api/v1/sessions", json={"username": "panlong", "password": "Secret-pass-1"}).json["token"]
    response = fetch(client, PHOTO_URL, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 404 and "Location" not in response.headers


def test_a_failed_submission_leaves_nothing_in_the_bucket(collect, s3_server, media_bucket):
    # The photo reaches the bucket while the request runs; the other station's case then fails it.
    db.session.add(Case(id="22222222-2222-4222-8222-222222222222", label="外站", station_code="530103001"))
    db.session.commit()
    xml = visit_xml(IID, photo="a.jpg", case="22222222-2222-4222-8222-222222222222")
    assert collect.submit(xml, [("a.jpg", os.urandom(50_000))]).status_code == 403
    assert s3_server.list_keys(media_bucket) == []
