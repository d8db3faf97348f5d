"""Solver parameters: a small dataclass that checks itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Called now and then while solving: (fraction of the budget used, a short message).
ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how to search, and how to weigh the soft goals.

    ``solution_limit`` stops after that many improving solutions, which makes a run
    repeatable whatever the machine's speed; ``time_limit_s`` is the wall-clock budget.
    The costs are in seconds of driving they are worth.
    """

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    preferred_engineer_s: int = 1800
    balance_s_per_hour: int = 600
    emergency_delay_s_per_hour: int = 3600
    log_search: bool = False

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit must be at least 1, got {self.solution_limit}")
        for name in ("preferred_engineer_s", "balance_s_per_hour", "emergency_delay_s_per_hour"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not 0 < self.gls_lambda <= 10:
            raise ValueError(f"gls_lambda must be in (0, 10], got {self.gls_lambda}")
