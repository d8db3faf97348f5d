"""Re-plan the rest of the day: ``replan(problem, plan, events, now, params) -> ReplanResult``.

The remaining day (:mod:`dispatch.replan`) is laid out like any day, with each engineer
setting off from their restart place and time. The search starts from the current plan's
routes (``ReadAssignmentFromRoutes``; visits the disruption made impossible are left out of
the start), changing a customer's engineer costs ``stability_engineer_s`` of driving, and
the budget is bounded. When a new emergency finds no room, up to ``disruption_budget``
promised customers near it may be moved to another slot of the day (re-promised).
Every plan returned is the whole day (history plus the new suffix) and has been validated.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.booking import Reserve
from dispatch.events import Event
from dispatch.geo import straight_km
from dispatch.kpis import plan_kpis
from dispatch.model import Priority, Problem, Request, TimeWindow
from dispatch.plan import Plan, Reason, Route, Unassigned
from dispatch.punctuality import DEFAULT_PROTECTION
from dispatch.replan import Remaining, remaining_day, with_promises
from dispatch.replan_diff import Diff, diff, merge
from dispatch.validate import Violation, validate
from solver.extract import dropped, extract_routes
from solver.layout import Layout, Vehicle, Visit, build_layout
from solver.model import Model, build_model
from solver.params import SolveParams
from solver.search import Found, assignment_of, found_of
from solver.solve import search_parameters

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplanParams:
    """How a re-plan searches and what it may change.

    ``time_limit_s`` bounds the whole re-plan's wall time: the search ends ``finish_s``
    before it (at most half of it), which leaves the time to validate the plan and draw up
    the diff. ``stability_engineer_s``: the cost of giving a customer another engineer, in seconds of
    driving; ``stability_drop_s``: the extra cost of leaving out a customer the plan in force
    serves (on top of the work's worth, within its tier), warm or not: the customers told to
    expect an engineer today are the re-plan's to serve either way. ``disruption_budget``: how
    many promised customers a new emergency may move to another slot. ``warm_start`` off plans
    the rest of the day from scratch (the benchmark's reference, with
    ``stability_engineer_s=0``).
    """

    time_limit_s: float = 10.0
    finish_s: float = 0.5
    stability_engineer_s: int = 600
    stability_drop_s: int = 7200
    disruption_budget: int = 2
    warm_start: bool = True
    protection: float = DEFAULT_PROTECTION
    nearest_engineers: int | None = 30

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if self.stability_engineer_s < 0 or self.stability_drop_s < 0:
            raise ValueError("stability costs must not be negative")
        if self.disruption_budget < 0:
            raise ValueError(f"disruption_budget must not be negative, got {self.disruption_budget}")
        if self.finish_s < 0:
            raise ValueError(f"finish_s must not be negative, got {self.finish_s}")

    def deadline(self, started: float) -> float:
        """When the search must end for the re-plan to answer within ``time_limit_s`` of ``started``."""
        return started + self.time_limit_s - min(self.finish_s, self.time_limit_s / 2)

    def solve_params(self, seconds: float, keep: frozenset[str] = frozenset()) -> SolveParams:
        """The solver's parameters for a search of ``seconds``; ``keep``: the customers planned already."""
        return SolveParams(
            keep=keep,
            keep_s=self.stability_drop_s if keep else 0,
            time_limit_s=max(0.1, seconds),
            preferred_engineer_s=self.stability_engineer_s,
            protection=self.protection,
            nearest_engineers=self.nearest_engineers,
        )


@dataclass(frozen=True)
class ReplanResult:
    """The whole day's new plan, the problem it answers (re-promises applied) and the diff."""

    plan: Plan
    problem: Problem
    remaining: Remaining
    diff: Diff
    repromised: dict[str, TimeWindow]
    violations: list[Violation]
    seconds: float


@dataclass(frozen=True)
class _Rest:
    routes: list[Route]
    unassigned: list[Unassigned]


def replan(
    problem: Problem, plan: Plan, events: Sequence[Event], now: datetime, params: ReplanParams | None = None
) -> ReplanResult:
    """The plan for the rest of ``now``'s day after ``events``, history kept, and what changed."""
    params = params or ReplanParams()
    started = time.monotonic()
    deadline = params.deadline(started)
    rem = remaining_day(problem, plan, events, now)
    planned = _routes_of(plan, rem)
    hint = planned if params.warm_start else {}
    keep = frozenset(r for ids in planned.values() for r in ids)
    served = {s.request_id for _, s in plan.stops()}
    emergencies = [
        r for r in rem.facts.new if r.priority is Priority.EMERGENCY and r.request_id not in served
    ]
    repromised: dict[str, TimeWindow] = {}
    if emergencies:
        rest, repromised = _with_emergencies(rem, emergencies, hint, keep, params, deadline)
    else:
        rest = _solve_rest(rem.sub, hint, keep, params, deadline) or _Rest([], [])
    final = with_promises(rem.problem, repromised)
    merged = merge(rem, rest.routes, rest.unassigned, final)
    merged = Plan(merged.dates, merged.routes, merged.unassigned, plan_kpis(final, merged))
    violations = validate(final, merged)
    if violations:
        log.warning("re-plan at %s: %d violations, first %s", now, len(violations), violations[0])
    seconds = time.monotonic() - started
    return ReplanResult(
        merged,
        final,
        rem,
        diff(rem, merged, final, repromised, Reserve(params.protection)),
        repromised,
        violations,
        seconds,
    )


def _routes_of(plan: Plan, rem: Remaining) -> dict[str, list[str]]:
    """Each engineer's open visits of the plan, in order (the warm start)."""
    frozen = rem.frozen_ids()
    return {
        r.engineer_id: [s.request_id for s in r.stops if s.request_id not in frozen]
        for r in plan.routes
        if r.day == rem.day
    }


def _with_emergencies(
    rem: Remaining,
    emergencies: list[Request],
    hint: Mapping[str, list[str]],
    keep: frozenset[str],
    params: ReplanParams,
    deadline: float,
) -> tuple[_Rest, dict[str, TimeWindow]]:
    """Plan the day without the new emergencies, then add them breaking at most the budget's promises.

    The promises the first plan keeps stay mandatory, but for the ``disruption_budget``
    closest to an emergency, which may take another slot of the day (re-promised) or drop.
    """
    ids = {r.request_id for r in emergencies}
    sub = rem.sub
    base = replace(sub, requests=[r for r in sub.requests if r.request_id not in ids])
    share = 0.2 if hint else 0.5  # a warm start is a good first stage by itself
    now = time.monotonic()
    first = _solve_rest(base, hint, keep, params, now + share * (deadline - now)) or _Rest([], [])
    kept = {
        s.request_id
        for r in first.routes
        for s in r.stops
        if base.request_by_id[s.request_id].promised is not None
    }
    chosen = _near_promises(sub, first, emergencies, params.disruption_budget)
    relaxed = [
        replace(r, promised=None, earliest_date=rem.day, latest_date=rem.day) if r.request_id in chosen else r
        for r in sub.requests
    ]
    hint = {r.engineer_id: [s.request_id for s in r.stops] for r in first.routes}
    again = _solve_rest(replace(sub, requests=relaxed), hint, keep, params, deadline, mandatory=kept - chosen)
    if again is None or len(_unserved(again, emergencies)) == len(emergencies):
        why = f"no engineer who could serve it has room without breaking more than {params.disruption_budget} promises"
        return _Rest(
            first.routes,
            first.unassigned + [Unassigned(r, Reason.NO_CAPACITY.value, why) for r in sorted(ids)],
        ), {}
    promised = {r.request_id: r.promised for r in sub.requests if r.request_id in chosen}
    moved = {}
    for route in again.routes:
        for stop in route.stops:
            was = promised.get(stop.request_id)
            if was is not None and not was.window.contains(stop.start):
                moved[stop.request_id] = stop.slot
    log.info("emergencies %s: freed %s, re-promised %s", sorted(ids), sorted(chosen), sorted(moved))
    return again, moved


def _unserved(rest: _Rest, wanted: Sequence[Request]) -> list[Request]:
    served = {s.request_id for r in rest.routes for s in r.stops}
    return [r for r in wanted if r.request_id not in served]


def _near_promises(sub: Problem, rest: _Rest, waiting: list[Request], budget: int) -> set[str]:
    """The ``budget`` promised visits closest to the waiting emergencies, on routes of engineers who could serve them."""
    scored: list[tuple[float, str]] = []
    for route in rest.routes:
        eng = sub.engineer_by_id[route.engineer_id]
        for emergency in waiting:
            if not emergency.required_skills <= eng.skills:
                continue
            for stop in route.stops:
                req = sub.request_by_id[stop.request_id]
                if req.promised is not None and req.priority is not Priority.EMERGENCY:
                    scored.append((straight_km(req.location, emergency.location, sub.planar), req.request_id))
    chosen: list[str] = []
    for _, rid in sorted(scored):
        if rid not in chosen:
            chosen.append(rid)
    return set(chosen[:budget])


def _solve_rest(
    sub: Problem,
    hint: Mapping[str, list[str]],
    keep: frozenset[str],
    params: ReplanParams,
    deadline: float,
    mandatory: Collection[str] = (),
) -> _Rest | None:
    """Plan the remaining-day problem by ``deadline``, from ``hint`` (engineer -> request ids in order) when given.

    Leaving out a customer of ``keep`` (the plan in force's) or of ``hint`` costs the
    stability drop cost, warm or not: a from-scratch re-plan answers the same customers.

    The ``mandatory`` requests must stay served (their hint is taken as it is, a feasible
    plan's routes); ``None`` when no plan keeps them all.
    """
    seconds = deadline - time.monotonic()
    solve_params = params.solve_params(seconds, keep | {r for ids in hint.values() for r in ids})
    layout = build_layout(
        sub, solve_params.protection, solve_params.variation, solve_params.nearest_engineers
    )
    if not layout.vehicles or not any(v.vehicles for v in layout.visits):
        return _Rest([], layout.unassigned + dropped(layout, set()))
    model = build_model(layout, solve_params)
    for visit in layout.visits:
        if visit.request.request_id in mandatory:
            model.routing.ActiveVar(model.manager.NodeToIndex(visit.node)).SetValue(1)
    search = search_parameters(solve_params)
    # OR-Tools' own time limit checks the clock only now and then (it ran seconds over
    # from a warm start on the demo day); this monitor checks ``until`` at every step.
    until = [deadline]
    model.routing.AddSearchMonitor(model.routing.solver().CustomLimit(lambda: time.monotonic() >= until[0]))
    solution = None
    if hint:
        model.routing.CloseModelWithParameters(search)
        start = _start(layout, model, hint, mandatory)
        if start is None and mandatory:  # let OR-Tools time the feasible routes it was given
            index = model.manager.NodeToIndex
            by_request = {v.request.request_id: v.node for v in layout.visits}
            given = [
                [index(by_request[r]) for r in hint.get(v.engineer.engineer_id, []) if r in by_request]
                for v in layout.vehicles
            ]
            start = model.routing.ReadAssignmentFromRoutes(given, True)
        if start is not None:
            solution = _improve(model, search, start, until)
    if solution is None:
        until[0] = max(deadline, time.monotonic() + 0.1)
        _limit(search, until[0])
        solution = model.routing.SolveWithParameters(search)
    if solution is None and mandatory:
        return None
    routes = extract_routes(layout, model, solution) if solution is not None else []
    served = {s.request_id for r in routes for s in r.stops}
    return _Rest(routes, layout.unassigned + dropped(layout, served))


def _limit(search: pywrapcp.DefaultRoutingSearchParameters, deadline: float) -> None:
    """The search's time limit: what is left until ``deadline`` (a tenth of a second at least)."""
    search.time_limit.FromMilliseconds(max(100, int(1000 * (deadline - time.monotonic()))))


def _improve(
    model: Model,
    search: pywrapcp.DefaultRoutingSearchParameters,
    start: pywrapcp.Assignment,
    until: list[float],
) -> pywrapcp.Assignment | None:
    """The search (guided local search) from the warm start until ``until[0]``, the deadline
    the model's monitor checks.

    The start is loaded with its times (OR-Tools' own timing of it can fail), then searched
    from its routes alone: a move is judged with the times an assignment holds, and the
    start's would forbid nearly every move.
    """
    routing, deadline = model.routing, until[0]
    load = pywrapcp.DefaultRoutingSearchParameters()
    load.CopyFrom(search)
    load.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    load.solution_limit = 1
    until[0] = math.inf  # loading the start is quick, and without it there is no plan
    loaded = routing.SolveFromAssignmentWithParameters(start, load)
    until[0] = deadline
    if loaded is None or time.monotonic() >= deadline:
        return loaded
    kept = routing.solver().Assignment(loaded)
    _limit(search, deadline)
    free = assignment_of(model, found_of(model, loaded), exact=False)
    found = routing.SolveFromAssignmentWithParameters(free, search)
    if found is None or found.ObjectiveValue() > kept.ObjectiveValue():
        log.info("re-plan: the search from the warm start found nothing better")
        return kept
    return found


def _start(
    layout: Layout, model: Model, hint: Mapping[str, list[str]], fixed: Collection[str] = ()
) -> pywrapcp.Assignment | None:
    """The warm start: each vehicle's hinted visits its schedule can still hold, then the
    visits left over put in where they fit best (the hint as it is, and none of the visits
    ``fixed`` put out, when there are fixed visits), loaded with
    the greedy schedule's times (OR-Tools' own re-timing of a start can fail and leave
    everything out); ``None`` when even that does not load."""
    as_is = bool(fixed)
    by_request = {v.request.request_id: v for v in layout.visits}
    taken: set[str] = set()
    routes: list[list[Visit]] = []
    for k, veh in enumerate(layout.vehicles):
        wanted = [by_request[r] for r in hint.get(veh.engineer.engineer_id, []) if r in by_request]
        allowed = [v for v in wanted if k in v.vehicles and v.request.request_id not in taken]
        kept = allowed if as_is else _schedulable(layout, veh, allowed)
        taken.update(v.request.request_id for v in kept)
        routes.append(kept)
    _insert_left_over(layout, routes, fixed if as_is else frozenset())
    routing, index = model.routing, model.manager.NodeToIndex
    times: dict[int, int] = {}
    breaks: dict[int, int] = {}
    for k, (veh, route) in enumerate(zip(layout.vehicles, routes, strict=True)):
        plan = _schedule(layout, veh, route)
        if len(plan.visits) != len(route):
            log.info(
                "warm start: %s cannot hold its hinted route on reserved times", veh.engineer.engineer_id
            )
            return None
        times[routing.Start(k)], times[routing.End(k)] = veh.start, plan.end
        times.update((index(v.node), start) for v, start in plan.visits)
        if k in model.breaks and plan.break_start is not None:
            breaks[k] = plan.break_start
    found = Found([[index(v.node) for v in r] for r in routes], 0, times, breaks)
    return assignment_of(model, found, exact=len(breaks) == len(model.breaks))


def _insert_left_over(layout: Layout, routes: list[list[Visit]], fixed: Collection[str] = ()) -> None:
    """Cheapest insertion of the visits no route holds, most valuable first (emergencies,
    then promises), each where it adds the least driving and every visit still fits. A
    visit above normal work that fits nowhere may take the place of one worth less, which
    is then tried elsewhere."""
    placed = {v.node for route in routes for v in route}
    waiting = sorted(
        (v for v in layout.visits if v.node not in placed and v.vehicles), key=lambda v: -v.worth
    )
    evicted: list[Visit] = []
    for visit in waiting:
        spot = _cheapest(layout, routes, visit)
        if spot is not None:
            routes[spot[1]].insert(spot[2], visit)
        elif visit.worth > 1 and (out := _swap_in(layout, routes, visit, fixed)) is not None:
            evicted.append(out)
    for visit in evicted:
        spot = _cheapest(layout, routes, visit)
        if spot is not None:
            routes[spot[1]].insert(spot[2], visit)


def _cheapest(
    layout: Layout, routes: list[list[Visit]], visit: Visit, only: int | None = None
) -> tuple[int, int, int] | None:
    """(added reserved driving, vehicle, position) of the cheapest place where every visit
    still fits (on vehicle ``only`` when given)."""
    travel = layout.reserved_travel
    best: tuple[int, int, int] | None = None
    for k in visit.vehicles if only is None else [only]:
        route, veh = routes[k], layout.vehicles[k]
        nodes = [veh.origin, *(v.node for v in route), veh.node]
        for i in range(len(route) + 1):
            added = (
                travel[nodes[i]][visit.node]
                + travel[visit.node][nodes[i + 1]]
                - travel[nodes[i]][nodes[i + 1]]
            )
            if best is not None and added >= best[0]:
                continue
            trial = [*route[:i], visit, *route[i:]]
            if len(_schedulable(layout, veh, trial)) == len(trial):
                best = (added, k, i)
    return best


def _swap_in(layout: Layout, routes: list[list[Visit]], visit: Visit, fixed: Collection[str]) -> Visit | None:
    """Put ``visit`` in place of the least valuable visit worth less whose removal makes room; the one removed."""
    best: tuple[int, int, int, int] | None = None
    for k in visit.vehicles:
        route = routes[k]
        for j, other in enumerate(route):
            if other.worth >= visit.worth or other.request.request_id in fixed:
                continue
            if best is not None and other.worth > best[0]:
                continue
            trial = [*routes[:k], [*route[:j], *route[j + 1 :]], *routes[k + 1 :]]
            spot = _cheapest(layout, trial, visit, only=k)
            if spot is not None and (best is None or (other.worth, spot[0]) < (best[0], best[1])):
                best = (other.worth, spot[0], k, j)
    if best is None:
        return None
    _, _, k, j = best
    out = routes[k].pop(j)
    spot = _cheapest(layout, routes, visit, only=k)
    assert spot is not None
    routes[k].insert(spot[2], visit)
    return out


@dataclass(frozen=True)
class _Schedule:
    """A greedy schedule of one vehicle on reserved times: visits with their starts, break, return."""

    visits: list[tuple[Visit, int]]
    end: int
    break_start: int | None


def _schedulable(layout: Layout, veh: Vehicle, visits: list[Visit]) -> list[Visit]:
    """The visits in order that a greedy schedule on reserved times can serve (break and cap included)."""
    return [v for v, _ in _schedule(layout, veh, visits).visits]


def _schedule(layout: Layout, veh: Vehicle, visits: list[Visit]) -> _Schedule:
    """Serve ``visits`` in order as early as their windows allow, skipping those that do not fit.

    The break is taken before the first visit that would otherwise end after its latest
    start, or after the last visit; a route that cannot take it serves nothing.
    """
    travel = layout.reserved_travel
    t, at = veh.start, veh.origin
    brk, taken = veh.break_range, None
    kept: list[tuple[Visit, int]] = []
    cap = veh.engineer.max_jobs
    for visit in visits:
        if cap is not None and len(kept) >= cap:
            break
        start = _first_start(visit, t + travel[at][visit.node])
        pause = brk is not None and taken is None and (start is None or start + visit.reserve > brk[1])
        if pause and brk is not None:
            if max(t, brk[0]) > brk[1]:
                continue
            start = _first_start(visit, max(t, brk[0]) + veh.break_s + travel[at][visit.node])
        if start is None or start + visit.reserve + travel[visit.node][veh.node] > veh.end:
            continue
        if pause and brk is not None:
            taken = max(t, brk[0])
        kept.append((visit, start))
        t, at = start + visit.reserve, visit.node
    end = t + travel[at][veh.node]
    if brk is not None and taken is None:
        taken = max(t, brk[0])
        if kept and (taken > brk[1] or taken + veh.break_s + travel[at][veh.node] > veh.end):
            return _Schedule([], veh.start + travel[veh.origin][veh.node], max(veh.start, brk[0]))
        if kept:
            end = taken + veh.break_s + travel[at][veh.node]
    return _Schedule(kept, end, taken)


def _first_start(visit: Visit, arrive: int) -> int | None:
    """The earliest service start at or after ``arrive`` inside one of the visit's windows."""
    return next((max(arrive, lo) for lo, hi in visit.windows if max(arrive, lo) <= hi), None)
