"""The dashboard and the printable A4 report in real headless Chromium: charts drawn against the 90 % line,
no script and no CSP violation, the print page laid out on A4 (screenshot and PDF in test-artifacts/)."""
import re

from tests.browser.conftest import ARTIFACTS, screenshot
from tests.integration.test_cases_from_visits import field_forms, follow_up, phone, register  # noqa: F401
from tests.integration.test_indicators_api import scenario  # noqa: F401
from tests.integration.test_reports import MONTH, commented  # noqa: F401


def test_dashboard_and_printable_report_in_chromium(page, live_server, commented, make_user):  # noqa: F811
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/dashboard")
    page.fill("input[name=username]", "wuhua")
    page.fill("input[name=password]", "Wuhua-pass-1")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/dashboard")
    assert page.locator("h1").inner_text().startswith("五华区")
    page.click("#period-this-month")  # the dashboard opens on last month; the scenario happens this month
    page.wait_for_url(f"**/dashboard?area=530102&period={MONTH}")

    coverage = page.locator("#chart-coverage")
    rows = coverage.locator("g.row")
    assert rows.count() == 2  # 五华区's two townships with stations in the scenario network
    huashan = coverage.locator("g.row", has_text="华山街道")
    track = huashan.locator("rect.track").bounding_box()
    bar = huashan.locator("rect.bar").bounding_box()
    assert abs(bar["width"] / track["width"] - 0.5) < 0.01  # 1 of 2 due cases visited
    target = coverage.locator("line.target").bounding_box()
    assert abs((target["x"] - track["x"]) / track["width"] - 0.9) < 0.01
    satisfaction = page.locator("#chart-satisfaction g.row", has_text="华山街道")
    assert satisfaction.locator("rect.bar").count() == 0  # 4 answers: too few to draw as success or failure
    assert page.locator("#chart-trend polyline").count() >= 1
    screenshot(page, "dashboard-county")

    page.click("#report-print")
    page.wait_for_url(re.compile(r".*/dashboard/print\?.*"))
    page.emulate_media(media="print")
    assert "五华区" in page.locator("h1").inner_text()
    assert page.locator("#print-comments tbody tr").count() == 1
    screenshot(page, "report-print-a4")
    pdf = page.pdf(path=str(ARTIFACTS / "report-print-a4.pdf"), prefer_css_page_size=True)
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert sizes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in sizes)  # A4 portrait
    assert problems == []


def test_charts_stay_readable_on_a_390_px_phone(page, live_server, commented, make_user):  # noqa: F811
    """The charts drawn at a phone's width: every text at least 11 px, labels of neighbouring rows apart, and
    the target's label above its line, not cut by it."""
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/dashboard?area=530102&period={MONTH}")
    page.fill("input[name=username]", "wuhua")
    page.fill("input[name=password]", "Wuhua-pass-1")
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert not page.locator("#chart-coverage").is_visible()  # the desktop drawing is not the one shown
    for chart in ("#chart-coverage-narrow", "#chart-satisfaction-narrow", "#chart-trend-narrow"):
        assert page.locator(chart).is_visible(), chart
        sizes = page.eval_on_selector_all(f"{chart} text", """texts => texts.map(t => {
            const svg = t.ownerSVGElement, scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return parseFloat(getComputedStyle(t).fontSize) * scale; })""")
        assert sizes and min(sizes) >= 11, (chart, min(sizes))
    labels = [page.locator("#chart-coverage-narrow g.row text.label").nth(i).bounding_box()
              for i in range(page.locator("#chart-coverage-narrow g.row").count())]
    assert all(upper["y"] + upper["height"] <= lower["y"] + 0.5 for upper, lower in zip(labels, labels[1:]))
    target_label = page.locator("#chart-coverage-narrow text.target-label").bounding_box()
    target_line = page.locator("#chart-coverage-narrow line.target").bounding_box()
    assert target_label["y"] + target_label["height"] <= target_line["y"] + 1  # the label sits above its line
    screenshot(page, "dashboard-county-phone")
