"""One run of the planner, whole or decomposed by branch: the choice the CLI and plan jobs share.

``single`` solves one model; ``process`` and ``ray`` decompose by branch and day
(:mod:`solver.decompose`) on that backend; ``auto`` (the default) solves one model up to
:data:`SINGLE_MODEL_MAX_REQUESTS` requests or a single branch, and decomposes on the local
process pool beyond (OR-Tools' maintainers advise keeping one model under about 1,000 stops).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Literal

from dispatch.model import Problem
from solver.backends import PartCallback, make_backend
from solver.decompose import solve_decomposed
from solver.params import ProgressCallback, SolveParams
from solver.solve import SolveResult, solve

#: The backends one may choose.
BackendName = Literal["auto", "single", "process", "ray"]


class BackendChoice(StrEnum):
    """The backends as a command-line choice."""

    AUTO = "auto"
    SINGLE = "single"
    PROCESS = "process"
    RAY = "ray"


#: The largest problem ``auto`` solves as one model.
SINGLE_MODEL_MAX_REQUESTS = 1000


def resolved(problem: Problem, backend: BackendName) -> str:
    """What ``backend`` means for this problem: ``single``, ``process`` or ``ray``."""
    if backend != "auto":
        return backend
    small = len(problem.requests) <= SINGLE_MODEL_MAX_REQUESTS or len(problem.branches) <= 1
    return "single" if small else "process"


def run_plan(
    problem: Problem,
    params: SolveParams,
    backend: BackendName = "auto",
    workers: int = 2,
    ray_address: str | None = None,
    progress: ProgressCallback | None = None,
    on_part: PartCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SolveResult:
    """Plan the problem on ``backend`` within ``params.time_limit_s`` of wall time; the plan is validated."""
    chosen = resolved(problem, backend)
    if chosen == "single":
        return solve(problem, params, progress, should_stop)
    result = solve_decomposed(
        problem, params, make_backend(chosen, workers, ray_address), on_part, should_stop
    )
    return SolveResult(result.plan, result.status, None, 0, result.seconds)
