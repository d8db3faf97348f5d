"""The search around OR-Tools: ruin and recreate and the portfolio keep every dispatch rule."""

from __future__ import annotations

import random
from datetime import timedelta
from itertools import pairwise

import pytest

from dispatch.model import Priority, Problem
from dispatch.validate import validate
from solver.layout import build_layout
from solver.model import build_model
from solver.params import SolveParams
from solver.search import Found, _string, assignment_of, found_of, restore, search_one
from solver.solve import search_parameters, solve
from tests.solver.builders import DAY, engineer, near, problem, request, shift


def _busy_day() -> Problem:
    """Two days, three engineers with different skills and lunch breaks, 24 mixed requests."""
    day2 = DAY + timedelta(days=1)
    engineers = [
        engineer("E1", "water_heater;gas_stove;gas_cert"),
        engineer("E2", "water_heater", max_jobs=6),
        engineer("E3", "gas_stove;gas_cert", home=near(0.03, -0.02)),
    ]
    shifts = [shift(e.engineer_id) for e in engineers] + [shift("E1", day2), shift("E2", day2, lunch=False)]
    reqs = []
    for i in range(24):
        skills = "gas_stove;gas_cert" if i % 3 == 0 else "water_heater"
        promised = (8 + 2 * (i % 4), 10 + 2 * (i % 4)) if i % 5 == 0 else None
        priority = Priority.HIGH if i % 7 == 0 else Priority.NORMAL
        reqs.append(
            request(
                f"R{i}",
                near(0.011 * (i % 6) - 0.03, 0.009 * (i // 6) - 0.02),
                skills=skills,
                minutes=40 + 5 * (i % 4),
                priority=priority,
                promised=promised,
                latest_date=day2,
            )
        )
    return problem(engineers, shifts, reqs, [DAY, day2])


def test_ruin_and_recreate_plans_are_valid() -> None:
    """With breaks, skills, caps, promises and two days, the plan passes the validator."""
    prob = _busy_day()
    plan = solve(prob, SolveParams(time_limit_s=3, ruin_recreate=True)).plan
    assert validate(prob, plan) == []
    served = {s.request_id for _, s in plan.stops()}
    assert served | {u.request_id for u in plan.unassigned} == set(prob.request_by_id)


def test_ruin_and_recreate_never_worse_than_the_first_search() -> None:
    """Under the same solution limit, the rounds keep or improve the first search's objective."""
    prob = _busy_day()
    plain = solve(prob, SolveParams(time_limit_s=30, solution_limit=20, ruin_recreate=False))
    rounds = solve(prob, SolveParams(time_limit_s=30, solution_limit=20, ruin_recreate=True))
    assert plain.objective is not None and rounds.objective is not None
    assert rounds.objective <= plain.objective


def test_string_ruin_plans_are_valid() -> None:
    """String ruins keep breaks, skills, caps and promises."""
    prob = _busy_day()
    params = SolveParams(time_limit_s=3, ruin_recreate=True, ruin="strings")
    plan = solve(prob, params).plan
    assert validate(prob, plan) == []
    served = {s.request_id for _, s in plan.stops()}
    assert served | {u.request_id for u in plan.unassigned} == set(prob.request_by_id)


def test_a_string_is_consecutive_or_split_once() -> None:
    """A removed string has the asked size, lies in its route and leaves at most one gap."""
    rnd = random.Random(7)
    for _ in range(500):
        route = list(range(100, 100 + rnd.randint(1, 15)))
        at = rnd.randrange(len(route))
        size = rnd.randint(1, len(route))
        gone = _string(route, at, size, rnd)
        assert len(gone) == len(set(gone)) == size
        positions = [route.index(i) for i in gone]
        assert positions == sorted(positions)
        gaps = [b - a for a, b in pairwise(positions) if b - a > 1]
        assert len(gaps) <= 1


def test_same_seed_same_plan_with_rounds() -> None:
    """Rounds bounded by the solution limit repeat exactly under the same seed."""
    prob = _busy_day()
    params = SolveParams(time_limit_s=60, solution_limit=15, seed=3, ruin_recreate=True)
    assert solve(prob, params).plan == solve(prob, params).plan


def test_a_solution_reloads_from_its_times() -> None:
    """A found solution, turned to plain values and back, has the same routes and objective."""
    prob = _busy_day()
    params = SolveParams(time_limit_s=2, solution_limit=10, ruin_recreate=False)
    layout = build_layout(prob, params.protection, params.variation)
    model = build_model(layout, params)
    solution = search_one(layout, model, params, search_parameters(params))
    assert solution is not None
    found = found_of(model, solution)
    again = restore(model, found)
    assert again is not None
    assert found_of(model, again).routes == found.routes
    assert assignment_of(model, Found(found.routes, 0, found.times, found.breaks), exact=False).Size() > 0


def test_portfolio_of_two_gives_a_valid_plan() -> None:
    """Two searches in two processes: the plan kept is valid and covers every request."""
    prob = _busy_day()
    result = solve(prob, SolveParams(time_limit_s=3, workers=2, ruin_recreate=True))
    assert validate(prob, result.plan) == []
    single = solve(prob, SolveParams(time_limit_s=3, solution_limit=5, ruin_recreate=False))
    assert result.objective is not None and single.objective is not None
    assert result.objective <= single.objective


@pytest.mark.parametrize(
    "bad",
    [
        {"first_search_share": 0},
        {"first_search_share": 1.5},
        {"ruin_min": 0},
        {"ruin_min": 9, "ruin_max": 3},
        {"ruin_temperature": -1},
        {"workers": 0},
        {"round_neighbours": 0},
        {"ruin": "everything"},
    ],
)
def test_search_parameters_check_themselves(bad: dict[str, float]) -> None:
    """Out-of-range search settings are refused when the parameters are made."""
    with pytest.raises(ValueError):
        SolveParams(**bad)  # type: ignore[arg-type]
