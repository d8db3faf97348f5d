"""The figures a planner and a branch manager look at, overall and per branch."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from dispatch.geo import straight_km
from dispatch.model import Priority, Problem
from dispatch.plan import Plan, Route


def _minutes(route: Route) -> tuple[float, float]:
    """Service minutes and travel minutes of a route."""
    service = sum((s.end - s.start).total_seconds() / 60 for s in route.stops)
    travel = sum(s.travel_minutes for s in route.stops) + route.return_travel_minutes
    return service, travel


def _shift_minutes(problem: Problem, route: Route) -> float:
    shift = problem.shift_by_key.get((route.engineer_id, route.day))
    return 0.0 if shift is None else (shift.end - shift.start).total_seconds() / 60


def _figures(problem: Problem, plan: Plan, routes: list[Route], request_ids: set[str]) -> dict[str, Any]:
    reqs = [problem.request_by_id[r] for r in request_ids if r in problem.request_by_id]
    served = {s.request_id for r in routes for s in r.stops}
    promised = [r for r in reqs if r.promised is not None]
    emergencies = [r for r in reqs if r.priority is Priority.EMERGENCY]
    visits = sum(len(r.stops) for r in routes)
    km = sum(s.travel_km for r in routes for s in r.stops) + sum(r.return_travel_km for r in routes)
    worked = [_minutes(r) for r in routes]
    busy = [s + t for (s, t), r in zip(worked, routes, strict=True) if r.stops]
    service = sum(s for s, _ in worked)
    travel = sum(t for _, t in worked)
    on_shift = sum(_shift_minutes(problem, r) for r in routes)
    on_time = sum(1 for r in routes for s in r.stops if s.slot.contains(s.start))
    reasons = Counter(u.reason for u in plan.unassigned if u.request_id in request_ids)
    return {
        "requests": len(reqs),
        "assigned": len(served & request_ids),
        "unassigned": dict(sorted(reasons.items())),
        "promised": len(promised),
        "promises_kept": sum(1 for r in promised if r.request_id in served),
        "emergencies": len(emergencies),
        "emergencies_served": sum(1 for r in emergencies if r.request_id in served),
        "engineers_on_shift": len(routes),
        "engineers_used": len(busy),
        "km": round(km, 1),
        "travel_minutes_per_visit": round(travel / visits, 1) if visits else 0.0,
        "utilisation": round((service + travel) / on_shift, 3) if on_shift else 0.0,
        "service_utilisation": round(service / on_shift, 3) if on_shift else 0.0,
        "on_time_share": round(on_time / visits, 4) if visits else 1.0,
        "workload_minutes_mean": round(statistics.fmean(busy), 1) if busy else 0.0,
        "workload_minutes_stdev": round(statistics.pstdev(busy), 1) if busy else 0.0,
        "workload_minutes_range": round(max(busy) - min(busy), 1) if busy else 0.0,
    }


def plan_kpis(problem: Problem, plan: Plan) -> dict[str, Any]:
    """Overall figures and the same per branch (a request counts for its engineer's branch).

    Unassigned requests count for the branch nearest to them, where a dispatcher would
    look for them first.
    """
    owner: dict[str, str] = {}
    for route, stop in plan.stops():
        owner[stop.request_id] = problem.engineer_by_id[route.engineer_id].branch_id
    for u in plan.unassigned:
        req = problem.request_by_id.get(u.request_id)
        if req is not None and problem.branches:
            here = req.location
            nearest = min(problem.branches, key=lambda b: straight_km(b.location, here, problem.planar))
            owner[u.request_id] = nearest.branch_id
    branches: dict[str, Any] = {}
    for b in sorted(problem.branch_by_id):
        routes = [r for r in plan.routes if problem.engineer_by_id[r.engineer_id].branch_id == b]
        branches[b] = _figures(problem, plan, routes, {r for r, o in owner.items() if o == b})
    overall = _figures(problem, plan, list(plan.routes), set(problem.request_by_id))
    return {**overall, "branches": branches}
