"""The search around OR-Tools: a guided local search, then ruin and recreate.

OR-Tools' guided local search stalls on long, loose routes (Solomon's R2 and RC2 classes
end 8-15 % above the best-known distances after ten seconds). So the budget is split: a
share goes to OR-Tools' own search, the rest to an iterated local search of our own that
uses OR-Tools as its engine. Each round removes a few visits close to a random one (the
*ruin*), loads the remaining routes as an assignment, and lets OR-Tools' local search put
the removed visits back and polish (the *recreate*: its insertion operators and the drop
penalties do it, so every rule of the model is kept). A round's result replaces the
current solution when it is better, or by a simulated-annealing draw when slightly worse.

Everything goes through the same routing model, so breaks, skills, slots, capacities and
optional visits are honoured exactly as in the first search.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.layout import Layout
from solver.model import Model
from solver.params import SolveParams

log = logging.getLogger(__name__)


#: Routing indices of each vehicle's visits, in order (starts and ends left out).
Routes = list[list[int]]


@dataclass(frozen=True, slots=True)
class Found:
    """A solution as plain values: its routes, objective, visit times and breaks.

    Times are kept so that the best solution reloads exactly as found, without a search:
    OR-Tools can fail to re-time long routes with wide windows on its own (its restore is a
    depth-first search).
    """

    routes: Routes
    objective: int
    times: dict[int, int]
    breaks: dict[int, int]


def found_of(model: Model, solution: pywrapcp.Assignment) -> Found:
    """The plain values of ``solution``."""
    routing, dim = model.routing, model.time
    routes = routes_of(model, solution)
    times = {}
    for k, route in enumerate(routes):
        for index in (routing.Start(k), *route, routing.End(k)):
            times[index] = solution.Value(dim.CumulVar(index))
    breaks = {k: solution.StartValue(var) for k, var in model.breaks.items()}
    return Found(routes, solution.ObjectiveValue(), times, breaks)


#: Share of the rounds whose ruin also empties the shortest route.
ROUTE_RUIN = 0.2

#: Longest string of consecutive visits a string ruin removes from one route.
STRING_MAX = 10

#: Fewest neighbours a move of a round considers, however small the ratio.
MIN_NEIGHBOURS = 8


def _descent_parameters(seconds: float, neighbours: float = 1.0) -> pywrapcp.DefaultRoutingSearchParameters:
    """A plain descent with every default operator, insertion of unperformed visits included.

    ``neighbours`` is the share of the closest visits a move considers: a small share makes
    each round's descent several times faster at little loss.
    """
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    search.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if neighbours < 1.0:
        search.ls_operator_neighbors_ratio = neighbours
        search.ls_operator_min_neighbors = MIN_NEIGHBOURS
    return search


def routes_of(model: Model, solution: pywrapcp.Assignment) -> Routes:
    """The visits of every vehicle of ``solution``, as routing indices."""
    routing = model.routing
    routes = []
    for k in range(routing.vehicles()):
        index, route = routing.Start(k), []
        while True:
            index = solution.Value(routing.NextVar(index))
            if routing.IsEnd(index):
                break
            route.append(index)
        routes.append(route)
    return routes


class _Neighbours:
    """Visits by closeness (travel both ways), computed per seed on first use."""

    def __init__(self, layout: Layout, model: Model) -> None:
        self.seconds = layout.travel.seconds
        self.manager = model.manager
        self.cache: dict[int, list[int]] = {}

    def of(self, seed: int, among: list[int]) -> list[int]:
        """Routing indices of ``among`` sorted by closeness to ``seed`` (itself first)."""
        if seed not in self.cache:
            node = self.manager.IndexToNode
            a = node(seed)
            self.cache[seed] = sorted(
                among, key=lambda j: self.seconds[a][node(j)] + self.seconds[node(j)][a]
            )
        return self.cache[seed]


def _ruin(found: Found, near: _Neighbours, rnd: random.Random, params: SolveParams) -> Found:
    """The solution without a random visit and the visits closest to it.

    Now and then (``ROUTE_RUIN`` of the rounds) the seed's whole route goes too when it is
    short, so that the search can try with one vehicle fewer.
    """
    served = sorted(i for r in found.routes for i in r)
    if not served:
        return found
    seed = rnd.choice(served)
    k = rnd.randint(params.ruin_min, params.ruin_max)
    gone = set(near.of(seed, served)[:k])
    if rnd.random() < ROUTE_RUIN:
        used = [r for r in found.routes if r]
        shortest = min(used, key=len)
        if len(shortest) <= params.ruin_max:
            gone.update(shortest)
    routes = [[i for i in r if i not in gone] for r in found.routes]
    return Found(routes, found.objective, found.times, found.breaks)


def _ruin_strings(found: Found, near: _Neighbours, rnd: random.Random, params: SolveParams) -> Found:
    """The solution without strings of consecutive visits from several routes near a random visit.

    The ruin of slack induction by string removals (Christiaens and Vanden Berghe, 2020):
    about ``(ruin_min + ruin_max) / 2`` visits go on average, as strings of at most
    ``STRING_MAX`` visits (or the mean route length), one string per route, from the routes
    of the visits closest to a random one. Half of the strings keep a middle piece of their
    route, so that the recreate can also split a route around it.
    """
    served = sorted(i for r in found.routes for i in r)
    if not served:
        return found
    used = [r for r in found.routes if r]
    route_of = {i: k for k, r in enumerate(found.routes) for i in r}
    longest = min(STRING_MAX, max(1, round(len(served) / len(used))))
    mean_removed = (params.ruin_min + params.ruin_max) / 2
    strings = int(rnd.uniform(1, 4 * mean_removed / (1 + longest)))
    seed = rnd.choice(served)
    gone: set[int] = set()
    ruined: set[int] = set()
    for visit in near.of(seed, served):
        if len(ruined) >= strings:
            break
        k = route_of[visit]
        if k in ruined or visit in gone:
            continue
        ruined.add(k)
        route = found.routes[k]
        size = int(rnd.uniform(1, min(len(route), longest) + 1))
        gone.update(_string(route, route.index(visit), size, rnd))
    routes = [[i for i in r if i not in gone] for r in found.routes]
    return Found(routes, found.objective, found.times, found.breaks)


def _string(route: list[int], at: int, size: int, rnd: random.Random) -> list[int]:
    """``size`` consecutive visits of ``route`` through position ``at``; half the time split.

    A split string spans ``size + kept`` positions and keeps ``kept`` consecutive visits in
    its middle (``kept`` grows by one with probability one half while there is room).
    """
    kept = 0
    if rnd.random() < 0.5 and size < len(route):
        kept = 1
        while size + kept < len(route) and rnd.random() < 0.5:
            kept += 1
    span = size + kept
    first = rnd.randint(max(0, at - span + 1), min(at, len(route) - span))
    piece = route[first : first + span]
    if not kept:
        return piece
    keep_at = rnd.randint(1, size)
    return piece[:keep_at] + piece[keep_at + kept :]


def assignment_of(model: Model, found: Found, exact: bool) -> pywrapcp.Assignment:
    """The successors of ``found`` as an OR-Tools assignment; visits left out are inactive.

    ``exact`` also fixes the visit times and breaks found, which loads a solution as it was
    without any search (OR-Tools' own re-timing, a depth-first search, can fail on long
    routes with wide windows). A search from a ruined solution must leave them free: a move
    is judged with the values the assignment holds, and old times would forbid most moves.
    """
    routing, dim = model.routing, model.time
    start = routing.solver().Assignment()
    for k, route in enumerate(found.routes):
        chain = [routing.Start(k), *route, routing.End(k)]
        for a, b in pairwise(chain):
            start.Add(routing.NextVar(a))
            start.SetValue(routing.NextVar(a), b)
        if exact:
            for index in chain:
                start.Add(dim.CumulVar(index))
                start.SetValue(dim.CumulVar(index), found.times[index])
    served = {i for r in found.routes for i in r}
    for index in range(routing.Size()):
        if not routing.IsStart(index) and index not in served:
            start.Add(routing.NextVar(index))
            start.SetValue(routing.NextVar(index), index)
    if exact:
        for k, var in model.breaks.items():
            start.Add(var)
            start.SetStartValue(var, found.breaks[k])
            start.SetDurationValue(var, var.DurationMin())
            start.SetEndValue(var, found.breaks[k] + var.DurationMin())
            start.SetPerformedValue(var, 1)
    return start


def _resolve(
    model: Model, found: Found, search: pywrapcp.DefaultRoutingSearchParameters, exact: bool = False
) -> pywrapcp.Assignment | None:
    """Load ``found`` as an assignment and run ``search`` from it."""
    return model.routing.SolveFromAssignmentWithParameters(assignment_of(model, found, exact), search)


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


def ruin_and_recreate(
    layout: Layout,
    model: Model,
    params: SolveParams,
    solution: pywrapcp.Assignment,
    deadline: float,
    should_stop: Callable[[], bool] | None = None,
) -> pywrapcp.Assignment:
    """Iterated ruin and recreate from ``solution`` until the deadline, the round limit or a stop.

    Returns a copy of the best assignment met (the solver reuses the one it hands out).
    """
    rnd = random.Random(params.seed)
    near = _Neighbours(layout, model)
    keep = model.routing.solver().Assignment
    kept = keep(solution)
    found = found_of(model, solution)
    best = current = found
    visits = max(1, sum(len(r) for r in found.routes))
    started = time.monotonic()
    span = max(1e-3, deadline - started)
    rounds = failed = 0
    ruin = _ruin_strings if params.ruin == "strings" else _ruin
    while time.monotonic() < deadline:
        if params.solution_limit is not None and rounds >= params.solution_limit:
            break
        if should_stop is not None and should_stop():
            break
        rounds += 1
        descent = _descent_parameters(_left(deadline), params.round_neighbours)
        result = _resolve(model, ruin(current, near, rnd, params), descent)
        if result is None:
            failed += 1
            continue
        candidate = found_of(model, result)
        progress = (time.monotonic() - started) / span
        temperature = params.ruin_temperature * current.objective / visits * max(0.0, 1.0 - progress)
        worse = candidate.objective - current.objective
        if worse < 0 or (temperature > 0 and rnd.random() < math.exp(-worse / temperature)):
            current = candidate
        if candidate.objective < best.objective:
            best, kept = candidate, keep(result)
    log.debug(
        "ruin and recreate: %d rounds (%d failed) in %.1f s, %s -> %s",
        rounds,
        failed,
        time.monotonic() - started,
        found.objective,
        best.objective,
    )
    return kept


def search_one(
    layout: Layout,
    model: Model,
    params: SolveParams,
    first: pywrapcp.DefaultRoutingSearchParameters,
    should_stop: Callable[[], bool] | None = None,
) -> pywrapcp.Assignment | None:
    """OR-Tools' search ``first`` for a share of the budget, then ruin and recreate.

    Without ``ruin_recreate`` this is ``first`` alone, for the whole budget. ``should_stop``
    is asked between rounds; a true answer keeps the best found so far.
    """
    if not params.ruin_recreate:
        return model.routing.SolveWithParameters(first)
    deadline = time.monotonic() + params.time_limit_s
    first.time_limit.FromMilliseconds(max(1, int(params.time_limit_s * params.first_search_share * 1000)))
    solution = model.routing.SolveWithParameters(first)
    if solution is None or not any(found_of(model, solution).routes):
        # The share ran out before the first solution was complete (a large instance, a
        # small share): finish the first solution alone, and the rounds take what is left.
        first.time_limit.FromMilliseconds(max(1, int(_left(deadline) * 1000)))
        first.solution_limit = 1
        solution = model.routing.SolveWithParameters(first)
        if solution is None or not any(found_of(model, solution).routes):
            return solution
    if should_stop is not None and should_stop():
        return solution
    return ruin_and_recreate(layout, model, params, solution, deadline, should_stop)


def run_search(
    layout: Layout,
    model: Model,
    params: SolveParams,
    first: pywrapcp.DefaultRoutingSearchParameters,
    should_stop: Callable[[], bool] | None = None,
) -> pywrapcp.Assignment | None:
    """The search of ``params``: :func:`search_one`, or a portfolio of ``workers`` of them."""
    if params.workers > 1:
        from solver.portfolio import run_portfolio

        return run_portfolio(layout, model, params, first, should_stop)
    return search_one(layout, model, params, first, should_stop)


def restore(model: Model, found: Found) -> pywrapcp.Assignment | None:
    """The full assignment of ``found`` with its own times, or None when it does not load.

    OR-Tools answers a start it cannot load with its fallback (every visit left out), so
    the objective is compared too.
    """
    search = _descent_parameters(60.0)
    search.solution_limit = 1
    for exact in (True, False):
        loaded = _resolve(model, found, search, exact)
        if loaded is not None and loaded.ObjectiveValue() == found.objective:
            return loaded
    return None
