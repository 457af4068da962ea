"""Maps in real Chromium against a tile server on loopback: tiles are drawn, a phone's WGS-84 point lands on
GCJ-02 tiles where it truly is, the visit map clusters and colours the filtered visits, and a map without
tiles says so in words."""
from __future__ import annotations

import math

import pytest

from server.domain.geo import wgs84_to_gcj02
from tests.browser.conftest import screenshot
from tests.browser.test_supervisor_review import sign_in, visits  # noqa: F401
from tests.support.tiles import TileServer

POINT = (25.0406, 102.7123)  # where tests/support/visit_form.py's visits are recorded (WGS-84)


@pytest.fixture(scope="module")
def tile_server():
    server = TileServer()
    yield server
    server.stop()


@pytest.fixture
def live_config(tile_server):
    return {"MAP_TILES": "custom", "MAP_TILE_URL": f"{tile_server.url}/{{z}}/{{x}}/{{y}}.png",
            "MAP_TILE_DATUM": "gcj02", "MAP_TILE_ATTRIBUTION": "测试底图"}


def _tile_pixel(latitude: float, longitude: float, zoom: int) -> tuple[int, int, float, float]:
    """Web Mercator: the tile holding the point at ``zoom``, and the point's pixel offset within it."""
    scale = 256 * 2 ** zoom
    x = (longitude + 180) / 360 * scale
    y = (1 - math.log(math.tan(math.radians(latitude)) + 1 / math.cos(math.radians(latitude))) / math.pi) / 2 * scale
    return int(x // 256), int(y // 256), x % 256, y % 256


def test_a_visit_is_drawn_on_gcj02_tiles_where_it_truly_is(page, live_server, visits, tile_server):  # noqa: F811
    sign_in(page, live_server)
    page.goto(f"{live_server}/submissions/uuid:a1")
    page.wait_for_selector("#map.ready")
    page.wait_for_function("() => document.querySelectorAll('#map img.leaflet-tile-loaded').length > 0")
    assert any(path.startswith("/16/") for path in tile_server.requested)  # drawn at the page's zoom
    latitude, longitude = wgs84_to_gcj02(*POINT)
    tile_x, tile_y, offset_x, offset_y = _tile_pixel(latitude, longitude, 16)
    tile = page.locator(f"#map img.leaflet-tile[src$='/16/{tile_x}/{tile_y}.png']")
    page.wait_for_function(f"() => document.querySelector(\"#map img[src$='/16/{tile_x}/{tile_y}.png']\")"
                           ".classList.contains('leaflet-tile-loaded')")
    box = tile.bounding_box()
    marker = page.locator("#map path.leaflet-interactive").first.bounding_box()
    centre = (marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
    assert abs(centre[0] - (box["x"] + offset_x)) < 2 and abs(centre[1] - (box["y"] + offset_y)) < 2
    # The same point taken as WGS-84 would sit visibly elsewhere on these tiles: the shift is real at this zoom.
    _x, _y, raw_x, raw_y = _tile_pixel(*POINT, 16)
    assert (_x, _y) != (tile_x, tile_y) or math.hypot(raw_x - offset_x, raw_y - offset_y) > 50
    assert "测试底图" in page.locator("#map .leaflet-control-attribution").inner_text()
    assert page.locator("#no-tiles").count() == 0
    screenshot(page, "map-visit-gcj02")


def test_the_visit_map_clusters_and_colours_the_filtered_visits(page, live_server, visits):  # noqa: F811
    sign_in(page, live_server)
    page.click("nav >> text=走访地图")
    page.wait_for_selector("#visit-map.ready")
    assert page.locator("#map-count").inner_text() == "地图上共 2 次走访"  # 华山's two; 拓东's is not 五华区's
    page.wait_for_function("() => document.querySelectorAll('#visit-map img.leaflet-tile-loaded').length > 0")
    # Two visits at one spot: one cluster of 2 until zoomed in
    page.wait_for_function("() => document.querySelectorAll('#visit-map .marker-cluster').length === 1")
    assert page.locator("#visit-map .marker-cluster").inner_text().strip() == "2"
    assert page.locator("#legend-state").is_visible() and not page.locator("#legend-risk").is_visible()
    page.select_option("#colour-by", "risk")
    assert page.locator("#legend-risk").is_visible()
    screenshot(page, "map-visits")
    page.goto(f"{live_server}/visits/map?review_state=approved")
    page.wait_for_selector("#visit-map.ready")
    assert page.locator("#map-count").inner_text() == "没有符合筛选条件且带定位的走访。"
    points = page.request.get(f"{live_server}/visits/map.json").json()
    assert {p["url"] for p in points["points"]} == {"/submissions/uuid:a1", "/submissions/uuid:a2"}
    assert points["points"][0]["state_label"] == "已收到" and points["total"] == 2
