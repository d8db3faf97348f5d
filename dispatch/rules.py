"""The business rules, each in one place: the solver encodes them, the validator checks them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dispatch.model import Engineer, Priority, Problem, Request, SlotTemplate, TimeWindow

#: Travel is implausible when faster than this, straight-line (contract rule 7).
PLAUSIBLE_SPEED_KMH = 80.0

#: Tolerance of time comparisons: plans carry whole seconds, hand-edited ones minutes.
TIME_TOLERANCE = timedelta(seconds=1)

#: Tolerance of distance comparisons, in km (rounding of a hand-written plan).
DISTANCE_TOLERANCE_KM = 0.001

DEFAULT_SLOTS: tuple[SlotTemplate, ...] = tuple(
    SlotTemplate(time(h0, m0), time(h1, m1))
    for (h0, m0), (h1, m1) in (
        ((8, 0), (10, 0)),
        ((10, 0), (12, 0)),
        ((13, 0), (15, 0)),
        ((15, 0), (17, 0)),
        ((17, 0), (19, 0)),
    )
)


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """What a visit for a product category needs by default."""

    skills: frozenset[str]
    duration: timedelta | None


def _spec(skills: str, minutes: int) -> ProductSpec:
    return ProductSpec(frozenset(skills.split(";")), timedelta(minutes=minutes))


DEFAULT_CATALOGUE: Mapping[str, ProductSpec] = {
    "water_heater": _spec("water_heater", 60),
    "gas_water_heater": _spec("water_heater;gas_cert", 75),
    "gas_stove": _spec("gas_stove;gas_cert", 50),
    "range_hood": _spec("range_hood", 50),
    "water_purifier": _spec("water_purifier", 40),
    "dishwasher": _spec("dishwasher", 70),
    "refrigerator": _spec("refrigerator", 80),
    "washing_machine": _spec("washing_machine", 60),
    "air_conditioner": _spec("air_conditioner;height_cert", 90),
}


def product_spec(product: str, catalogue: Mapping[str, ProductSpec]) -> ProductSpec:
    """The catalogue's entry; a product in no catalogue needs its own skill, no default."""
    if product in catalogue:
        return catalogue[product]
    if product in DEFAULT_CATALOGUE:
        return DEFAULT_CATALOGUE[product]
    return ProductSpec(frozenset({product}), None)


def is_eligible(engineer: Engineer, request: Request) -> bool:
    """An engineer may serve a request iff its required skills are a subset of theirs."""
    return request.required_skills <= engineer.skills


def missing_skills(engineers: Iterable[Engineer], request: Request) -> frozenset[str]:
    """The skills the closest engineer lacks, to name in an explanation."""
    gaps = [request.required_skills - e.skills for e in engineers]
    return min(gaps, key=len, default=request.required_skills)


def allowed_days(request: Request, problem: Problem) -> list[date]:
    """The planned days on which the request may be served.

    A promise allows only its day. Otherwise ``earliest_date``..``latest_date``, an empty
    bound meaning the planning day (the first planned date). Emergencies are served the
    same day: only the first allowed day counts.
    """
    if request.promised is not None:
        return [request.promised.day] if request.promised.day in problem.dates else []
    first = problem.dates[0]
    earliest = request.earliest_date or first
    latest = request.latest_date or max(earliest, first)
    days = [d for d in problem.dates if earliest <= d <= latest]
    if request.priority is Priority.EMERGENCY:
        return days[:1]
    return days


def candidate_windows(request: Request, problem: Problem) -> list[tuple[date, TimeWindow]]:
    """Every (day, window) the service may start in: the promise, or the grid's slots."""
    if request.promised is not None:
        days = allowed_days(request, problem)
        return [(d, request.promised.window) for d in days]
    return [(d, w) for d in allowed_days(request, problem) for w in problem.slot_windows(d)]


def slot_containing(problem: Problem, request: Request, day: date, start: datetime) -> TimeWindow | None:
    """The window a stop starting at ``start`` on ``day`` is booked into.

    For a promise it is the promised window; otherwise the grid slot containing ``start``,
    preferring the one that opens at or before it and closes after it.
    """
    if request.promised is not None:
        return request.promised.window
    windows = [w for w in problem.slot_windows(day) if w.contains(start)]
    if not windows:
        return None
    return max(windows, key=lambda w: w.start)


#: Relative worth of serving a request of each priority, among unpromised normal work.
PRIORITY_WEIGHT: Mapping[Priority, int] = {
    Priority.NORMAL: 1,
    Priority.HIGH: 3,
    Priority.EMERGENCY: 3,
}


def service_tiers(requests: Iterable[Request]) -> dict[str, int]:
    """The worth of serving each request, strictly tiered.

    Emergencies come before everything else, kept promises before unpromised work, and
    among the rest a high request counts three normal ones. Each tier is worth more than
    all lower tiers together, so no trade ever drops a higher tier for a lower one.
    """
    reqs = list(requests)

    def tier(r: Request) -> int:
        if r.priority is Priority.EMERGENCY:
            return 2
        return 1 if r.promised is not None else 0

    worth: dict[str, int] = {}
    floor = 0
    for level in (0, 1, 2):
        members = [r for r in reqs if tier(r) == level]
        base = floor + 1
        for r in members:
            worth[r.request_id] = base * PRIORITY_WEIGHT[r.priority]
        floor += sum(worth[r.request_id] for r in members)
    return worth
