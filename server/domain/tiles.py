"""Map tiles: the presets a county can switch on with one setting, each with its datum and attribution. Pure.

- ``tianditu`` (天地图): the national platform government sites use; needs a key (a browser key bound to the
  site's domain, from console.tianditu.gov.cn). Drawn in CGCS2000, which matches WGS-84 to within
  centimetres at map scale, so GPS points are drawn as recorded. Two layers: the map and its Chinese labels.
- ``amap`` (高德地图): drawn in GCJ-02, the offset datum Chinese law requires of commercial maps; points are
  shifted to match (``geo.for_tiles``).
- ``osm``: OpenStreetMap's tiles, WGS-84 (slow or blocked in parts of China; fine for tests and abroad).
- ``custom``: any Leaflet URL template, with its datum and attribution given in the settings.
"""
from __future__ import annotations

from dataclasses import dataclass

PRESETS = ("tianditu", "amap", "osm", "custom")
DATUMS = ("wgs84", "gcj02")

_TIANDITU = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s"
             "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s")


@dataclass(frozen=True)
class TileLayer:
    url: str              # a Leaflet URL template: {z}/{x}/{y}, and {s} for one of ``subdomains``
    subdomains: str = ""
    max_zoom: int = 18

    def as_dict(self) -> dict[str, object]:
        return {"url": self.url, "subdomains": self.subdomains, "maxZoom": self.max_zoom}


@dataclass(frozen=True)
class TileSource:
    preset: str
    datum: str            # what the tiles are drawn in: "wgs84" or "gcj02"
    attribution: str
    layers: tuple[TileLayer, ...]

    def image_origins(self) -> set[str]:
        """Where the browser fetches the tiles from, as Content-Security-Policy ``img-src`` sources."""
        return {_origin(layer.url) for layer in self.layers}


def tile_source(preset: str, tianditu_key: str = "", url: str = "", datum: str = "wgs84",
                attribution: str = "") -> TileSource | None:
    """The tiles the settings name, or None for none (the map then shows the point and says why)."""
    if preset == "tianditu":
        layers = tuple(TileLayer(_TIANDITU % (layer, layer, tianditu_key), "01234567") for layer in ("vec", "cva"))
        return TileSource("tianditu", "wgs84", "© 天地图 国家地理信息公共服务平台", layers)
    if preset == "amap":
        layer = TileLayer("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                          "&x={x}&y={y}&z={z}", "1234")
        return TileSource("amap", "gcj02", "© 高德地图 AutoNavi", (layer,))
    if preset == "osm":
        return TileSource("osm", "wgs84", "© OpenStreetMap contributors",
                          (TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", max_zoom=19),))
    if preset == "custom" and url:
        return TileSource("custom", datum, attribution, (TileLayer(url, "abc" if "{s}" in url else ""),))
    return None


def _origin(template: str) -> str:
    """The scheme and host of a URL template; a host label holding ``{s}`` widened to a wildcard
    (``t{s}.tianditu.gov.cn`` → ``*.tianditu.gov.cn``), as CSP allows wildcards only as a first label."""
    scheme, _, rest = template.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0]
    labels = host.split(".")
    if any("{s}" in label for label in labels):
        labels = ["*", *labels[next(i for i, label in enumerate(labels) if "{s}" in label) + 1:]]
    return f"{scheme}://{'.'.join(labels)}"
