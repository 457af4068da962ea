"""Distances on the earth (geopy's geodesic on WGS-84, GeographicLib underneath): the one module that imports it."""
from __future__ import annotations

from geopy.distance import geodesic

Point = tuple[float, float]  # (latitude, longitude), WGS-84 degrees, as phones record them


def distance_m(a: Point, b: Point) -> float:
    """Metres between two points along the ellipsoid."""
    return geodesic(a, b).meters


def destination(start: Point, metres: float, bearing_degrees: float) -> Point:
    """The point ``metres`` from ``start`` towards ``bearing_degrees`` (0 north, 90 east)."""
    point = geodesic(meters=metres).destination(start, bearing_degrees)
    return point.latitude, point.longitude
