"""The problem laid out in solver terms: nodes, vehicles, seconds and candidate vehicles.

Node 0..H-1 are engineers' homes, then the start locations of shifts that set off from
elsewhere (a re-plan), then one node per visit. A vehicle is one engineer on
one shift. Times are whole seconds from midnight of the first planned day.

The plan reserves protected durations (:mod:`dispatch.punctuality`): each drive and each
repair stretched by the protection share of its worst case. The routing model schedules
with the reserves; the plan reports expected times, which are never later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import numpy as np

from dispatch.explain import Candidate, candidates
from dispatch.model import Engineer, Location, Problem, Request, Shift
from dispatch.plan import Reason, Unassigned
from dispatch.punctuality import DEFAULT_VARIATION, Variation, protected_seconds, stretch
from dispatch.rules import service_tiers
from dispatch.travel import TravelMatrix


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One engineer's shift, in seconds; it leaves from ``start_node`` and ends at ``node`` (home)."""

    engineer: Engineer
    shift: Shift
    node: int
    start: int
    end: int
    break_range: tuple[int, int] | None
    break_s: int
    start_node: int = -1

    @property
    def origin(self) -> int:
        """The node the vehicle leaves from: ``start_node``, or home when it has none."""
        return self.node if self.start_node < 0 else self.start_node


@dataclass(frozen=True, slots=True)
class Visit:
    """One request to place: its node, service time, windows and allowed vehicles."""

    request: Request
    node: int
    service: int
    reserve: int
    windows: tuple[tuple[int, int], ...]
    vehicles: tuple[int, ...]
    worth: int


@dataclass(frozen=True)
class Layout:
    """Everything the routing model is built from, as plain values."""

    problem: Problem
    origin: datetime
    points: list[Location]
    vehicles: list[Vehicle]
    visits: list[Visit]
    travel: TravelMatrix
    unassigned: list[Unassigned]
    reserved_travel: list[list[int]]

    def seconds(self, moment: datetime) -> int:
        """Whole seconds from the origin."""
        return int((moment - self.origin).total_seconds())

    def moment(self, seconds: int) -> datetime:
        """The wall-clock time ``seconds`` after the origin."""
        return (self.origin + timedelta(seconds=seconds)).astimezone(self.problem.zone)


def _vehicles(problem: Problem, origin: datetime) -> tuple[list[Vehicle], dict[str, int], list[Location]]:
    homes: dict[str, int] = {}
    elsewhere: list[tuple[int, Location]] = []
    vehicles: list[Vehicle] = []
    shifts = sorted(
        (s for s in problem.shifts if s.day in problem.dates and s.engineer_id in problem.engineer_by_id),
        key=lambda s: (s.day, s.engineer_id),
    )

    def sec(t: datetime) -> int:
        return int((t - origin).total_seconds())

    for shift in shifts:
        node = homes.setdefault(shift.engineer_id, len(homes))
        starts = shift.break_starts
        brk = None if starts is None else (sec(starts[0]), sec(starts[1]))
        if shift.start_location is not None:
            elsewhere.append((len(vehicles), shift.start_location))
        vehicles.append(
            Vehicle(
                problem.engineer_by_id[shift.engineer_id],
                shift,
                node,
                sec(shift.start),
                sec(shift.end),
                brk,
                int(shift.break_duration.total_seconds()),
            )
        )
    for number, (k, _) in enumerate(elsewhere):
        vehicles[k] = replace(vehicles[k], start_node=len(homes) + number)
    return vehicles, homes, [where for _, where in elsewhere]


