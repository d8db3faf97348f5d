"""The scenario: branches, engineers, shifts, repair requests and the slot grid.

All times are timezone-aware ``datetime`` values in the service area's zone; durations
are ``timedelta``. Identifiers are the contract's strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from dispatch.travel import TravelModel

DEFAULT_ZONE = "Asia/Shanghai"


class Priority(StrEnum):
    """How urgent a request is; emergencies are safety faults served the same day."""

    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"


@dataclass(frozen=True, slots=True)
class Location:
    """A point: WGS-84 degrees, or plane coordinates when the problem is planar."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Branch:
    """A service outlet (网点); beyond ``service_radius_km`` (straight line) a visit is remote.

    ``None`` takes the default radius of :mod:`dispatch.offers`.
    """

    branch_id: str
    name: str
    location: Location
    service_radius_km: float | None = None


@dataclass(frozen=True, slots=True)
class Engineer:
    """A field engineer; ``home`` is where each working day starts and ends."""

    engineer_id: str
    name: str
    branch_id: str
    skills: frozenset[str]
    home: Location
    max_jobs: int | None = None
    phone: str = ""
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class Shift:
    """One working day of one engineer, with an optional flexible break.

    ``start_location`` is where the engineer sets off from at ``start`` when that is not
    home (a re-plan of the rest of the day); the day still ends at home.
    """

    engineer_id: str
    day: date
    start: datetime
    end: datetime
    break_earliest: datetime | None = None
    break_latest: datetime | None = None
    break_duration: timedelta = timedelta(0)
    start_location: Location | None = None

    @property
    def break_starts(self) -> tuple[datetime, datetime] | None:
        """When the break may start, kept inside the shift; ``None`` when the shift has no
        break or no room for one (its window lies too close to the shift's end)."""
        if self.break_earliest is None or self.break_latest is None or self.break_duration <= timedelta(0):
            return None
        earliest = max(self.break_earliest, self.start)
        latest = min(self.break_latest, self.end - self.break_duration)
        return (earliest, latest) if earliest <= latest else None

    @property
    def has_break(self) -> bool:
        """Whether the shift carries a break that a working route must take."""
        return self.break_starts is not None


@dataclass(frozen=True, slots=True)
class SlotTemplate:
    """One appointment slot of the daily grid, as times of day."""

    start: time
    end: time

    def on(self, day: date, zone: ZoneInfo) -> TimeWindow:
        """The slot as a concrete window on ``day``."""
        return TimeWindow(datetime.combine(day, self.start, zone), datetime.combine(day, self.end, zone))


@dataclass(frozen=True, slots=True, order=True)
class TimeWindow:
    """A closed interval of wall-clock time."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside the window, both ends included."""
        return self.start <= moment <= self.end


@dataclass(frozen=True, slots=True)
class Appointment:
    """A visit window already promised to the customer."""

    day: date
    window: TimeWindow


@dataclass(frozen=True, slots=True)
class Request:
    """A repair request (报修): where, what skills, how long, and when it may be served."""

    request_id: str
    location: Location
    product: str
    priority: Priority
    duration: timedelta
    required_skills: frozenset[str]
    received_at: datetime | None = None
    promised: Appointment | None = None
    earliest_date: date | None = None
    latest_date: date | None = None
    preferred_engineer_id: str | None = None
    demand: int = 0
    customer: str = ""
    phone: str = ""
    address: str = ""
    fault: str = ""


@dataclass(frozen=True)
class Problem:
    """Everything a plan is made from: the scenario and the days to plan.

    ``planar`` marks benchmark problems whose coordinates are plane units rather than
    WGS-84 degrees; it changes only how travel plausibility is judged.
    """

    branches: Sequence[Branch]
    engineers: Sequence[Engineer]
    shifts: Sequence[Shift]
    requests: Sequence[Request]
    slots: Sequence[SlotTemplate]
    dates: Sequence[date]
    travel: TravelModel
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    planar: bool = False
    name: str = "scenario"

    def __post_init__(self) -> None:
        if not self.dates:
            raise ValueError("a problem plans at least one date")
        if list(self.dates) != sorted(set(self.dates)):
            raise ValueError("the planned dates must be distinct and in order")

    @cached_property
    def engineer_by_id(self) -> Mapping[str, Engineer]:
        """Engineers keyed by id."""
        return {e.engineer_id: e for e in self.engineers}

    @cached_property
    def request_by_id(self) -> Mapping[str, Request]:
        """Requests keyed by id."""
        return {r.request_id: r for r in self.requests}

    @cached_property
    def branch_by_id(self) -> Mapping[str, Branch]:
        """Branches keyed by id."""
        return {b.branch_id: b for b in self.branches}

    @cached_property
    def shift_by_key(self) -> Mapping[tuple[str, date], Shift]:
        """Shifts keyed by (engineer id, day)."""
        return {(s.engineer_id, s.day): s for s in self.shifts}

    def slot_windows(self, day: date) -> list[TimeWindow]:
        """The grid's slots on ``day``, in time order."""
        return sorted(s.on(day, self.zone) for s in self.slots)
