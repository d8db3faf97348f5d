"""``validate(problem, plan)``: every violation of the contract's validity rules.

One function per rule, named for what it forbids. The validator knows nothing of the
solver; it judges plans from anywhere, hand-edited ones included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.geo import straight_km
from dispatch.model import Location, Problem, Shift
from dispatch.plan import Plan, Route
from dispatch.rules import (
    DISTANCE_TOLERANCE_KM,
    PLAUSIBLE_SPEED_KMH,
    TIME_TOLERANCE,
    allowed_days,
    is_eligible,
)

EPS = TIME_TOLERANCE


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: a stable code, a sentence, and what it concerns."""

    code: str
    message: str
    request_id: str | None = None
    engineer_id: str | None = None

    def __str__(self) -> str:
        who = " ".join(x for x in (self.engineer_id, self.request_id) if x)
        return f"[{self.code}] {who + ': ' if who else ''}{self.message}"


def _minutes(m: float) -> timedelta:
    return timedelta(minutes=m)


def _fmt(t: datetime) -> str:
    return t.strftime("%H:%M:%S")


def every_request_once(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Rule 1: each request appears exactly once, as a stop or explained as unassigned."""
    seen = Counter([s.request_id for _, s in plan.stops()] + [u.request_id for u in plan.unassigned])
    for rid, n in seen.items():
        if rid not in problem.request_by_id:
            yield Violation("unknown_request", "not a request of the scenario", rid)
        elif n > 1:
            yield Violation("duplicate_request", f"appears {n} times in the plan", rid)
    for rid in problem.request_by_id:
        if rid not in seen:
            yield Violation("missing_request", "neither on a route nor unassigned", rid)
    for u in plan.unassigned:
        if not u.reason.strip() or not u.detail.strip():
            yield Violation("unexplained", "unassigned without a reason and a detail", u.request_id)


def unfit_engineer(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Rule 2: the engineer exists, works that day, has the skills, the cap and one route."""
    routes = Counter((r.engineer_id, r.day) for r in plan.routes)
    for (eid, day), n in routes.items():
        if n > 1:
            yield Violation("duplicate_route", f"{n} routes on {day}", engineer_id=eid)
        if day not in plan.dates:
            yield Violation("day_not_planned", f"a route on {day}, outside the plan's dates", engineer_id=eid)
    for route in plan.routes:
        eng = problem.engineer_by_id.get(route.engineer_id)
        if eng is None:
            yield Violation(
                "unknown_engineer", "not an engineer of the scenario", engineer_id=route.engineer_id
            )
            continue
        if route.stops and (eng.engineer_id, route.day) not in problem.shift_by_key:
            yield Violation("not_on_shift", f"does not work on {route.day}", engineer_id=eng.engineer_id)
        if eng.max_jobs is not None and len(route.stops) > eng.max_jobs:
            yield Violation(
                "max_jobs", f"{len(route.stops)} visits, at most {eng.max_jobs}", engineer_id=eng.engineer_id
            )
        load = 0
        for stop in route.stops:
            req = problem.request_by_id.get(stop.request_id)
            if req is None:
                continue
            load += req.demand
            if not is_eligible(eng, req):
                lacking = ", ".join(sorted(req.required_skills - eng.skills))
                yield Violation("skills", f"lacks {lacking}", req.request_id, eng.engineer_id)
        if eng.capacity is not None and load > eng.capacity:
            yield Violation(
                "capacity", f"load {load} over capacity {eng.capacity}", engineer_id=eng.engineer_id
            )


def _shift(problem: Problem, route: Route) -> Shift | None:
    return problem.shift_by_key.get((route.engineer_id, route.day))


def _break_gap(route: Route, shift: Shift) -> int | None:
    """Index of the gap holding the break: 0 before the first stop, len(stops) after the last."""
    brk = route.break_window
    if brk is None:
        return None
    starts = [shift.start] + [s.end for s in route.stops]
    ends = [s.start for s in route.stops] + [shift.end]
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if a - EPS <= brk.start and brk.end <= b + EPS:
            return i
    return -1


def _break_length(route: Route, shift: Shift) -> timedelta:
    """How long the route's break keeps the engineer off the road: as declared, at least its minutes."""
    if route.break_window is None:
        return timedelta(0)
    return max(shift.break_duration, route.break_window.end - route.break_window.start)


def outside_shift_or_out_of_order(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Rules 3, 4 and 6's gaps: departure, timing of each leg, return, all inside the shift."""
    for route in plan.routes:
        shift = _shift(problem, route)
        if shift is None or not route.stops:
            continue
        eid = route.engineer_id
        gap_with_break = _break_gap(route, shift)
        brk = _break_length(route, shift)
        prev_end = shift.start
        for i, stop in enumerate(route.stops):
            leg = _minutes(stop.travel_minutes)
            if stop.arrival < prev_end + leg - EPS:
                yield Violation(
                    "early_arrival",
                    f"arrives {_fmt(stop.arrival)}, before {_fmt(prev_end + leg)} (previous end plus travel)",
                    stop.request_id,
                    eid,
                )
            if stop.start < stop.arrival - EPS:
                yield Violation("start_before_arrival", "service starts before arrival", stop.request_id, eid)
            req = problem.request_by_id.get(stop.request_id)
            if req is not None and stop.end - stop.start < req.duration - EPS:
                yield Violation(
                    "short_service",
                    f"{(stop.end - stop.start).total_seconds() / 60:.0f} min on site, needs {req.duration.total_seconds() / 60:.0f}",
                    stop.request_id,
                    eid,
                )
            if gap_with_break == i and stop.start < prev_end + leg + brk - EPS:
                yield Violation(
                    "break_in_travel",
                    "the gap before this stop cannot hold both travel and break",
                    stop.request_id,
                    eid,
                )
            prev_end = stop.end
        back = prev_end + _minutes(route.return_travel_minutes)
        if gap_with_break == len(route.stops):
            back += brk
        if back > shift.end + EPS:
            yield Violation(
                "late_return", f"back at {_fmt(back)}, shift ends {_fmt(shift.end)}", engineer_id=eid
            )


def unpunctual_or_unbooked_slot(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Rule 5: service starts inside its slot; promises keep day and slot; others use the grid."""
    for route, stop in plan.stops():
        req = problem.request_by_id.get(stop.request_id)
        if req is None:
            continue
        eid = route.engineer_id
        if not stop.slot.contains(stop.start):
            yield Violation(
                "late" if stop.start > stop.slot.end else "early",
                f"starts {_fmt(stop.start)}, slot {_fmt(stop.slot.start)}-{_fmt(stop.slot.end)}",
                req.request_id,
                eid,
            )
        if stop.start.astimezone(problem.zone).date() != route.day:
            yield Violation(
                "wrong_day", f"starts on another day than the route's {route.day}", req.request_id, eid
            )
        if req.promised is not None:
            if route.day != req.promised.day or stop.slot != req.promised.window:
                yield Violation("broken_promise", "promised date or slot not kept", req.request_id, eid)
        else:
            if route.day not in allowed_days(req, problem):
                yield Violation("day_not_allowed", f"{route.day} is not an allowed day", req.request_id, eid)
            if stop.slot not in problem.slot_windows(route.day):
                yield Violation("slot_not_in_grid", "the slot is not one of the grid's", req.request_id, eid)


def misplaced_break(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Rule 6: the break lasts its minutes, starts in its window and overlaps no service."""
    for route in plan.routes:
        shift = _shift(problem, route)
        if shift is None:
            continue
        eid, brk = route.engineer_id, route.break_window
        starts = shift.break_starts
        if starts is None:
            if brk is not None:
                yield Violation("unexpected_break", "the shift has no break", engineer_id=eid)
            continue
        if brk is None:
            if route.stops and _works_through_break(route, shift):
                yield Violation("missing_break", "the route works through its break window", engineer_id=eid)
            continue
        if brk.end - brk.start < shift.break_duration - EPS:
            yield Violation("short_break", "the break is shorter than its minutes", engineer_id=eid)
        if not starts[0] - EPS <= brk.start <= starts[1] + EPS:
            yield Violation(
                "break_window", f"break starts {_fmt(brk.start)}, outside its window", engineer_id=eid
            )
        if _break_gap(route, shift) == -1:
            yield Violation(
                "break_overlaps", "the break overlaps a visit or leaves the shift", engineer_id=eid
            )


def _works_through_break(route: Route, shift: Shift) -> bool:
    assert shift.break_starts is not None
    earliest, latest = shift.break_starts
    depart = route.stops[0].arrival - _minutes(route.stops[0].travel_minutes)
    back = route.stops[-1].end + _minutes(route.return_travel_minutes)
    return depart < latest + shift.break_duration and back > earliest


def implausible_travel(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Rule 7: no leg is shorter than the straight line, nor faster than 80 km/h on it."""
    for route in plan.routes:
        eng = problem.engineer_by_id.get(route.engineer_id)
        if eng is None or not route.stops:
            continue
        places: list[Location] = [eng.home]
        for stop in route.stops:
            req = problem.request_by_id.get(stop.request_id)
            places.append(req.location if req is not None else places[-1])
        places.append(eng.home)
        legs: list[tuple[float, float, str | None]] = [
            (s.travel_km, s.travel_minutes, s.request_id) for s in route.stops
        ]
        legs.append((route.return_travel_km, route.return_travel_minutes, None))
        for (km, minutes, rid), a, b in zip(legs, places, places[1:], strict=False):
            floor_km = straight_km(a, b, problem.planar)
            if km < floor_km - DISTANCE_TOLERANCE_KM:
                yield Violation(
                    "short_leg", f"{km:.3f} km, straight line is {floor_km:.3f}", rid, route.engineer_id
                )
            if not problem.planar and minutes * PLAUSIBLE_SPEED_KMH / 60 < floor_km - DISTANCE_TOLERANCE_KM:
                yield Violation("fast_leg", f"{floor_km:.2f} km in {minutes:.1f} min", rid, route.engineer_id)


RULES: tuple[Callable[[Problem, Plan], Iterator[Violation]], ...] = (
    every_request_once,
    unfit_engineer,
    outside_shift_or_out_of_order,
    unpunctual_or_unbooked_slot,
    misplaced_break,
    implausible_travel,
)


def validate(problem: Problem, plan: Plan) -> list[Violation]:
    """Every violation of the contract's rules in ``plan``; empty when the plan is valid."""
    return [v for rule in RULES for v in rule(problem, plan)]
