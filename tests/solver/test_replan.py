"""Re-planning the rest of the day: a scripted day of disruptions, the emergency budget, the warm start."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from dispatch.events import (
    Cancellation,
    EngineerUnavailable,
    Event,
    NewRequest,
    NoShow,
    VisitFinished,
    VisitOverrun,
    VisitStarted,
)
from dispatch.model import Priority, Problem
from dispatch.plan import Plan, Reason, Stop
from solver.params import SolveParams
from solver.replan import ReplanParams, ReplanResult, replan
from solver.solve import solve
from tests.solver.builders import at, engineer, near, problem, request, shift

FAST = ReplanParams(time_limit_s=1.0)


def _city() -> Problem:
    """Three engineers, eleven requests spread over a few km, four of them promised."""
    crew = [engineer(f"E{i}") for i in (1, 2, 3)]
    spots = [(0.01, 0.0), (0.0, 0.02), (-0.01, 0.01), (0.02, 0.02), (-0.02, -0.01), (0.015, -0.02)]
    reqs = [request(f"R{i:02d}", near(*spots[i % 6]), minutes=45) for i in range(1, 12)]
    promised = {"R01": (8, 10), "R04": (10, 12), "R07": (13, 15), "R10": (15, 17)}
    reqs = [
        request(r.request_id, r.location, minutes=45, promised=promised[r.request_id])
        if r.request_id in promised
        else r
        for r in reqs
    ]
    return problem(crew, [shift(e.engineer_id) for e in crew], reqs)


@pytest.fixture(scope="module")
def city() -> Problem:
    """The scripted day's scenario."""
    return _city()


@pytest.fixture(scope="module")
def morning(city: Problem) -> Plan:
    """The plan made the evening before."""
    return solve(city, SolveParams(time_limit_s=1.0, solution_limit=50)).plan


def _open_stop(plan: Plan, now: datetime, engineer_id: str | None = None) -> Stop:
    """The first visit starting after ``now`` (of ``engineer_id`` when given)."""
    stops = [
        s
        for r in plan.routes
        if engineer_id in (None, r.engineer_id)
        for s in r.stops
        if s.start > now + timedelta(minutes=5)
    ]
    return min(stops, key=lambda s: s.start)


def _running(plan: Plan, now: datetime) -> Stop:
    """A visit in progress at ``now``, or else the next one."""
    for _, s in plan.stops():
        if s.start <= now < s.end:
            return s
    return _open_stop(plan, now)


def _engineer_of(plan: Plan, rid: str) -> str:
    return next(r.engineer_id for r in plan.routes for s in r.stops if s.request_id == rid)


def _check(before: Plan, res: ReplanResult, then: datetime, now: datetime) -> None:
    """The invariants every step of the day must keep.

    Valid in full; visits finished by the previous step's time unchanged (engineer, start,
    end); nothing new starts before ``now``; every promise kept or named as broken.
    """
    assert res.violations == [], res.violations[:5]
    placed = {s.request_id: (r.engineer_id, s.start, s.end) for r, s in res.plan.stops()}
    for route, stop in before.stops():
        if stop.end <= then:
            assert placed.get(stop.request_id) == (route.engineer_id, stop.start, stop.end), (
                f"history of {stop.request_id} changed"
            )
    frozen = res.remaining.frozen_ids()
    assert all(s.start >= now for _, s in res.plan.stops() if s.request_id not in frozen)
    broken = {c.request_id for c in res.diff.broken_promises}
    left = {u.request_id: u.reason for u in res.plan.unassigned}
    for req in res.problem.requests:
        if req.promised is None or left.get(req.request_id) in (Reason.CANCELLED, Reason.NO_SHOW):
            continue
        kept = req.request_id in placed and req.promised.window.contains(placed[req.request_id][1])
        assert kept or req.request_id in broken, f"promise of {req.request_id} silently broken"


