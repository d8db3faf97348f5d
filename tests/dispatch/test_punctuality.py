"""The on-time model, and the planner's promise that protected plans hold under it."""

from __future__ import annotations

import random
from datetime import date

import pytest

from data.contract import load_scenario
from data.generate import generate_city, write_scenario
from dispatch.model import Problem
from dispatch.punctuality import Variation, protected_seconds, replay
from solver.params import SolveParams
from solver.solve import solve

DAY = date(2026, 12, 1)


class _WorstCase(random.Random):
    """Every draw at the top of its range: each drive and repair takes its longest."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture(scope="module")
def busy_day(tmp_path_factory: pytest.TempPathFactory) -> Problem:
    """A small, fully booked generated day."""
    folder = tmp_path_factory.mktemp("busy")
    write_scenario(generate_city(11, DAY, engineers=6, requests=45, branches=2), folder)
    return load_scenario(folder, [DAY])


def test_protected_seconds_round_up() -> None:
    """The reserve is the duration stretched by the protected share of its spread, rounded up."""
    assert protected_seconds(600, 0.25, 0.5) == 675
    assert protected_seconds(601, 0.2, 0.0) == 601


def test_variation_rejects_nonsense() -> None:
    """A spread of 100 % or more would allow zero or negative durations."""
    with pytest.raises(ValueError):
        Variation(travel=1.0)


@pytest.mark.parametrize("protection", [0.5, 1.0])
def test_protected_plan_holds_in_the_worst_case_it_protects(busy_day: Problem, protection: float) -> None:
    """Every drive and repair at its protected worst: every visit still on time, every route home in time."""
    plan = solve(busy_day, SolveParams(time_limit_s=10, solution_limit=40, protection=protection)).plan
    worst = Variation(travel=0.25 * protection, service=0.20 * protection)
    outcome = replay(busy_day, plan.routes, worst, runs=1, rng=_WorstCase())
    assert outcome.visits > 0
    assert outcome.on_time_share == 1.0
    assert outcome.overtime_share == 0.0


def test_plain_plan_breaks_in_that_worst_case(busy_day: Problem) -> None:
    """Without protection the same worst case makes someone late: the test above can fail."""
    plan = solve(busy_day, SolveParams(time_limit_s=10, solution_limit=40, protection=0.0)).plan
    worst = Variation(travel=0.25, service=0.20)
    outcome = replay(busy_day, plan.routes, worst, runs=1, rng=_WorstCase())
    assert outcome.on_time_share < 1.0 or outcome.overtime_share > 0.0


def test_replay_is_repeatable(busy_day: Problem) -> None:
    """The same seed gives the same figures."""
    plan = solve(busy_day, SolveParams(time_limit_s=10, solution_limit=20)).plan
    assert replay(busy_day, plan.routes, runs=20, seed=3) == replay(busy_day, plan.routes, runs=20, seed=3)
