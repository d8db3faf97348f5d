"""A plan: one route per engineer and day, and every request not served, with a reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from dispatch.model import TimeWindow


class Reason(StrEnum):
    """Why a request is not on any route; machine-readable, stable across versions."""

    NO_ELIGIBLE_ENGINEER = "no_eligible_engineer"
    NO_ENGINEER_ON_SHIFT = "no_engineer_on_shift"
    OUT_OF_REACH = "out_of_reach"
    NO_CAPACITY = "no_capacity"
    OUTSIDE_HORIZON = "outside_horizon"
    PROMISED_OTHER_DAY = "promised_other_day"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class Stop:
    """One visit on a route. Travel figures are those of the leg that reaches it."""

    request_id: str
    slot: TimeWindow
    arrival: datetime
    start: datetime
    end: datetime
    travel_minutes: float
    travel_km: float


@dataclass(frozen=True, slots=True)
class Route:
    """One engineer's working day: the break, the visits in order, the way home."""

    engineer_id: str
    day: date
    stops: Sequence[Stop]
    break_window: TimeWindow | None
    return_travel_minutes: float
    return_travel_km: float


@dataclass(frozen=True, slots=True)
class Unassigned:
    """A request left out of every route, with a reason and a detail a dispatcher can act on."""

    request_id: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Plan:
    """The contract's plan document as domain values."""

    dates: Sequence[date]
    routes: Sequence[Route]
    unassigned: Sequence[Unassigned]
    kpis: Mapping[str, Any] = field(default_factory=dict)

    def stops(self) -> list[tuple[Route, Stop]]:
        """Every stop with its route, route by route."""
        return [(route, stop) for route in self.routes for stop in route.stops]
