"""The second pass of a decomposed run: left-over work offered to idle engineers next door.

**Bounds.** A request left unassigned by its branch (for want of capacity, reach, skills or
a solved sub-problem) is offered to one neighbouring branch: of the :data:`NEIGHBOURS`
branches nearest to its own within :data:`NEIGHBOUR_KM`, the one closest to the request
that has an idle engineer with its skills on its day. An engineer is idle when their
planned day leaves at least :data:`IDLE_SPARE_MIN` minutes of the shift (less the break)
unworked and room under ``max_jobs``. At most :data:`MAX_OFFERED` requests go to one
branch and day, the most valuable first (emergencies, promises, high priority).

**Re-solve.** For each receiving branch and day, one sub-problem holds only the touched
engineers (idle and eligible for some offered request), the visits they already have and
the offered work; their routes are re-optimised from scratch with the planned visits
``keep``-weighted (:data:`KEEP_S` more to leave out than any other work of their tier).
The new routes are taken only if every visit planned before is served again (a promise
in its promised slot, as every plan is); otherwise the first pass's routes stay. So the
second pass never breaks a promise already planned, nor drops a visit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from dispatch.model import Priority, Problem, Request, Shift
from dispatch.plan import Route, Unassigned
from dispatch.rules import is_eligible
from solver.backends import Outcome

if TYPE_CHECKING:
    from solver.decompose import Part

#: How many of the nearest other branches may take a branch's left-over work.
NEIGHBOURS = 2
#: How far (km between the branches) a neighbouring branch may be.
NEIGHBOUR_KM = 30.0
#: Unworked minutes of a shift that make its engineer idle.
IDLE_SPARE_MIN = 60.0
#: The most requests offered to one branch and day.
MAX_OFFERED = 200
#: Extra cost, in seconds of driving, of leaving out a visit planned in the first pass.
KEEP_S = 4 * 3600


def neighbours(problem: Problem) -> dict[str, list[str]]:
    """The :data:`NEIGHBOURS` nearest other branches of each branch within :data:`NEIGHBOUR_KM`."""
    from solver.decompose import km_matrix

    locations = [b.location for b in problem.branches]
    km = km_matrix(locations, locations, problem.planar)
    out: dict[str, list[str]] = {}
    for i, b in enumerate(problem.branches):
        order = [int(j) for j in km[i].argsort() if int(j) != i and km[i, int(j)] <= NEIGHBOUR_KM]
        out[b.branch_id] = [problem.branches[j].branch_id for j in order[:NEIGHBOURS]]
    return out


def spare_minutes(shift: Shift, route: Route | None) -> float:
    """Minutes of the shift, less the break, that the route leaves unworked."""
    total = (shift.end - shift.start - shift.break_duration).total_seconds() / 60
    if route is None:
        return total
    service = sum((s.end - s.start).total_seconds() / 60 for s in route.stops)
    travel = sum(s.travel_minutes for s in route.stops) + route.return_travel_minutes
    return total - service - travel


def _idle(problem: Problem, routes: Mapping[tuple[str, date], Route]) -> dict[tuple[str, date], list[str]]:
    """Idle engineers by (branch, day)."""
    out: dict[tuple[str, date], list[str]] = defaultdict(list)
    for s in problem.shifts:
        engineer = problem.engineer_by_id.get(s.engineer_id)
        if engineer is None or s.day not in problem.dates:
            continue
        route = routes.get((s.engineer_id, s.day))
        visits = len(route.stops) if route else 0
        if spare_minutes(s, route) >= IDLE_SPARE_MIN and (
            engineer.max_jobs is None or visits < engineer.max_jobs
        ):
            out[(engineer.branch_id, s.day)].append(s.engineer_id)
    return out


def _value(r: Request) -> tuple[bool, bool, bool, str]:
    """Most valuable first: emergencies, promises, high priority."""
    return (
        r.priority is not Priority.EMERGENCY,
        r.promised is None,
        r.priority is not Priority.HIGH,
        r.request_id,
    )


def second_pass(
    problem: Problem,
    routes: Mapping[tuple[str, date], Route],
    unassigned: Sequence[Unassigned],
    owner: Mapping[str, Part],
) -> tuple[list[Part], list[Unassigned]]:
    """The second pass's sub-problems, and the unassigned work with a note on those not offered."""
    from solver.decompose import km_matrix

    near = neighbours(problem)
    idle = _idle(problem, routes)
    offered: dict[tuple[str, date], list[Request]] = defaultdict(list)
    touched: dict[tuple[str, date], set[str]] = defaultdict(set)
    kept: list[Unassigned] = []
    for u in sorted(unassigned, key=lambda u: _value(problem.request_by_id[u.request_id])):
        request, part = problem.request_by_id[u.request_id], owner.get(u.request_id)
        options = [] if part is None else near.get(part.branch_id, [])
        if options:
            km = km_matrix(
                [request.location], [problem.branch_by_id[b].location for b in options], problem.planar
            )[0]
            options = [options[int(i)] for i in km.argsort()]
        taker = None
        for b in options:
            assert part is not None
            eligible = [
                e for e in idle.get((b, part.day), []) if is_eligible(problem.engineer_by_id[e], request)
            ]
            if eligible and len(offered[(b, part.day)]) < MAX_OFFERED:
                taker = (b, part.day)
                touched[taker] |= set(eligible)
                offered[taker].append(request)
                break
        if taker is None:
            note = f"; no idle engineer with its skills in the {NEIGHBOURS} nearest branches within {NEIGHBOUR_KM:g} km"
            kept.append(Unassigned(u.request_id, u.reason, u.detail + note))
        else:
            kept.append(u)
    return [_group(problem, key, offered[key], touched[key], routes) for key in sorted(offered)], kept


def _group(
    problem: Problem,
    key: tuple[str, date],
    offered: list[Request],
    engineers: set[str],
    routes: Mapping[tuple[str, date], Route],
) -> Part:
    from solver.decompose import _part

    branch, day = key
    planned = [s.request_id for e in sorted(engineers) if (e, day) in routes for s in routes[(e, day)].stops]
    requests = [problem.request_by_id[r] for r in planned] + offered
    return _part(problem, branch, day, sorted(engineers), requests, frozenset(planned), "/2")


def apply_second_pass(
    groups: Sequence[Part],
    outcomes: Mapping[str, Outcome],
    routes: dict[tuple[str, date], Route],
    unassigned: Sequence[Unassigned],
) -> tuple[int, list[Unassigned]]:
    """Take each group's routes that serve every visit planned before; how many were taken, and the rest."""
    served: set[str] = set()
    notes: dict[str, str] = {}
    accepted = 0
    for group in groups:
        outcome = outcomes.get(group.key)
        offered = [r.request_id for r in group.problem.requests if r.request_id not in group.keep]
        who = f"{len(group.problem.engineers)} idle engineers of {group.branch_id}"
        plan = outcome.plan if outcome is not None else None
        now = {s.request_id for _, s in plan.stops()} if plan is not None else set()
        if plan is None or not group.keep <= now:
            why = "its re-solve failed" if plan is None else "its re-solve would drop planned visits"
            notes |= {r: f"; offered in the second pass to {who}, but {why}" for r in offered}
            continue
        accepted += 1
        routes |= {(r.engineer_id, r.day): r for r in plan.routes}
        served |= now
        notes |= {r: f"; offered in the second pass to {who}: no room" for r in offered}
    rest = [
        Unassigned(u.request_id, u.reason, u.detail + notes.get(u.request_id, ""))
        for u in unassigned
        if u.request_id not in served
    ]
    return accepted, rest
