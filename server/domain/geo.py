"""Map coordinates. Pure.

Phones record WGS-84 (GPS). Map tiles from Chinese providers (AutoNavi/Gaode, Tencent…) are
drawn in GCJ-02, the obfuscated datum Chinese law requires, offset from WGS-84 by up to a few
hundred metres; a WGS-84 point drawn on them lands in the wrong courtyard. This is the
published GCJ-02 forward transform (Krasovsky ellipsoid parameters); outside China the two
datums coincide.
"""
from __future__ import annotations

import math

A = 6378245.0
EE = 0.00669342162296594323


def out_of_china(latitude: float, longitude: float) -> bool:
    return not (72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271)


def _lat_offset(x: float, y: float) -> float:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    value += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return value


def _lon_offset(x: float, y: float) -> float:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    value += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return value


def wgs84_to_gcj02(latitude: float, longitude: float) -> tuple[float, float]:
    if out_of_china(latitude, longitude):
        return latitude, longitude
    d_lat = _lat_offset(longitude - 105.0, latitude - 35.0)
    d_lon = _lon_offset(longitude - 105.0, latitude - 35.0)
    rad = latitude / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (A / sqrt_magic * math.cos(rad) * math.pi)
    return latitude + d_lat, longitude + d_lon


def for_tiles(latitude: float, longitude: float, datum: str) -> tuple[float, float]:
    """The point to draw on tiles of the given datum ('wgs84' or 'gcj02')."""
    return wgs84_to_gcj02(latitude, longitude) if datum == "gcj02" else (latitude, longitude)
