"""Hand edits of a plan: move one visit to another engineer or slot, the routes re-timed.

The edited plan is not checked here: the caller sends it to ``/plans/check`` (or saves it
through ``/plans/edits``, which checks it again) and the validator has the last word.
Times are the earliest the route allows: each leg starts when the previous visit ends,
service starts at arrival or when its slot opens, and the break is taken in the gap
before the first visit that would push it past its latest start (or after the last one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dispatch.model import Location, Problem, Shift, TimeWindow
from dispatch.plan import Plan, Route, Stop


class EditError(ValueError):
    """A move that cannot even be drawn up; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Move:
    """Serve ``request_id`` by ``engineer_id`` on ``day``, in ``slot`` (or the slot it had)."""

    request_id: str
    engineer_id: str
    day: date
    slot: TimeWindow | None = None


def move_visit(problem: Problem, plan: Plan, move: Move) -> Plan:
    """``plan`` with the visit moved and both routes re-timed (the visit may come from ``unassigned``)."""
    if move.request_id not in problem.request_by_id:
        raise EditError("request_id", f"request {move.request_id} is not open work of these branches")
    if move.engineer_id not in problem.engineer_by_id:
        raise EditError("engineer_id", f"engineer {move.engineer_id} is not in these branches")
    shift = problem.shift_by_key.get((move.engineer_id, move.day))
    if shift is None:
        raise EditError("engineer_id", f"engineer {move.engineer_id} has no shift on {move.day}")
    slot = move.slot or _old_slot(problem, plan, move.request_id)
    routes: list[Route] = []
    for route in plan.routes:
        kept = [(s.request_id, s.slot) for s in route.stops if s.request_id != move.request_id]
        if len(kept) != len(route.stops):
            route = retime(problem, route, kept)
        routes.append(route)
    target = next(
        (i for i, r in enumerate(routes) if (r.engineer_id, r.day) == (move.engineer_id, move.day)), None
    )
    if target is None:
        routes.append(Route(move.engineer_id, move.day, [], None, 0.0, 0.0))
        target = len(routes) - 1
    old = routes[target]
    visits = [(s.request_id, s.slot, s.start) for s in old.stops] + [(move.request_id, slot, slot.start)]
    visits.sort(key=lambda v: (v[1].start, v[2]))
    routes[target] = retime(problem, old, [(rid, w) for rid, w, _ in visits])
    unassigned = [u for u in plan.unassigned if u.request_id != move.request_id]
    return Plan(sorted({*plan.dates, move.day}), routes, unassigned, plan.kpis)


def _old_slot(problem: Problem, plan: Plan, request_id: str) -> TimeWindow:
    for _, stop in plan.stops():
        if stop.request_id == request_id:
            return stop.slot
    promised = problem.request_by_id[request_id].promised
    if promised is None:
        raise EditError("slot_start", f"request {request_id} has no slot yet: choose one")
    return promised.window


def retime(problem: Problem, route: Route, visits: list[tuple[str, TimeWindow]]) -> Route:
    """``route`` serving ``visits`` in this order at the earliest times, with its break placed."""
    shift = problem.shift_by_key.get((route.engineer_id, route.day))
    if shift is None:
        raise EditError("engineer_id", f"engineer {route.engineer_id} has no shift on {route.day}")
    unknown = [rid for rid, _ in visits if rid not in problem.request_by_id]
    if unknown:
        raise EditError(
            "plan", f"requests {', '.join(unknown)} on {route.engineer_id}'s route are not open work"
        )
    home = shift.start_location or problem.engineer_by_id[route.engineer_id].home
    places: list[Location] = [home, *(problem.request_by_id[rid].location for rid, _ in visits)]
    matrix = problem.travel.matrix(places)
    clock, brk, stops = shift.start, None, []
    for index, (rid, slot) in enumerate(visits, start=1):
        leg = timedelta(seconds=matrix.seconds[index - 1][index])
        duration = problem.request_by_id[rid].duration
        if brk is None and _break_now(shift, clock, leg, slot, duration):
            brk = _break_at(shift, clock)
            clock = brk.end
        arrival = clock + leg
        start = max(arrival, slot.start)
        stops.append(Stop(rid, slot, arrival, start, start + duration, leg.total_seconds() / 60,
                          matrix.meters[index - 1][index] / 1000))  # fmt: skip
        clock = start + duration
    last = len(visits)
    back = timedelta(seconds=matrix.seconds[last][0]) if visits else timedelta(0)
    if brk is None and visits and shift.break_starts is not None and clock + back > shift.break_starts[0]:
        brk = _break_at(shift, clock)
    km = matrix.meters[last][0] / 1000 if visits else 0.0
    return replace(route, stops=stops, break_window=brk, return_travel_minutes=back.total_seconds() / 60,
                   return_travel_km=km)  # fmt: skip


def _break_now(shift: Shift, clock: datetime, leg: timedelta, slot: TimeWindow, duration: timedelta) -> bool:
    """Whether the break must come before this visit: after it, the break would start too late."""
    starts = shift.break_starts
    if starts is None:
        return False
    earliest, latest = starts
    end = max(clock + leg, slot.start) + duration
    return max(end, earliest) > latest


def _break_at(shift: Shift, clock: datetime) -> TimeWindow:
    """The break at the earliest moment from ``clock`` that its window allows."""
    assert shift.break_starts is not None
    start = max(clock, shift.break_starts[0])
    return TimeWindow(start, start + shift.break_duration)