def build_layout(
    problem: Problem,
    protection: float = 0.0,
    variation: Variation = DEFAULT_VARIATION,
    nearest_engineers: int | None = None,
) -> Layout:
    """Lay the problem out; requests that cannot be placed anywhere are explained.

    ``nearest_engineers`` keeps, per visit and day, only that many of the closest engineers
    who could serve it (``None``: all of them): nobody crosses the city for a job that
    thirty colleagues are nearer to, and a large day's search gets much smaller.
    """
    origin = datetime.combine(problem.dates[0], time(0), problem.zone)
    vehicles, homes, starts = _vehicles(problem, origin)
    by_shift = {(v.engineer.engineer_id, v.shift.day): k for k, v in enumerate(vehicles)}
    unassigned: list[Unassigned] = []
    placeable: list[tuple[Request, list[Candidate]]] = []
    for req in problem.requests:
        found = candidates(problem, req)
        if isinstance(found, Unassigned):
            unassigned.append(found)
        else:
            placeable.append((req, found))
    points = [problem.engineer_by_id[e].home for e in homes] + starts
    points += [req.location for req, _ in placeable]
    travel = problem.travel.matrix(points)
    on_road = stretch(variation.travel, protection)
    reserved = np.ceil(np.array(travel.seconds, dtype=float).reshape(len(points), len(points)) * on_road)
    reserved_travel: list[list[int]] = reserved.astype(np.int64).tolist()
    worth = service_tiers(req for req, _ in placeable)
    nearest = nearest_engineers or len(vehicles)
    visits: list[Visit] = []
    for req, cands in placeable:
        node = len(homes) + len(starts) + len(visits)
        reserve = protected_seconds(int(req.duration.total_seconds()), variation.service, protection)
        visit, why = _visit(
            req,
            node,
            reserve,
            cands,
            by_shift,
            vehicles,
            reserved_travel,
            origin,
            worth[req.request_id],
            nearest,
        )
        visits.append(visit)
        if why is not None:
            unassigned.append(why)
    return Layout(problem, origin, points, vehicles, visits, travel, unassigned, reserved_travel)


def _visit(
    req: Request,
    node: int,
    reserve: int,
    cands: list[Candidate],
    by_shift: dict[tuple[str, date], int],
    vehicles: list[Vehicle],
    travel: list[list[int]],
    origin: datetime,
    worth: int,
    nearest: int,
) -> tuple[Visit, Unassigned | None]:
    """The visit with the vehicles that can reach one of its windows and still get home:
    on each day the ``nearest`` of them (by the drive from home and back), and the
    preferred engineer's whatever the distance.

    A visit no vehicle can reach stays a node (so node numbers match the matrix) with no
    vehicle, and is explained as out of reach.
    """
    service = reserve
    windows: set[tuple[int, int]] = set()
    reachable: list[tuple[date, int, int]] = []
    best_out = None
    for cand in cands:
        k = by_shift[(cand.engineer.engineer_id, cand.shift.day)]
        veh = vehicles[k]
        out, back = travel[veh.origin][node], travel[node][veh.node]
        spans = [
            (int((w.start - origin).total_seconds()), int((w.end - origin).total_seconds()))
            for w in cand.windows
        ]
        windows.update(spans)
        reach = [
            (lo, hi)
            for lo, hi in spans
            if max(veh.start + out, lo) <= hi and max(veh.start + out, lo) + service + back <= veh.end
        ]
        if reach:
            reachable.append((veh.shift.day, out + back, k))
        elif best_out is None or out + back < best_out:
            best_out = out + back
    allowed = _nearest(
        reachable,
        nearest,
        {k for _, _, k in reachable if vehicles[k].engineer.engineer_id == req.preferred_engineer_id},
    )
    visit = Visit(
        req,
        node,
        int(req.duration.total_seconds()),
        reserve,
        tuple(sorted(windows)),
        tuple(sorted(allowed)),
        worth,
    )
    if allowed:
        return visit, None
    first = min(windows)
    when = "the promised slot" if req.promised else "any slot of the grid"
    detail = (
        f"none of the {len(cands)} eligible engineers on shift can start it in {when} "
        f"(from {(origin + timedelta(seconds=first[0])).strftime('%H:%M')}) and be home by the shift's end; "
        f"the closest drives {(best_out or 0) / 60:.0f} min there and back"
    )
    return visit, Unassigned(req.request_id, Reason.OUT_OF_REACH.value, detail)


def _nearest(reachable: list[tuple[date, int, int]], nearest: int, keep: set[int]) -> list[int]:
    """Vehicle numbers: per day the ``nearest`` closest, plus those in ``keep``."""
    chosen = set(keep)
    for day in {d for d, _, _ in reachable}:
        closest = sorted((drive, k) for d, drive, k in reachable if d == day)[:nearest]
        chosen.update(k for _, k in closest)
    return sorted(chosen)
