"""The first screen means something: the dashboard opens on the last complete month (a county's monthly
report) with the 90 % target beside each rate, and a worker who signs in on the web is shown how to set up
ODK Collect rather than just refused."""
import base64
import re

from server.domain.clock import today_in_china
from server.domain.periods import last_complete_month, period_containing
from server.services import accounts
from server.extensions import db
from tests.support.web import sign_in


def test_the_dashboard_opens_on_the_last_complete_month_with_this_month_one_click_away(client, make_user):
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    sign_in(client, "wuhua", "Wuhua-pass-1")
    today = today_in_china()
    last, this = last_complete_month(today), period_containing(today)
    html = client.get("/dashboard").get_data(as_text=True)
    assert f"<h1>五华区 · {last.key}</h1>" in html
    assert f'id="period-this-month" href="/dashboard?area=530102&amp;period={this.key}"' in html
    assert "本月至今" in html
    tiles = re.findall(r'<p class="big">[^<]*<small class="target">([^<]*)</small>', html)
    assert tiles == ["目标 90 %", "目标 90 %"]  # coverage and satisfaction
    now = client.get(f"/dashboard?period={this.key}").get_data(as_text=True)
    assert f"<h1>五华区 · {this.key}</h1>" in now


def test_a_worker_signing_in_on_the_web_gets_their_forms_and_their_collect_qr(client, worker):
    response = sign_in(client, "worker1", "Huashan-2026")
    assert response.status_code == 302 and response.headers["Location"].endswith("/fill/")
    assert "填写表单" in client.get("/fill/").get_data(as_text=True)
    page = client.get("/fill/collect")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "ODK Collect" in html and html.count("<li>") >= 4
    image = re.search(r'id="collect-qr" src="data:image/png;base64,([^"]+)"', html)
    assert image and base64.b64decode(image.group(1)).startswith(b"\x89PNG")
    assert client.get("/submissions").headers["Location"].endswith("/fill/")  # not the office pages
    accounts.revoke_collect_tokens(worker)  # a lost phone: the old code must not be shown again
    db.session.commit()
    revoked = client.get("/fill/collect").get_data(as_text=True)
    assert 'id="collect-revoked"' in revoked and "collect-qr" not in revoked


def test_a_period_that_cannot_be_read_keeps_what_was_typed_with_the_reason_next_to_it(client, make_user):
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    sign_in(client, "wuhua", "Wuhua-pass-1")
    response = client.get("/dashboard?area=530102&period=2026-Q5")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="2026-Q5"' in page and 'aria-invalid="true"' in page  # what was typed is kept, marked
    assert 'id="error-period"' in page and "报告期 无效" in page and "2026-Q3" in page  # why, next to the field
    assert 'id="dashboard-form"' in page and "<nav>" in page  # the page itself, navigation in place
    assert last_complete_month(today_in_china()).key in page  # and the last complete month meanwhile
