"""Decomposition by branch and day: the split, the shared budget, the second pass, the merge."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.contract import load_scenario
from data.generate import write_scenario
from data.generate_national import generate_national
from data.travel import GeodesicTravel
from dispatch.kpis import plan_kpis
from dispatch.model import Problem
from dispatch.plan import Plan
from dispatch.rules import allowed_days
from dispatch.validate import validate
from solver.backends import Outcome, PartCallback, Task, solve_task
from solver.decompose import (
    PLANNING_FAILED,
    Part,
    km_matrix,
    owners,
    share_budget,
    solve_decomposed,
    split,
)
from solver.neighbours import apply_second_pass
from solver.params import SolveParams

DAY = date(2026, 12, 1)


def national(seed: int, cities: int, engineers: int, requests: int, days: int = 1) -> Problem:
    """A small national scenario through the contract's CSV reader."""
    folder = Path(tempfile.mkdtemp(prefix="national-"))
    tables = generate_national(seed, DAY, cities=cities, engineers=engineers, requests=requests, days=days)
    write_scenario(tables, folder)
    dates = [DAY + timedelta(days=i) for i in range(days)]
    return load_scenario(folder, dates, travel=GeodesicTravel())


@pytest.fixture(scope="module")
def two_cities() -> Problem:
    """Two cities of three branches: 36 engineers, 240 requests."""
    return national(5, 2, 36, 240)


@dataclass
class SerialBackend:
    """Solves tasks one after the other in this process; ``failing`` keys raise instead."""

    workers: int = 1
    failing: frozenset[str] = frozenset()

    def run(
        self,
        tasks: Sequence[Task],
        on_progress: PartCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, Outcome]:
        """Every task's outcome; a failing key's is a failure."""
        out = {}
        for t in tasks:
            if t.key in self.failing:
                out[t.key] = Outcome(t.key, None, "failed", 0.0, "RuntimeError: injected")
            else:
                out[t.key] = solve_task(t)
        return out


def test_every_request_goes_to_one_part_of_its_nearest_branch(two_cities: Problem) -> None:
    """Each request is in exactly one part, of the branch nearest to it, on a day it allows."""
    parts, early = split(two_cities)
    seen = [r.request_id for p in parts for r in p.problem.requests] + [u.request_id for u in early]
    assert sorted(seen) == sorted(r.request_id for r in two_cities.requests)
    owner = owners(two_cities)
    for part in parts:
        branch = two_cities.branch_by_id[part.branch_id]
        for r in part.problem.requests:
            assert owner[r.request_id] == part.branch_id
            full = two_cities.request_by_id[r.request_id]
            km = km_matrix([r.location], [b.location for b in two_cities.branches])[0]
            assert km.min() == pytest.approx(km_matrix([r.location], [branch.location])[0][0])
            assert part.day in allowed_days(full, two_cities)


def test_parts_hold_only_their_branch_engineers_on_shift(two_cities: Problem) -> None:
    """A part's engineers are of its branch and its shifts are of its day."""
    parts, _ = split(two_cities)
    for part in parts:
        assert {e.branch_id for e in part.problem.engineers} <= {part.branch_id}
        assert {s.day for s in part.problem.shifts} <= {part.day}
        assert {s.engineer_id for s in part.problem.shifts} == {e.engineer_id for e in part.problem.engineers}


def test_flexible_work_spreads_over_the_allowed_days() -> None:
    """Over two days, each part's requests all allow its day, and both days get work."""
    problem = national(8, 1, 20, 160, days=2)
    parts, _ = split(problem)
    assert {p.day for p in parts} == set(problem.dates)
    for part in parts:
        assert all(
            part.day in allowed_days(problem.request_by_id[r.request_id], problem)
            for r in part.problem.requests
        )


@settings(max_examples=50, deadline=None)
@given(
    works=st.lists(st.integers(1, 10_000), min_size=1, max_size=30),
    seconds=st.floats(1, 900),
    workers=st.integers(1, 8),
)
def test_the_budget_is_shared_by_work_and_fits_the_pass(
    works: list[int], seconds: float, workers: int
) -> None:
    """No part gets more than the pass; together they use at most the workers' time (bar minimums)."""
    fake = [Part(f"P{i}", "B", DAY, None, frozenset()) for i in range(len(works))]  # type: ignore[arg-type]
    sizes = dict(zip((p.key for p in fake), works, strict=True))
    parts = [_Sized(p, sizes[p.key]) for p in fake]
    budget = share_budget(parts, seconds, workers)  # type: ignore[arg-type]
    assert all(0 < b <= max(seconds, 0.2) + 1e-9 for b in budget.values())
    assert sum(budget.values()) <= seconds * min(workers, len(parts)) + 0.2 * len(parts) + 1e-6
    biggest = max(parts, key=lambda p: p.work)
    assert budget[biggest.key] == max(budget.values())


