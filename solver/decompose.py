"""The national night: one sub-problem per branch and day, solved in parallel, merged into one plan.

**Split.** A request belongs to the branch nearest to it (the contract's "branch whose area
it falls in"; the service assigns it the same way). A promise goes to its day; work that
may be served on several planned days goes to the allowed day where its branch has the
fewest requests per engineer on shift so far. Each (branch, day) becomes a
:class:`Part`: that branch's engineers on shift that day and its requests, with its own
travel matrix (no national matrix is ever built). Requests with no planned day allowed are
explained before any search.

**Budget.** ``params.time_limit_s`` is the wall-clock budget of the whole run. A reserve
for the merge and the validator is set aside; the first pass gets :data:`FIRST_SHARE` of
the rest, the second pass what is left. Within a pass, the search time of all workers
together is shared out by work size (requests x engineers), capped at the pass's length;
see :mod:`solver.backends` for how each task keeps to the deadline.

**Second pass** (:mod:`solver.neighbours`): work left unassigned is offered to idle,
eligible engineers of the :data:`~solver.neighbours.NEIGHBOURS` nearest branches within
:data:`~solver.neighbours.NEIGHBOUR_KM`, and only those engineers' routes are re-solved.

**Merge.** The routes and unassigned work of every part make one plan, which passes
:func:`dispatch.validate.validate` on the whole problem. A part that failed or timed out
leaves its requests unassigned with the reason :data:`PLANNING_FAILED` (and offers them
to the neighbours); the rest of the night completes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from dispatch.explain import candidates
from dispatch.kpis import plan_kpis
from dispatch.model import Location, Problem, Request
from dispatch.plan import Plan, Route, Unassigned
from dispatch.rules import allowed_days
from dispatch.validate import validate
from solver.backends import Backend, Outcome, PartCallback, Task
from solver.params import SolveParams
from solver.solve import SolverBug

log = logging.getLogger(__name__)

#: The unassigned reason of work whose sub-problem failed or ran out of time.
PLANNING_FAILED = "planning_failed"
#: Share of the budget (after the merge reserve) that the first pass gets.
FIRST_SHARE = 0.8
#: Seconds the merge and the whole-problem validation take, per request, and at least.
MERGE_S_PER_REQUEST = 0.001
MERGE_MIN_S = 0.3
#: The shortest search share a part gets.
MIN_PART_S = 0.2


@dataclass(frozen=True)
class Part:
    """One sub-problem: a branch's engineers on shift and its requests for one day.

    ``keep``: requests already planned on these engineers' routes (second pass), which
    the re-solve must serve again.
    """

    key: str
    branch_id: str
    day: date
    problem: Problem
    keep: frozenset[str] = frozenset()

    @property
    def work(self) -> int:
        """Requests x engineers: what the budget is shared by."""
        return max(1, len(self.problem.requests)) * max(1, len(self.problem.engineers))


@dataclass(frozen=True)
class DecomposedResult:
    """The merged plan, a one-line status, wall seconds, and every part's outcome."""

    plan: Plan
    status: str
    seconds: float
    outcomes: dict[str, Outcome]
    merge_s: float = 0.0


def km_matrix(a: Sequence[Location], b: Sequence[Location], planar: bool = False) -> np.ndarray:
    """Great-circle km (spherical, for ranking only) or plane distance between two point sets."""
    la = np.array([[p.lat, p.lon] for p in a], dtype=float).reshape(-1, 2)
    lb = np.array([[p.lat, p.lon] for p in b], dtype=float).reshape(-1, 2)
    if planar:
        return np.asarray(np.sqrt(((la[:, None, :] - lb[None, :, :]) ** 2).sum(axis=2)))
    ra, rb = np.radians(la), np.radians(lb)
    dlat = ra[:, None, 0] - rb[None, :, 0]
    dlon = ra[:, None, 1] - rb[None, :, 1]
    h = np.sin(dlat / 2) ** 2 + np.cos(ra[:, None, 0]) * np.cos(rb[None, :, 0]) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def owners(problem: Problem) -> dict[str, str]:
    """The branch of each request: the nearest one."""
    if not problem.requests or not problem.branches:
        return {}
    nearest = km_matrix(
        [r.location for r in problem.requests], [b.location for b in problem.branches], problem.planar
    ).argmin(axis=1)
    return {
        r.request_id: problem.branches[int(i)].branch_id
        for r, i in zip(problem.requests, nearest, strict=True)
    }


