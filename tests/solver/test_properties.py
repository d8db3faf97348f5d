"""Hypothesis: on any small problem the plan is valid and covers every request exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.model import Priority, Problem
from dispatch.validate import validate
from solver.params import SolveParams
from solver.solve import solve
from tests.solver.builders import DAY, engineer, near, problem, request, shift

SKILLS = ["water_heater", "gas_stove;gas_cert", "range_hood", "water_heater;gas_cert"]
SLOTS = [(8, 10), (10, 12), (13, 15), (15, 17), (17, 19)]


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """One or two days, 1-4 engineers with mixed skills and caps, 1-12 varied requests."""
    days = [DAY + timedelta(days=i) for i in range(draw(st.integers(1, 2)))]
    engineers, shifts = [], []
    for i in range(draw(st.integers(1, 4))):
        skills = ";".join(
            sorted(set(";".join(draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3))).split(";")))
        )
        cap = draw(st.none() | st.integers(1, 6))
        home = near(draw(st.floats(-0.05, 0.05)), draw(st.floats(-0.05, 0.05)))
        engineers.append(engineer(f"E{i}", skills, max_jobs=cap, home=home))
        for day in days:
            if draw(st.booleans()) or day == DAY:
                start = draw(st.integers(7, 10))
                shifts.append(
                    shift(f"E{i}", day, start, start + draw(st.integers(4, 11)), lunch=draw(st.booleans()))
                )
    requests = []
    for j in range(draw(st.integers(1, 12))):
        promised = draw(st.none() | st.sampled_from(SLOTS))
        day = draw(st.sampled_from(days))
        requests.append(
            request(
                f"R{j}",
                near(draw(st.floats(-0.08, 0.08)), draw(st.floats(-0.08, 0.08))),
                skills=draw(st.sampled_from(SKILLS)),
                minutes=draw(st.integers(20, 120)),
                priority=draw(st.sampled_from(list(Priority))),
                promised=promised,
                day=day,
                latest_date=None if promised else days[-1],
                preferred_engineer_id=draw(st.none() | st.just("E0")),
            )
        )
    return problem(engineers, shifts, requests, days)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_plan_is_valid_and_complete(prob: Problem) -> None:
    """validate(problem, solve(problem).plan) is empty and each request appears exactly once."""
    plan = solve(prob, SolveParams(time_limit_s=5, solution_limit=20)).plan
    assert validate(prob, plan) == []
    seen = Counter([s.request_id for _, s in plan.stops()] + [u.request_id for u in plan.unassigned])
    assert seen == Counter(r.request_id for r in prob.requests)
    assert all(u.reason and u.detail for u in plan.unassigned)
