"""bench.punctuality: the product's planning path per size, the replay of the merged plan, the targets line."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.punctuality import path_of, plan_and_replay, targets
from data.contract import load_scenario
from data.generate import generate_city, write_scenario
from dispatch.model import Problem
from dispatch.validate import validate

DAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def two_branches() -> Problem:
    """A tiny generated city of two branches: 8 engineers, 40 requests."""
    folder = Path(tempfile.mkdtemp(prefix="punctuality-test-"))
    write_scenario(generate_city(3, DAY, engineers=8, requests=40, branches=2), folder)
    return load_scenario(folder, [DAY])


def test_the_path_is_the_products_choice(two_branches: Problem) -> None:
    """auto plans a small day as one model; the process backend decomposes by branch."""
    assert path_of(two_branches, "auto", 2) == "one model"
    assert path_of(two_branches, "process", 2) == "by branch (2 branches), process backend, 2 workers"


def test_a_decomposed_plan_is_replayed_whole(two_branches: Problem) -> None:
    """The merged plan of both branches is valid and its replay counts every served visit once."""
    result, sim = plan_and_replay(two_branches, 0.25, 4.0, 20, "process", 2)
    assert result.status.startswith("decomposed: 2 parts")
    assert validate(two_branches, result.plan) == []
    served = [s.request_id for r in result.plan.routes for s in r.stops]
    assert served and len(served) == len(set(served)) == result.plan.kpis["assigned"]
    assert sim.visits == len(served) and set(sim.per_stop_on_time) == set(served)
    assert sim.routes == sum(1 for r in result.plan.routes if r.stops)
    assert 0 < sim.on_time_share <= 1 and 0 <= sim.overtime_share <= 1


def _row(protection: float, km: float, on_time: float, overtime: float, promises: str) -> dict[str, Any]:
    return {
        "protection": protection,
        "km": km,
        "on_time": on_time,
        "overtime": overtime,
        "promises": promises,
        "emergencies": "3/3",
    }


def test_targets_met_and_missed() -> None:
    """The targets line names each missed target against the plain plan and nothing else."""
    plain = _row(0.0, 1000, 0.97, 0.25, "10/10")
    assert targets([plain, _row(0.25, 1030, 0.99, 0.10, "10/10")]).startswith(
        "Targets at protection 0.25: all met"
    )
    missed = targets([plain, _row(0.25, 1031, 0.989, 0.11, "9/10")])
    assert (
        "MISSED: on time >= 99 %, past shift end <= 10 %, km <= plain +3 %, promises kept >= plain" in missed
    )
    assert "emergencies served >= plain yes" in missed
    assert targets([plain]).startswith("Targets not checked")