def test_a_scripted_day_keeps_history_and_promises(city: Problem, morning: Plan) -> None:
    """Eight events from 08:30 to 14:00: every plan valid, history frozen, promises kept or named."""
    assert morning.kpis["assigned"] == len(city.requests)
    events: list[Event] = []
    plan, then = morning, at(7)
    first = _open_stop(morning, at(7, 30), "E1")
    script: list[tuple[datetime, Callable[[Plan, datetime], list[Event]]]] = [
        (at(8, 30), lambda p, n: [VisitStarted(first.request_id, first.start)]),
        (at(9, 0), lambda p, n: [VisitOverrun(first.request_id, first.end + timedelta(minutes=50))]),
        (at(10, 40), lambda p, n: [EngineerUnavailable("E2", n)]),
        (at(10, 45), lambda p, n: [NewRequest(request("GAS", near(0.005, 0.005), "gas_stove;gas_cert", 40, Priority.EMERGENCY))]),
        (at(11, 0), lambda p, n: [Cancellation(_open_stop(p, n).request_id, n)]),
        (at(12, 0), lambda p, n: [NoShow(_open_stop(p, n).request_id, _open_stop(p, n).arrival)]),
        (at(13, 0), lambda p, n: [NewRequest(request("LATE", near(0.0, 0.01), minutes=30))]),
        (at(14, 0), lambda p, n: [VisitFinished(_running(p, n).request_id, max(n, _running(p, n).start + timedelta(minutes=45)))]),
    ]  # fmt: skip
    cancelled = no_show = ""
    for now, make in script:
        new = make(plan, now)
        events += new
        res = replan(city, plan, events, now, FAST)
        _check(plan, res, then, now)
        for e in new:
            if isinstance(e, Cancellation):
                cancelled = e.request_id
            if isinstance(e, NoShow):
                no_show = e.request_id
        plan, then = res.plan, now
    reasons = {u.request_id: u.reason for u in plan.unassigned}
    assert reasons[cancelled] == Reason.CANCELLED and reasons[no_show] == Reason.NO_SHOW
    served = {s.request_id: r.engineer_id for r, s in plan.stops()}
    assert "GAS" in served, "the gas leak is served"
    overrun = next(s for _, s in plan.stops() if s.request_id == first.request_id)
    assert overrun.end == first.end + timedelta(minutes=50), "the overrun stays as reported"
    late_e2 = [s for r, s in plan.stops() if r.engineer_id == "E2" and s.start >= at(10, 40)]
    assert late_e2 == [], "nothing is planned for the sick engineer after 10:40"


def test_the_warm_start_keeps_the_plan_when_nothing_happened(city: Problem, morning: Plan) -> None:
    """Re-planning with no event changes no customer: same engineers and slots."""
    res = replan(city, morning, [], at(10), FAST)
    assert res.violations == []
    assert res.diff.changed() == set()
    assert res.diff.notify == []


def test_an_emergency_breaks_at_most_the_budget_of_promises() -> None:
    """A full morning, a gas leak: with budget k at most k promises move or drop, each named.

    Budget 0 leaves the leak unserved (explained); 1 drops one promise; 2 re-promises one.
    """
    full = problem(
        [engineer("E1")],
        [shift("E1", start=8, end=12, lunch=False)],
        [request(f"P{h}", near(0.01 * h, 0), minutes=50, promised=(h, h + 1)) for h in (8, 9, 10)],
    )
    plan = solve(full, SolveParams(time_limit_s=1.0)).plan
    assert plan.kpis["assigned"] == 3
    gas = request("GAS", near(0.0, 0.0), "gas_stove;gas_cert", 50, Priority.EMERGENCY)
    for budget in (0, 1, 2):
        params = ReplanParams(time_limit_s=1.0, disruption_budget=budget)
        res = replan(full, plan, [NewRequest(gas)], at(8, 5), params)
        assert res.violations == []
        served = {s.request_id for _, s in res.plan.stops()}
        assert ("GAS" in served) == (budget > 0)
        broken = {c.request_id for c in res.diff.broken_promises}
        assert len(broken) <= budget and set(res.repromised) <= broken
        assert {c.request_id for c in res.diff.notify} >= broken
        assert {f"P{h}" for h in (8, 9, 10)} - broken <= served, "promises outside the budget are kept"


def test_unknown_request_in_an_event_is_named(city: Problem, morning: Plan) -> None:
    """An event about a request nobody knows is an input error naming the event and field."""
    with pytest.raises(ValueError, match=r"events row 1 field request_id: unknown request NOPE"):
        replan(city, morning, [Cancellation("NOPE")], at(10), FAST)


def test_the_search_ends_early_enough_to_answer_within_the_budget() -> None:
    """The search's deadline leaves ``finish_s`` (at most half the budget) for validation and diff."""
    assert ReplanParams(time_limit_s=4.0, finish_s=0.5).deadline(100.0) == 103.5
    assert ReplanParams(time_limit_s=0.6, finish_s=0.5).deadline(100.0) == 100.3
    with pytest.raises(ValueError, match="finish_s"):
        ReplanParams(finish_s=-1.0)
