"""Travel times from straight-line distance: geodesic (WGS-84) or planar benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pyproj import Geod

from dispatch.model import Location
from dispatch.rules import PLAUSIBLE_SPEED_KMH
from dispatch.travel import TravelMatrix

_WGS84 = Geod(ellps="WGS84")


@dataclass(frozen=True, slots=True)
class GeodesicTravel:
    """Road distance as the geodesic times a circuity factor, driven at a fixed speed.

    The geodesic is Karney's algorithm on WGS-84 (the one geopy uses), vectorised through
    PROJ so that a thousand points take about a second rather than minutes.
    """

    speed_kmh: float = 30.0
    circuity: float = 1.3

    def __post_init__(self) -> None:
        if self.circuity < 1.0:
            raise ValueError(f"circuity must be at least 1, got {self.circuity}")
        if not 0 < self.speed_kmh / self.circuity <= PLAUSIBLE_SPEED_KMH:
            raise ValueError(
                f"speed {self.speed_kmh} km/h over circuity {self.circuity} is not a plausible "
                f"straight-line speed (at most {PLAUSIBLE_SPEED_KMH} km/h)"
            )

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        """Whole metres (rounded up) and seconds (rounded up) between all points."""
        lat = np.array([p.lat for p in points], dtype=float)
        lon = np.array([p.lon for p in points], dtype=float)
        n = len(points)
        i, j = np.triu_indices(n, k=1)
        _, _, dist = _WGS84.inv(lon[i], lat[i], lon[j], lat[j])
        geo = np.zeros((n, n))
        geo[i, j] = dist
        geo[j, i] = dist
        meters = np.ceil(geo * self.circuity).astype(np.int64)
        seconds = np.ceil(meters * 3.6 / self.speed_kmh).astype(np.int64)
        return TravelMatrix(seconds=seconds.tolist(), meters=meters.tolist())

    def legs(self, origin: Location, points: Sequence[Location]) -> tuple[list[int], list[int]]:
        """Seconds and metres from ``origin`` to each point, as ``matrix`` would give them
        (the geodesic is symmetric): one row in a millisecond where the matrix takes the square."""
        lat = np.array([p.lat for p in points], dtype=float)
        lon = np.array([p.lon for p in points], dtype=float)
        _, _, dist = _WGS84.inv(np.full(len(points), origin.lon), np.full(len(points), origin.lat), lon, lat)
        meters = np.ceil(np.asarray(dist) * self.circuity).astype(np.int64)
        seconds = np.ceil(meters * 3.6 / self.speed_kmh).astype(np.int64)
        return seconds.tolist(), meters.tolist()


@dataclass(frozen=True, slots=True)
class PlanarTravel:
    """The VRPTW benchmarks' convention: Euclidean distance truncated to one decimal.

    One plane unit is reported as one "km"; its tenths are the integer unit of both time
    (seconds) and distance (``meters`` holds tenths × 100, so km = units).
    """

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        """Tenths of units as seconds; the same distance as metres (units × 1000)."""
        xy = np.array([(p.lat, p.lon) for p in points], dtype=float)
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        tenths = np.floor(10 * d).astype(np.int64)
        return TravelMatrix(seconds=tenths.tolist(), meters=(tenths * 100).tolist())
