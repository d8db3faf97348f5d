"""Straight-line distance, the floor under every leg's travel (contract rule 7)."""

from __future__ import annotations

import math

from geopy.distance import geodesic

from dispatch.model import Location


def straight_km(a: Location, b: Location, planar: bool = False) -> float:
    """The shortest possible distance between two points, in km (plane units if planar).

    WGS-84 points use the ellipsoidal geodesic (geopy, Karney's algorithm). Plane points
    use the Euclidean distance truncated to one decimal, the benchmarks' convention.
    """
    if planar:
        dx, dy = a.lat - b.lat, a.lon - b.lon
        return math.floor(10 * math.sqrt(dx * dx + dy * dy)) / 10
    return float(geodesic((a.lat, a.lon), (b.lat, b.lon)).km)
