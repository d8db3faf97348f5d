"""bench.booking on a tiny branch: the fill books into valid plans and the figures are computed."""

from __future__ import annotations

import dataclasses
from datetime import date

from bench.booking import fill, pct, scenario, timed
from dispatch.plan import Plan, Unassigned
from dispatch.validate import validate


def test_the_fill_leaves_a_valid_plan_and_probes_are_timed() -> None:
    """Five engineers, 80 callers: 50 booked into a plan the validator accepts; probes get timings."""
    _, problem = scenario(3, 5, 80, date(2026, 12, 1))
    board, booked, left = fill(problem, 50)
    assert len(booked) == 50 and left
    final = dataclasses.replace(problem, requests=[booked.get(r.request_id, r) for r in problem.requests])
    served = {s.request_id for r in board.routes() for s in r.stops}
    rest = [
        Unassigned(r.request_id, "probe", "not booked")
        for r in problem.requests
        if r.request_id not in served
    ]
    assert served == set(booked)
    assert validate(final, Plan(problem.dates, board.routes(), rest)) == []
    times = timed(board, left[:5])
    assert len(times) == 5 and 0 < pct(times, 0.5) <= pct(times, 0.95)
