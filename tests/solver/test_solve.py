"""solve(): valid plans, every request once, promises and priorities honoured, reasons given."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.model import Priority
from dispatch.plan import Plan
from dispatch.validate import validate
from solver.layout import build_layout
from solver.params import SolveParams
from solver.solve import solve
from tests.solver.builders import DAY, at, engineer, near, problem, request, shift

FAST = SolveParams(time_limit_s=2, solution_limit=50)


def _where(plan: Plan) -> dict[str, str]:
    placed = {s.request_id: r.engineer_id for r in plan.routes for s in r.stops}
    placed.update({u.request_id: u.reason for u in plan.unassigned})
    return placed


def test_easy_day_serves_everything_inside_slots() -> None:
    """With room to spare every request is served, promises in their slot, plan valid."""
    reqs = [
        request(f"R{i}", near(0.01 * i, -0.01 * i), promised=(8 + 2 * (i % 2), 10 + 2 * (i % 2)))
        for i in range(4)
    ]
    reqs += [request(f"U{i}", near(-0.01 * i, 0.01)) for i in range(4)]
    prob = problem([engineer("E1"), engineer("E2")], [shift("E1"), shift("E2")], reqs)
    plan = solve(prob, FAST).plan
    assert validate(prob, plan) == []
    assert not plan.unassigned
    for _, stop in plan.stops():
        req = prob.request_by_id[stop.request_id]
        if req.promised:
            assert stop.slot == req.promised.window
        assert stop.slot.start <= stop.start <= stop.slot.end


def test_missing_skill_is_explained() -> None:
    """A request nobody is qualified for is unassigned as no_eligible_engineer, naming the skill."""
    prob = problem(
        [engineer("E1", "water_heater")], [shift("E1")], [request("R1", skills="gas_stove;gas_cert")]
    )
    (u,) = solve(prob, FAST).plan.unassigned
    assert u.reason == "no_eligible_engineer"
    assert "gas" in u.detail


def test_nobody_on_shift_is_explained() -> None:
    """An eligible engineer who does not work that day leaves the request no_engineer_on_shift."""
    prob = problem([engineer("E1")], [], [request("R1")])
    (u,) = solve(prob, FAST).plan.unassigned
    assert u.reason == "no_engineer_on_shift"


def test_promise_for_another_day_is_explained() -> None:
    """A promise outside the planned days is reported, not planned."""
    prob = problem(
        [engineer("E1")], [shift("E1")], [request("R1", promised=(8, 10), day=DAY + timedelta(days=3))]
    )
    (u,) = solve(prob, FAST).plan.unassigned
    assert u.reason == "promised_other_day"


def test_max_jobs_leaves_the_rest_for_lack_of_capacity() -> None:
    """A cap of two visits serves two of three requests and explains the third."""
    prob = problem([engineer("E1", max_jobs=2)], [shift("E1")], [request(f"R{i}") for i in range(3)])
    plan = solve(prob, FAST).plan
    assert sum(len(r.stops) for r in plan.routes) == 2
    assert [u.reason for u in plan.unassigned] == ["no_capacity"]


def test_emergency_goes_before_promises_and_normal_work() -> None:
    """With room for one visit, the emergency is served; the others are explained."""
    prob = problem(
        [engineer("E1")],
        [shift("E1", start=8, end=10, lunch=False)],
        [
            request("N", minutes=90),
            request("P", minutes=90, promised=(8, 10)),
            request("X", minutes=90, priority=Priority.EMERGENCY),
        ],
    )
    placed = _where(solve(prob, FAST).plan)
    assert placed == {"X": "E1", "P": "no_capacity", "N": "no_capacity"}


def test_promise_goes_before_unpromised_high_work() -> None:
    """A kept promise outweighs any amount of unpromised work competing for the time."""
    prob = problem(
        [engineer("E1")],
        [shift("E1", start=8, end=10, lunch=False)],
        [
            request("H1", minutes=40, priority=Priority.HIGH),
            request("H2", minutes=40, priority=Priority.HIGH),
            request("P", minutes=90, promised=(8, 10)),
        ],
    )
    assert _where(solve(prob, FAST).plan)["P"] == "E1"


def test_warranty_rework_goes_to_the_preferred_engineer() -> None:
    """Of two equally placed engineers, the one of the first repair gets the re-repair."""
    prob = problem(
        [engineer("E1"), engineer("E2")],
        [shift("E1"), shift("E2")],
        [request("W", preferred_engineer_id="E2")],
    )
    assert _where(solve(prob, FAST).plan)["W"] == "E2"


def test_break_sits_between_visits_on_top_of_travel() -> None:
    """A full day keeps the lunch inside its window and the gap holds travel plus break."""
    reqs = [request(f"R{i}", near(0.02 * (i % 3), 0.02 * (i // 3)), minutes=50) for i in range(8)]
    prob = problem([engineer("E1")], [shift("E1")], reqs)
    plan = solve(prob, FAST).plan
    assert validate(prob, plan) == []
    (route,) = plan.routes
    assert route.break_window is not None
    assert at(11, 30) <= route.break_window.start <= at(13, 30)
    assert route.break_window.end - route.break_window.start == timedelta(minutes=60)


def test_multi_day_plan_uses_the_allowed_days() -> None:
    """Over two days a request allowed only on the second day is served on the second."""
    day2 = DAY + timedelta(days=1)
    prob = problem(
        [engineer("E1")],
        [shift("E1"), shift("E1", day=day2)],
        [request("R1", earliest_date=day2, latest_date=day2), request("R2")],
        dates=[DAY, day2],
    )
    plan = solve(prob, FAST).plan
    days = {s.request_id: r.day for r in plan.routes for s in r.stops}
    assert days == {"R1": day2, "R2": DAY}


def test_same_seed_same_plan_under_a_solution_limit() -> None:
    """Two runs stopped by the same solution limit give the same plan."""
    reqs = [request(f"R{i}", near(0.013 * (i % 4), 0.011 * (i // 4)), minutes=45) for i in range(12)]
    prob = problem([engineer("E1"), engineer("E2")], [shift("E1"), shift("E2")], reqs)
    params = SolveParams(time_limit_s=60, solution_limit=30)
    assert solve(prob, params).plan == solve(prob, params).plan


@pytest.mark.parametrize("bad", [{"time_limit_s": 0}, {"solution_limit": 0}, {"gls_lambda": 0}])
def test_params_reject_nonsense(bad: dict[str, float]) -> None:
    """Parameters check themselves."""
    with pytest.raises(ValueError):
        SolveParams(**bad)  # type: ignore[arg-type]


def test_a_budget_too_short_for_a_first_solution_still_plans(caplog: pytest.LogCaptureFixture) -> None:
    """When the budget ends before the first insertion completes, the first solution is
    finished past it: a late plan beats one that leaves every request out."""
    reqs = [request(f"R{i}", near(0.004 * (i % 10), 0.004 * (i // 10)), minutes=30) for i in range(60)]
    engineers = [engineer(f"E{k}") for k in range(8)]
    prob = problem(engineers, [shift(e.engineer_id) for e in engineers], reqs)
    plan = solve(prob, SolveParams(time_limit_s=0.001)).plan
    assert "past the budget" in caplog.text
    assert validate(prob, plan) == []
    assert sum(len(r.stops) for r in plan.routes) > 30


def test_work_goes_to_the_nearest_engineers_but_the_preferred_one_may_come_from_afar() -> None:
    """With one candidate per visit the far engineer may serve only the request that prefers them."""
    far = near(0.05, 0.05)
    prob = problem(
        [engineer("NEAR"), engineer("FAR", home=far)],
        [shift("NEAR"), shift("FAR")],
        [request("A", minutes=30), request("W", minutes=30, preferred_engineer_id="FAR")],
    )
    layout = build_layout(prob, nearest_engineers=1)
    allowed = {
        v.request.request_id: {layout.vehicles[k].engineer.engineer_id for k in v.vehicles}
        for v in layout.visits
    }
    assert allowed == {"A": {"NEAR"}, "W": {"NEAR", "FAR"}}
    everyone = build_layout(prob, nearest_engineers=None)
    assert all(len(v.vehicles) == 2 for v in everyone.visits)
