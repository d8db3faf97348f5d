"""The OR-Tools routing model of a laid-out problem.

Dimensions: ``time`` (reserved service plus reserved travel, see :mod:`solver.layout`;
slack is waiting and breaks), ``jobs`` (the
``max_jobs`` cap), ``load`` (van capacity, when any), ``busy`` (minutes of work, softly
capped at the day's fair share to even workloads out) and ``preference`` (the cost of a
warranty re-repair served by someone else than the preferred engineer).
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp

from solver.layout import Layout
from solver.params import SolveParams

TIME = "time"
DAY = 86_400


@dataclass
class Model:
    """The routing model with the handles extraction needs."""

    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    time: pywrapcp.RoutingDimension
    breaks: dict[int, pywrapcp.IntervalVar]


def build_model(layout: Layout, params: SolveParams) -> Model:
    """Encode the rules of :mod:`dispatch.rules` on the layout's nodes and vehicles."""
    n_nodes = len(layout.points)
    starts = [v.origin for v in layout.vehicles]
    ends = [v.node for v in layout.vehicles]
    manager = pywrapcp.RoutingIndexManager(n_nodes, len(layout.vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    service, reserve = [0] * n_nodes, [0] * n_nodes
    for visit in layout.visits:
        service[visit.node], reserve[visit.node] = visit.service, visit.reserve
    arc = routing.RegisterTransitMatrix(layout.travel.seconds)
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    transit = register_matrix(routing, manager, layout.reserved_travel, reserve)
    horizon = DAY * (len(layout.problem.dates) + 1)
    routing.AddDimension(transit, horizon, horizon, False, TIME)
    time_dim = routing.GetDimensionOrDie(TIME)
    _vehicle_shifts(layout, routing, time_dim)
    breaks = _breaks(layout, routing, manager, time_dim, reserve)
    _visits(layout, params, routing, manager, time_dim, unit=_drop_unit(layout, params))
    _jobs_cap(layout, routing, manager)
    _load_cap(layout, routing, manager)
    _balance(layout, params, routing, manager, service)
    _preference(layout, params, routing)
    return Model(routing, manager, time_dim, breaks)


def register_matrix(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    matrix: list[list[int]],
    leaving: list[int] | None = None,
) -> int:
    """A transit of ``matrix[a][b]`` (plus ``leaving[a]``) between nodes, as a Python callback.

    Not ``RegisterTransitMatrix``: OR-Tools 9.15 hands a dimension's transit to its route
    filter by value (``FillDimensionValuesFromRoutingDimension`` takes an
    ``absl::AnyInvocable``), so a matrix-backed transit is copied whole, n x n values, at
    every route check of every move. On 100 Solomon customers, allocating and copying were
    two thirds of a descent's profile and the descent took twice as long; on a 1,500-request
    day it is megabytes per check. A Python callback
    copies a reference instead, and a call costs well under a microsecond. The arc cost
    keeps the matrix: OR-Tools only calls it, and caches the answers.
    """
    node_of = [manager.IndexToNode(i) for i in range(routing.Size() + routing.vehicles())]
    rows = [matrix[n] for n in node_of]
    if leaving is None:
        return int(routing.RegisterTransitCallback(lambda i, j: rows[i][node_of[j]]))
    extra = [leaving[n] for n in node_of]
    return int(routing.RegisterTransitCallback(lambda i, j: extra[i] + rows[i][node_of[j]]))


def _drop_unit(layout: Layout, params: SolveParams) -> int:
    """Cost of leaving out one unit of work: more than any detour and soft cost it saves."""
    longest = max((max(row) for row in layout.travel.seconds), default=0)
    return 2 * longest + params.preferred_engineer_s + params.keep_s + 2 * DAY + 1


def _vehicle_shifts(layout: Layout, routing: pywrapcp.RoutingModel, dim: pywrapcp.RoutingDimension) -> None:
    for k, veh in enumerate(layout.vehicles):
        for index in (routing.Start(k), routing.End(k)):
            dim.CumulVar(index).SetRange(veh.start, veh.end)
        routing.AddVariableMaximizedByFinalizer(dim.CumulVar(routing.Start(k)))
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.End(k)))


def _breaks(
    layout: Layout,
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    dim: pywrapcp.RoutingDimension,
    service: list[int],
) -> dict[int, pywrapcp.IntervalVar]:
    """One fixed-length break per shift; it may not overlap a visit's service.

    OR-Tools lets a break fall inside a leg; the slack then holds travel and break
    together, which is the contract's rule (the gap holds both). Extraction reports it so.
    """
    solver = routing.solver()
    visit_transits = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
    visit_transits += [0] * len(layout.vehicles)
    breaks: dict[int, pywrapcp.IntervalVar] = {}
    for k, veh in enumerate(layout.vehicles):
        if veh.break_range is None:
            continue
        lo, hi = veh.break_range
        brk = solver.FixedDurationIntervalVar(lo, hi, veh.break_s, False, f"break {k}")
        dim.SetBreakIntervalsOfVehicle([brk], k, visit_transits)
        breaks[k] = brk
    return breaks


