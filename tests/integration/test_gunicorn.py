"""The production entry point: gunicorn with deploy/gunicorn.conf.py serves the app built from the environment,
takes a Collect submission with a photo, and never writes a Collect token into its access log."""
import json
import urllib.request

from sqlalchemy import func, select

from server.extensions import db
from server.models import Submission

from server.services.accounts import active_collect_token
from tests.support.collect import HEADERS, multipart_body, submission_parts
from tests.support.gunicorn import app_env, gunicorn
from tests.support.visit_form import visit_xml


def post(url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={**HEADERS, "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_gunicorn_serves_collect_and_keeps_tokens_out_of_its_log(app, worker, tmp_path):
    token = active_collect_token(worker).token
    log = tmp_path / "gunicorn.log"
    with gunicorn(app_env(app), log, workers=2) as server:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
            assert response.status == 200 and json.load(response)["status"] == "ok"
        body, content_type = multipart_body(submission_parts(visit_xml("uuid:g1"), [("1714558951234.jpg",
                                                                                     b"\xff\xd8\xff" + b"0" * 5000)]))
        assert post(f"{server.url}/key/{token}/submission", body, content_type) == 201
        assert post(f"{server.url}/key/{token}/submission", body, content_type) == 201  # Collect's retry, as Central
        assert post(f"{server.url}/key/{'x' * 40}/submission", body, content_type) == 403
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    text = log.read_text()
    assert f"/key/{token[:4]}…/submission" in text and token not in text
    assert "Booting worker" in text
