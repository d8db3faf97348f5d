"""The backends: a local process pool (progress, failure, time-out) and Ray on a local instance."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pytest

from dispatch.model import Location, Problem
from dispatch.travel import TravelMatrix
from dispatch.validate import validate
from solver import backends
from solver.backends import PartProgress, ProcessBackend, RayBackend, Task, make_backend, search_budget
from solver.params import SolveParams
from tests.solver.builders import engineer, near, problem, request, shift


def tiny(name: str) -> Problem:
    """Two engineers, four requests."""
    return replace(
        problem(
            [engineer("E1"), engineer("E2")],
            [shift("E1"), shift("E2")],
            [request(f"R{i}", near(0.01 * i, 0.01)) for i in range(4)],
        ),
        name=name,
    )


@dataclass(frozen=True)
class SlowTravel:
    """A travel model that takes ``seconds`` to answer (picklable: a module-level class)."""

    seconds: float

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        """Zero everywhere, after a long wait."""
        time.sleep(self.seconds)
        n = len(points)
        return TravelMatrix([[0] * n for _ in range(n)], [[0] * n for _ in range(n)])


@dataclass(frozen=True)
class BrokenTravel:
    """A travel model that fails."""

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        """Never an answer."""
        raise RuntimeError("routing engine down")


def task(key: str, prob: Problem, budget: float = 1.0, deadline_in: float = 30.0) -> Task:
    """A task of ``budget`` search seconds due ``deadline_in`` seconds from now."""
    return Task(key, prob, SolveParams(time_limit_s=budget), budget, time.time() + deadline_in)


def test_the_pool_solves_every_task_and_reports_each_branch() -> None:
    """Two tasks on one worker: both plans valid on their problems, each seen running and done."""
    seen: list[PartProgress] = []
    tasks = [task("A", tiny("A")), task("B", tiny("B"))]
    outcomes = ProcessBackend(1).run(tasks, seen.append)
    assert set(outcomes) == {"A", "B"}
    for t in tasks:
        plan = outcomes[t.key].plan
        assert plan is not None and validate(t.problem, plan) == []
        states = [p.state for p in seen if p.key == t.key]
        assert states[0] == "running" and states[-1] == "done"


def test_a_failing_task_is_an_explicit_failure_and_the_rest_completes() -> None:
    """A task whose travel model raises comes back failed with the error; the other is planned."""
    bad = replace(tiny("bad"), travel=BrokenTravel())
    outcomes = ProcessBackend(2).run([task("bad", bad), task("good", tiny("good"))])
    assert outcomes["bad"].plan is None and "routing engine down" in (outcomes["bad"].error or "")
    assert outcomes["good"].plan is not None


def test_a_task_past_its_deadline_is_abandoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """A task still running at the deadline plus the grace is reported timed out, and the run returns."""
    monkeypatch.setattr(backends, "GRACE_S", 0.5)
    slow = replace(tiny("slow"), travel=SlowTravel(60))
    started = time.monotonic()
    outcomes = ProcessBackend(2).run([task("slow", slow, 0.5, 2.0), task("fast", tiny("fast"), 0.5, 2.0)])
    assert time.monotonic() - started < 20
    assert outcomes["slow"].status == "timed out" and outcomes["slow"].plan is None
    assert outcomes["fast"].plan is not None


def test_a_late_task_searches_only_until_its_deadline() -> None:
    """The search budget is the task's share, cut to what the deadline leaves, never below the floor."""
    t = task("A", tiny("A"), budget=10.0, deadline_in=3.0)
    assert search_budget(t) <= 3.0
    assert search_budget(t, now=t.deadline + 5) == backends.MIN_SEARCH_S
    assert search_budget(task("B", tiny("B"), budget=1.0, deadline_in=100)) == 1.0


def test_unknown_backend_is_refused() -> None:
    """A backend name other than process or ray is a clear error."""
    with pytest.raises(ValueError, match="backend"):
        make_backend("threads")


def test_ray_runs_the_tasks_on_a_local_instance() -> None:
    """Ray on a local one-CPU instance: both plans valid, the instance shut down after."""
    ray = pytest.importorskip("ray")
    tasks = [task("A", tiny("A"), deadline_in=90), task("B", tiny("B"), deadline_in=90)]
    outcomes = RayBackend(1).run(tasks)
    for t in tasks:
        plan = outcomes[t.key].plan
        assert plan is not None and validate(t.problem, plan) == []
    assert not ray.is_initialized()