def _visits(
    layout: Layout,
    params: SolveParams,
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    dim: pywrapcp.RoutingDimension,
    unit: int,
) -> None:
    """Windows, allowed vehicles, drop penalties and the emergencies' hurry."""
    for visit in layout.visits:
        index = manager.NodeToIndex(visit.node)
        kept = params.keep_s if visit.request.request_id in params.keep else 0
        routing.AddDisjunction([index], visit.worth * unit + kept)
        if not visit.vehicles:
            routing.ActiveVar(index).SetValue(0)
            continue
        routing.VehicleVar(index).SetValues([-1, *visit.vehicles])
        cumul = dim.CumulVar(index)
        cumul.SetRange(visit.windows[0][0], max(hi for _, hi in visit.windows))
        covered = visit.windows[0][1]
        for lo, hi in visit.windows[1:]:
            if lo > covered + 1:
                cumul.RemoveInterval(covered + 1, lo - 1)
            covered = max(covered, hi)
        routing.AddVariableMinimizedByFinalizer(cumul)
        if visit.request.priority.value == "emergency" and params.emergency_delay_s_per_hour:
            coefficient = max(1, params.emergency_delay_s_per_hour // 3600)
            dim.SetCumulVarSoftUpperBound(index, visit.windows[0][0], coefficient)


def _jobs_cap(layout: Layout, routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager) -> None:
    caps = [v.engineer.max_jobs for v in layout.vehicles]
    if all(c is None for c in caps):
        return
    ones = [0] * len(layout.points)
    for visit in layout.visits:
        ones[visit.node] = 1
    count = routing.RegisterUnaryTransitVector(ones)
    big = len(layout.visits) + 1
    routing.AddDimensionWithVehicleCapacity(count, 0, [big if c is None else c for c in caps], True, "jobs")


def _load_cap(layout: Layout, routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager) -> None:
    caps = [v.engineer.capacity for v in layout.vehicles]
    if all(c is None for c in caps) or not any(v.request.demand for v in layout.visits):
        return
    demand = [0] * len(layout.points)
    for visit in layout.visits:
        demand[visit.node] = visit.request.demand
    load = routing.RegisterUnaryTransitVector(demand)
    big = sum(demand) + 1
    routing.AddDimensionWithVehicleCapacity(load, 0, [big if c is None else c for c in caps], True, "load")


def _balance(
    layout: Layout,
    params: SolveParams,
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    service: list[int],
) -> None:
    """Soft cap on each engineer's minutes of work at the day's fair share.

    The share is the placeable work (service plus an average leg) over the vehicles of
    all days; work above it costs ``balance_s_per_hour`` of driving per hour.
    """
    per_minute = params.balance_s_per_hour // 60
    if per_minute == 0 or not layout.vehicles or not layout.visits:
        return
    travel = layout.travel.seconds
    minutes = [[(service[i] + t + 59) // 60 for t in row] for i, row in enumerate(travel)]
    busy = register_matrix(routing, manager, minutes)
    routing.AddDimension(busy, 0, DAY // 60 * (len(layout.problem.dates) + 1), True, "busy")
    dim = routing.GetDimensionOrDie("busy")
    n = len(travel)
    mean_leg = sum(map(sum, travel)) / max(1, n * (n - 1))
    total = sum(v.service + mean_leg for v in layout.visits) / 60
    share = int(total / len(layout.vehicles)) + 1
    for k in range(len(layout.vehicles)):
        dim.SetCumulVarSoftUpperBound(routing.End(k), share, per_minute)


def _preference(layout: Layout, params: SolveParams, routing: pywrapcp.RoutingModel) -> None:
    """Serving a re-repair by anyone but the preferred engineer costs ``preferred_engineer_s``."""
    wished = [v for v in layout.visits if v.request.preferred_engineer_id]
    if not wished or params.preferred_engineer_s == 0:
        return
    preferred = {v.request.preferred_engineer_id for v in wished}
    callbacks: dict[str | None, int] = {}
    per_vehicle = []
    for veh in layout.vehicles:
        eid = veh.engineer.engineer_id if veh.engineer.engineer_id in preferred else None
        if eid not in callbacks:
            cost = [0] * len(layout.points)
            for visit in wished:
                if visit.request.preferred_engineer_id != eid:
                    cost[visit.node] = params.preferred_engineer_s
            callbacks[eid] = routing.RegisterUnaryTransitVector(cost)
        per_vehicle.append(callbacks[eid])
    cap = params.preferred_engineer_s * len(wished) + 1
    routing.AddDimensionWithVehicleTransits(per_vehicle, 0, cap, True, "preference")
    routing.GetDimensionOrDie("preference").SetSpanCostCoefficientForAllVehicles(1)
