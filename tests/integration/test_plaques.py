"""Station plaques: 50 × 70 cm, the official name in a real Chinese font, a QR code that opens the feedback page."""
import re
from io import BytesIO
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import select

from server.adapters.glyphs import missing_characters
from server.extensions import db
from server.models import Station
from server.services.feedback import issue_station_link
from server.services.forms import publish_form
from tests.support.qr import decode_qr
from tests.support.web import sign_in

FORMS = Path(__file__).parents[2] / "forms"


@pytest.fixture
def feedback_form(network):
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    db.session.commit()


def scan(png: bytes) -> str:
    with Image.open(BytesIO(png)) as image:
        small = image.resize((image.width // 4, image.height // 4), Image.Resampling.NEAREST)
    out = BytesIO()
    small.save(out, format="PNG")
    return decode_qr(out.getvalue())


def test_png_plaque_is_50_by_70_cm_at_150_dpi_and_its_qr_opens_the_feedback_page(runner, client, feedback_form,
                                                                                    tmp_path):
    out = tmp_path / "plaque.png"
    result = runner.invoke(args=["plaque", "530102001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (2953, 4134)
        assert round(image.info["dpi"][0]) == 150
    url = scan(out.read_bytes())
    assert url.startswith("https://lastmeter.example.cn/f/") and "530102001" not in url
    page = client.get(url.removeprefix("https://lastmeter.example.cn"))
    assert page.status_code == 200 and "昆明市五华区华山街道社会工作服务站" in page.get_data(as_text=True)


def test_the_font_has_every_character_of_every_station_name(feedback_form):
    font, index = current_app.config["PLAQUE_FONT"], current_app.config["PLAQUE_FONT_INDEX"]
    for station in db.session.scalars(select(Station)):
        assert missing_characters(font, index, station.official_name) == [], station.official_name
    assert missing_characters(font, index, "昆明市禄劝彝族苗族自治县撒营盘镇社会工作服务站") == []
    assert missing_characters(font, index, "\U0001F600") == ["\U0001F600"]  # the check can fail


def test_pdf_plaque_is_vector_at_50_by_70_cm(runner, feedback_form, tmp_path):
    out = tmp_path / "plaque.pdf"
    assert runner.invoke(args=["plaque", "530102001", "--out", str(out)]).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    width, height = float(box.group(1)), float(box.group(2))
    assert abs(width - 500 / 25.4 * 72) < 1 and abs(height - 700 / 25.4 * 72) < 1
    assert b"/Subtype /Image" not in data  # text and QR code are vector shapes, not pictures


def test_reissued_plaque_has_a_new_link_and_the_old_stops_working(runner, client, feedback_form, tmp_path):
    first, second = tmp_path / "1.png", tmp_path / "2.png"
    runner.invoke(args=["plaque", "530102001", "--out", str(first)])
    issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    runner.invoke(args=["plaque", "530102001", "--out", str(second)])
    old, new = scan(first.read_bytes()), scan(second.read_bytes())
    assert old != new
    assert client.get(old.removeprefix("https://lastmeter.example.cn")).status_code == 410
    assert client.get(new.removeprefix("https://lastmeter.example.cn")).status_code == 200


def test_all_plaques_of_a_county(runner, feedback_form, tmp_path):
    result = runner.invoke(args=["plaque", "--county", "530102", "--out", str(tmp_path / "wuhua"),
                                 "--format", "png"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "wuhua").iterdir()) == ["530102001.png"]


def test_station_page_offers_the_plaque_and_the_workers_settings_qr(client, worker, make_user, feedback_form):
    from server.domain.collect_settings import read_qr_payload

    make_user("huashan", "station", "530102001", "Head-pass-1")
    sign_in(client, "huashan", "Head-pass-1")
    page = client.get("/stations/530102001").get_data(as_text=True)
    assert "plaque.pdf" in page and "collect-qr.png" in page
    with client.get("/stations/530102001/plaque.png?preview=1") as preview:
        with Image.open(BytesIO(preview.get_data())) as image:
            assert preview.status_code == 200 and image.width < 400
    with client.get("/stations/530102001/workers/worker1/collect-qr.png") as qr:
        settings = read_qr_payload(decode_qr(qr.get_data()).encode())
    assert settings["project"]["name"] == "昆明市五华区华山街道社会工作服务站"
    assert client.get("/stations/530103001/plaque.png").status_code == 404
    # revoking the worker's token invalidates the QR code at once
    from server.services.accounts import revoke_collect_tokens

    revoke_collect_tokens(worker)
    db.session.commit()
    path = settings["general"]["server_url"].removeprefix("https://lastmeter.example.cn")
    assert client.get(f"{path}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 403