@dataclass
class _Sized:
    part: Part
    work: int

    @property
    def key(self) -> str:
        return self.part.key


def test_the_merged_plan_is_valid_and_within_the_budget(two_cities: Problem) -> None:
    """The decomposed run returns one plan valid on the whole problem, inside its wall budget."""
    started = time.monotonic()
    result = solve_decomposed(two_cities, SolveParams(time_limit_s=8), SerialBackend())
    assert time.monotonic() - started < 8 + 3
    assert validate(two_cities, result.plan) == []
    assert result.plan.kpis["assigned"] > 0.6 * len(two_cities.requests)


def test_a_failed_branch_does_not_sink_the_night(two_cities: Problem) -> None:
    """One part fails: its work is explained (or served next door), the others are planned, the plan valid."""
    parts, _ = split(two_cities)
    victim = parts[0]
    result = solve_decomposed(
        two_cities, SolveParams(time_limit_s=8), SerialBackend(failing=frozenset({victim.key}))
    )
    assert validate(two_cities, result.plan) == []
    reasons = {u.request_id: u.reason for u in result.plan.unassigned}
    served = {s.request_id for _, s in result.plan.stops()}
    for r in victim.problem.requests:
        assert r.request_id in served or reasons[r.request_id] == PLANNING_FAILED
    assert "1 failed" in result.status
    others = {r.request_id for p in parts[1:] for r in p.problem.requests}
    assert len(served & others) > 0.6 * len(others)


def test_the_second_pass_never_drops_a_planned_visit(two_cities: Problem) -> None:
    """A re-solve that loses a visit planned before is refused and the first routes stay."""
    parts, _ = split(two_cities)
    first = solve_task(
        Task(parts[0].key, parts[0].problem, SolveParams(time_limit_s=1), 1.0, time.time() + 30)
    )
    assert first.plan is not None
    routes = {(r.engineer_id, r.day): r for r in first.plan.routes}
    planned = frozenset(s.request_id for _, s in first.plan.stops())
    group = replace(parts[0], key="G", keep=planned)
    worse = Plan(first.plan.dates, [replace(r, stops=list(r.stops)[1:]) for r in first.plan.routes], [])
    before = dict(routes)
    accepted, rest = apply_second_pass(
        [group], {"G": Outcome("G", worse, "done", 0.0)}, routes, first.plan.unassigned
    )
    assert accepted == 0
    assert routes == before
    assert [u.request_id for u in rest] == [u.request_id for u in first.plan.unassigned]
    accepted, _ = apply_second_pass([group], {"G": first}, routes, first.plan.unassigned)
    assert accepted == 1


def test_second_pass_keeps_every_visit_of_the_first(two_cities: Problem) -> None:
    """Every request the first pass served (each promise among them) is served in the merged plan,
    a promise in its promised slot."""
    runs: list[dict[str, Outcome]] = []

    @dataclass
    class Recording(SerialBackend):
        def run(self, tasks, on_progress=None, should_stop=None):  # type: ignore[no-untyped-def]
            """The serial run, remembered."""
            runs.append(super().run(tasks, on_progress, should_stop))
            return runs[-1]

    result = solve_decomposed(two_cities, SolveParams(time_limit_s=8), Recording())
    assert len(runs) == 2, "the second pass ran"
    first = {s.request_id for o in runs[0].values() if o.plan for _, s in o.plan.stops()}
    final = {s.request_id: s for _, s in result.plan.stops()}
    assert first <= set(final)
    assert len(final) >= len(first)
    for rid in first:
        promise = two_cities.request_by_id[rid].promised
        if promise is not None:
            assert final[rid].slot == promise.window


def test_kpis_by_branch_are_those_of_the_whole_plan(two_cities: Problem) -> None:
    """The merged plan's KPIs, computed branch by branch, equal plan_kpis of the whole plan."""
    result = solve_decomposed(two_cities, SolveParams(time_limit_s=4), SerialBackend())
    bare = Plan(result.plan.dates, result.plan.routes, result.plan.unassigned)
    assert result.plan.kpis == plan_kpis(two_cities, bare)