def _home_branches(problem: Problem) -> dict[str, str]:
    """The branch of each engineer: theirs, or the nearest to their home when it is unknown."""
    known = problem.branch_by_id
    out = {e.engineer_id: e.branch_id for e in problem.engineers if e.branch_id in known}
    lost = [e for e in problem.engineers if e.branch_id not in known]
    if lost and problem.branches:
        km = km_matrix([e.home for e in lost], [b.location for b in problem.branches], problem.planar)
        out |= {
            e.engineer_id: problem.branches[int(i)].branch_id
            for e, i in zip(lost, km.argmin(axis=1), strict=True)
        }
    return out


def split(problem: Problem) -> tuple[list[Part], list[Unassigned]]:
    """One part per (branch, day) with work, and the requests no planned day allows, explained."""
    owner = owners(problem)
    home = _home_branches(problem)
    crew: dict[tuple[str, date], list[str]] = defaultdict(list)
    for s in problem.shifts:
        if s.day in problem.dates and s.engineer_id in home:
            crew[(home[s.engineer_id], s.day)].append(s.engineer_id)
    work: dict[tuple[str, date], list[Request]] = defaultdict(list)
    early: list[Unassigned] = []
    for r in sorted(problem.requests, key=lambda r: (r.promised is None, len(allowed_days(r, problem)))):
        days = allowed_days(r, problem)
        if not days:
            found = candidates(problem, r)
            assert isinstance(found, Unassigned)  # no day allowed: explained before engineers are looked at
            early.append(found)
            continue
        b = owner[r.request_id]
        day = min(days, key=lambda d: (len(work[(b, d)]) + 1) / max(1, len(crew[(b, d)])))
        work[(b, day)].append(r)
    parts = [_part(problem, b, day, crew[(b, day)], reqs) for (b, day), reqs in sorted(work.items())]
    return parts, early


def _part(
    problem: Problem,
    branch_id: str,
    day: date,
    engineer_ids: Sequence[str],
    requests: Sequence[Request],
    keep: frozenset[str] = frozenset(),
    suffix: str = "",
) -> Part:
    ids = set(engineer_ids)
    key = f"{branch_id}@{day.isoformat()}{suffix}"
    sub = Problem(
        branches=[problem.branch_by_id[branch_id]],
        engineers=[e for e in problem.engineers if e.engineer_id in ids],
        shifts=[s for s in problem.shifts if s.engineer_id in ids and s.day == day],
        requests=[_local(r, ids) for r in requests],
        slots=problem.slots,
        dates=[day],
        travel=problem.travel,
        zone=problem.zone,
        planar=problem.planar,
        name=key,
    )
    return Part(key, branch_id, day, sub, keep)


def _local(request: Request, engineer_ids: set[str]) -> Request:
    """The request as its part sees it: a preferred engineer of another part is no one's to honour.

    (OR-Tools' first insertion also fails outright on a preference no vehicle can meet.)
    """
    if request.preferred_engineer_id is None or request.preferred_engineer_id in engineer_ids:
        return request
    return replace(request, preferred_engineer_id=None)


def share_budget(parts: Sequence[Part], seconds: float, workers: int) -> dict[str, float]:
    """Search seconds per part: the workers' time over ``seconds`` shared by work, each at most ``seconds``."""
    if not parts:
        return {}
    total = sum(p.work for p in parts)
    pool = seconds * min(workers, len(parts))
    return {p.key: max(MIN_PART_S, min(seconds, pool * p.work / total)) for p in parts}


def tasks_for(
    parts: Sequence[Part], params: SolveParams, seconds: float, deadline: float, workers: int, keep_s: int = 0
) -> list[Task]:
    """The parts as tasks, largest first (so the longest searches start first)."""
    budget = share_budget(parts, seconds, workers)
    ordered = sorted(parts, key=lambda p: -p.work)
    return [
        Task(
            p.key,
            p.problem,
            replace(params, keep=p.keep, keep_s=keep_s if p.keep else params.keep_s),
            budget[p.key],
            deadline,
        )
        for p in ordered
    ]


def merge_reserve(problem: Problem) -> float:
    """Seconds set aside for the merge and the whole-problem validation."""
    return MERGE_MIN_S + MERGE_S_PER_REQUEST * len(problem.requests)


def collect(
    parts: Sequence[Part], outcomes: dict[str, Outcome]
) -> tuple[dict[tuple[str, date], Route], list[Unassigned]]:
    """The routes (by engineer and day) and unassigned work of the parts; a failed part's work is explained."""
    routes: dict[tuple[str, date], Route] = {}
    unassigned: list[Unassigned] = []
    for part in parts:
        outcome = outcomes.get(part.key)
        if outcome is None or outcome.plan is None:
            why = "not run" if outcome is None else f"{outcome.status}: {outcome.error}"
            detail = f"the sub-problem of branch {part.branch_id} on {part.day} {why}; re-run that branch"
            unassigned += [Unassigned(r.request_id, PLANNING_FAILED, detail) for r in part.problem.requests]
            continue
        routes |= {(r.engineer_id, r.day): r for r in outcome.plan.routes}
        unassigned += outcome.plan.unassigned
    return routes, unassigned


