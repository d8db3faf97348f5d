"""From an OR-Tools assignment back to domain values: routes, stops, the break."""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp

from dispatch.model import TimeWindow
from dispatch.plan import Reason, Route, Stop, Unassigned
from dispatch.rules import slot_containing
from solver.layout import Layout, Vehicle, Visit
from solver.model import Model


def extract_routes(layout: Layout, model: Model, solution: pywrapcp.Assignment) -> list[Route]:
    """One route per vehicle (empty ones too), with times read from the solution."""
    by_node = {v.node: v for v in layout.visits}
    breaks = {k: (solution.StartValue(var), solution.EndValue(var)) for k, var in model.breaks.items()}
    routes = []
    for k, veh in enumerate(layout.vehicles):
        visits: list[tuple[Visit, int]] = []
        index = model.routing.Start(k)
        while True:
            index = solution.Value(model.routing.NextVar(index))
            if model.routing.IsEnd(index):
                break
            node = model.manager.IndexToNode(index)
            visits.append((by_node[node], solution.Value(model.time.CumulVar(index))))
        routes.append(_route(layout, veh, visits, breaks.get(k)))
    return routes


def _route(
    layout: Layout, veh: Vehicle, visits: list[tuple[Visit, int]], brk: tuple[int, int] | None
) -> Route:
    """The route on expected times, in the order and slots the search chose.

    The search scheduled reserved (protected) durations; replaying the same order with the
    expected ones, each visit starting as soon as its slot allows and the break as early as
    its window allows in the same gap, is never later, so every promise still holds.
    """
    secs, meters = layout.travel.seconds, layout.travel.meters
    day = veh.shift.day
    gap = None if brk is None or not visits else sum(1 for v, p in visits if p + v.reserve <= brk[0])
    stops: list[Stop] = []
    taken: int | None = None
    prev_node, prev_end = veh.origin, veh.start
    for i, (visit, planned) in enumerate(visits):
        slot = slot_containing(layout.problem, visit.request, day, layout.moment(planned))
        assert slot is not None, f"{visit.request.request_id} starts outside every slot"
        leg = secs[prev_node][visit.node]
        arrival = prev_end + leg
        start = max(layout.seconds(slot.start), arrival)
        if gap == i:
            taken = _break_start(veh, prev_end)
            if taken < arrival:
                arrival += veh.break_s
            start = max(start, arrival, taken + veh.break_s)
        assert start <= planned, f"{visit.request.request_id}: expected start after the reserved one"
        stops.append(
            Stop(
                visit.request.request_id, slot, layout.moment(arrival), layout.moment(start),
                layout.moment(start + visit.service), leg / 60, meters[prev_node][visit.node] / 1000,
            )
        )  # fmt: skip
        prev_node, prev_end = visit.node, start + visit.service
    if gap is not None and gap == len(visits):
        taken = _break_start(veh, prev_end)
    window = None if taken is None else TimeWindow(layout.moment(taken), layout.moment(taken + veh.break_s))
    return Route(
        veh.engineer.engineer_id, day, stops, window,
        secs[prev_node][veh.node] / 60 if stops else 0.0,
        meters[prev_node][veh.node] / 1000 if stops else 0.0,
    )  # fmt: skip


def _break_start(veh: Vehicle, free_from: int) -> int:
    """The earliest the break can start once the engineer is free."""
    assert veh.break_range is not None
    return max(veh.break_range[0], free_from)


def dropped(layout: Layout, served: set[str]) -> list[Unassigned]:
    """Requests the search left out although some vehicle could have reached them."""
    explained = {u.request_id for u in layout.unassigned}
    out = []
    for visit in layout.visits:
        rid = visit.request.request_id
        if rid in served or rid in explained:
            continue
        names = sorted({layout.vehicles[k].engineer.engineer_id for k in visit.vehicles})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        what = "the promised slot" if visit.request.promised else "any allowed slot"
        out.append(
            Unassigned(
                rid,
                Reason.NO_CAPACITY.value,
                f"the {len(names)} engineers who could serve it ({shown}) have no room in {what}",
            )
        )
    return out
