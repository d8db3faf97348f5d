"""The travel interface the planner consumes; implementations live in ``data.travel``.

A road-network engine (OSRM, Valhalla) plugs in by implementing :class:`TravelModel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dispatch.model import Location


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """Whole seconds and whole metres from every point to every point, row = origin."""

    seconds: list[list[int]]
    meters: list[list[int]]


class TravelModel(Protocol):
    """Driving time and distance between points."""

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        """The full matrix between ``points``, computed in one go."""
        ...