def branch_kpis(problem: Problem, plan: Plan) -> dict[str, Any]:
    """:func:`dispatch.kpis.plan_kpis` of the whole plan, computed branch by branch.

    The same figures: a served request counts for its engineer's branch, an unassigned one
    for the branch nearest to it, found here for all at once by great-circle distance (the
    split's own ownership) rather than one ellipsoidal geodesic per request and branch:
    6,000 unassigned of the 60-branch night take 1.4 s instead of 66 s. A request within
    metres of two branches' equidistance may count for the other one.
    """
    overall = plan_kpis(replace(problem, branches=[]), plan)
    home = {e.engineer_id: e.branch_id for e in problem.engineers}
    owner = owners(problem)
    routes: dict[str, list[Route]] = defaultdict(list)
    for r in plan.routes:
        routes[home[r.engineer_id]].append(r)
    left: dict[str, list[Unassigned]] = defaultdict(list)
    for u in plan.unassigned:
        left[owner.get(u.request_id, "")].append(u)
    branches: dict[str, Any] = {}
    for b in sorted(problem.branch_by_id):
        ids = {s.request_id for r in routes[b] for s in r.stops} | {u.request_id for u in left[b]}
        engineers = {r.engineer_id for r in routes[b]}
        sub = replace(
            problem,
            branches=[problem.branch_by_id[b]],
            engineers=[e for e in problem.engineers if e.engineer_id in engineers],
            requests=[problem.request_by_id[i] for i in sorted(ids)],
        )
        branches[b] = plan_kpis(sub, Plan(plan.dates, routes[b], left[b]))["branches"][b]
    return {**overall, "branches": branches}


def merged(problem: Problem, routes: Sequence[Route], unassigned: Sequence[Unassigned]) -> Plan:
    """One plan of the whole problem with its KPIs; raises :class:`SolverBug` if it is not valid."""
    ordered = sorted(routes, key=lambda r: (r.day, r.engineer_id))
    plan = Plan(list(problem.dates), ordered, sorted(unassigned, key=lambda u: u.request_id))
    plan = Plan(plan.dates, plan.routes, plan.unassigned, branch_kpis(problem, plan))
    violations = validate(problem, plan)
    if violations:
        raise SolverBug("; ".join(str(v) for v in violations[:10]))
    return plan


def _status(outcomes: dict[str, Outcome], first: int, second: int, accepted: int) -> str:
    states = Counter("done" if o.plan is not None else o.status for o in list(outcomes.values())[:first])
    text = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    return f"decomposed: {first} parts ({text}); second pass: {accepted} of {second} groups taken"


def solve_decomposed(
    problem: Problem,
    params: SolveParams,
    backend: Backend,
    on_progress: PartCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DecomposedResult:
    """Plan the problem branch by branch on ``backend`` within ``params.time_limit_s`` of wall time."""
    from solver.neighbours import KEEP_S, apply_second_pass, second_pass

    started = time.time()
    parts, early = split(problem)
    split_at = time.time()
    usable = max(MIN_PART_S, started + params.time_limit_s - merge_reserve(problem) - split_at)
    first_end = split_at + usable * FIRST_SHARE
    first_s = max(MIN_PART_S, first_end - time.time())
    outcomes = backend.run(
        tasks_for(parts, params, first_s, first_end, backend.workers), on_progress, should_stop
    )
    routes, unassigned = collect(parts, outcomes)
    groups: list[Part] = []
    accepted = 0
    second_end = started + params.time_limit_s - merge_reserve(problem)
    if not (should_stop and should_stop()) and second_end - time.time() > 2 * MIN_PART_S:
        owner = {r.request_id: p for p in parts for r in p.problem.requests}
        groups, unassigned = second_pass(problem, routes, unassigned, owner)
        second_s = second_end - time.time()
        more = backend.run(
            tasks_for(groups, params, second_s, second_end, backend.workers, KEEP_S), on_progress, should_stop
        )
        accepted, unassigned = apply_second_pass(groups, more, routes, unassigned)
        outcomes = {**outcomes, **more}
    merging = time.time()
    plan = merged(problem, list(routes.values()), [*unassigned, *early])
    seconds = time.time() - started
    status = _status(outcomes, len(parts), len(groups), accepted)
    log.info("planned %s: %s in %.1f s", problem.name, status, seconds)
    return DecomposedResult(plan, status, seconds, outcomes, time.time() - merging)
