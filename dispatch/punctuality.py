"""The on-time model: how routes fare when drives and repairs take more or less than expected.

One home for it: the planner protects promises with it, the ``simulate`` command replays
plans with it, and slot grades in booking will read it. A :class:`Variation` says how much
each leg's travel and each visit's service may stretch or shrink (uniformly, independently).
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dispatch.model import Problem, Shift
from dispatch.plan import Plan, Route


@dataclass(frozen=True, slots=True)
class Variation:
    """Each leg's travel is multiplied by U[1 - travel, 1 + travel], each service by U[1 - service, 1 + service]."""

    travel: float = 0.25
    service: float = 0.20

    def __post_init__(self) -> None:
        if not (0 <= self.travel < 1 and 0 <= self.service < 1):
            raise ValueError(f"variation must be in [0, 1), got travel {self.travel}, service {self.service}")


#: The variation a dispatcher plans against by default.
DEFAULT_VARIATION = Variation()

#: Default share of the worst case the planner protects every promise against.
DEFAULT_PROTECTION = 0.25


def stretch(spread: float, protection: float) -> float:
    """The factor on a duration that protects ``protection`` of its worst case ``spread``."""
    return 1 + protection * spread


def protected_seconds(seconds: int, spread: float, protection: float) -> int:
    """A duration stretched by ``protection`` of its worst case: what the planner reserves."""
    return math.ceil(seconds * stretch(spread, protection))


@dataclass(frozen=True)
class Punctuality:
    """Replayed outcome of a set of routes."""

    visits: int
    on_time_share: float
    late_mean_minutes: float
    late_p95_minutes: float
    routes: int
    overtime_share: float
    per_stop_on_time: dict[str, float] = field(default_factory=dict)


def _gap_of_break(route: Route) -> int | None:
    brk = route.break_window
    if brk is None:
        return None
    return sum(1 for s in route.stops if s.end <= brk.start)


def _replay(route: Route, shift: Shift, variation: Variation, rnd: random.Random) -> tuple[list[float], bool]:
    """One run of one route, leaving at the shift's start: lateness in minutes per stop
    (0 when on time), and whether the engineer is back after the shift's end.

    The break is taken in its planned gap, after that gap's drive and never before its
    planned start (the earliest way through the gap).
    """
    stops = route.stops
    gap = _gap_of_break(route)
    brk = route.break_window
    t = shift.start
    late: list[float] = []

    def drive(minutes: float) -> timedelta:
        return timedelta(minutes=minutes * rnd.uniform(1 - variation.travel, 1 + variation.travel))

    def through_gap(t: datetime, index: int, minutes: float) -> datetime:
        t = t + drive(minutes)
        if gap == index and brk is not None:
            t = max(t, brk.start) + (brk.end - brk.start)
        return t

    for i, stop in enumerate(stops):
        start = max(through_gap(t, i, stop.travel_minutes), stop.slot.start)
        late.append(max(0.0, (start - stop.slot.end).total_seconds() / 60))
        t = start + (stop.end - stop.start) * rnd.uniform(1 - variation.service, 1 + variation.service)
    t = through_gap(t, len(stops), route.return_travel_minutes)
    return late, t > shift.end


def replay(
    problem: Problem,
    routes: Iterable[Route],
    variation: Variation = DEFAULT_VARIATION,
    runs: int = 200,
    seed: int = 0,
    rng: random.Random | None = None,
) -> Punctuality:
    """Replay each route ``runs`` times: the engineer keeps the order and the break and never
    starts before the slot opens. Same seed, same figures; ``rng`` overrides the seed."""
    rnd = rng or random.Random(seed)
    worked = [r for r in routes if r.stops]
    lateness: list[float] = []
    overtime = 0
    on_time: dict[str, int] = {}
    for route in worked:
        shift = problem.shift_by_key[(route.engineer_id, route.day)]
        for _ in range(runs):
            late, over = _replay(route, shift, variation, rnd)
            overtime += over
            lateness += late
            for stop, minutes in zip(route.stops, late, strict=True):
                on_time[stop.request_id] = on_time.get(stop.request_id, 0) + (minutes == 0)
    late_only = sorted(m for m in lateness if m > 0)
    n_routes = len(worked) * runs
    return Punctuality(
        visits=len(on_time),
        on_time_share=1 - len(late_only) / len(lateness) if lateness else 1.0,
        late_mean_minutes=statistics.fmean(late_only) if late_only else 0.0,
        late_p95_minutes=_percentile(late_only, 0.95),
        routes=len(worked),
        overtime_share=overtime / n_routes if n_routes else 0.0,
        per_stop_on_time={rid: n / runs for rid, n in on_time.items()},
    )


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


def replay_plan(
    problem: Problem, plan: Plan, variation: Variation = DEFAULT_VARIATION, runs: int = 200, seed: int = 0
) -> dict[str, Punctuality]:
    """Overall (key ``"all"``) and per-branch replay figures of a plan."""
    result = {"all": replay(problem, plan.routes, variation, runs, seed)}
    for branch in sorted(problem.branch_by_id):
        mine = [r for r in plan.routes if problem.engineer_by_id[r.engineer_id].branch_id == branch]
        result[branch] = replay(problem, mine, variation, runs, seed)
    return result
