"""Solver parameters: a small dataclass that checks itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dispatch.punctuality import DEFAULT_PROTECTION, DEFAULT_VARIATION, Variation

#: Called now and then while solving: (fraction of the budget used, a short message).
ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how to search, and how to weigh the soft goals.

    ``solution_limit`` stops after that many improving solutions, which makes a run
    repeatable whatever the machine's speed; ``time_limit_s`` is the wall-clock budget.
    The costs are in seconds of driving they are worth.

    ``emergency_delay_s_per_hour`` (off by default) charges each hour an emergency starts
    after its day's first slot opens: it pushes safety faults to the morning, but any cost on
    visit times makes OR-Tools check every move with a linear program, and the search then
    finds about a ninth of the solutions (on the 60-engineer demo day in 60 s: 68 instead of
    618, 359 requests served instead of 373). Emergencies are served first all the same:
    their drop penalty outweighs all other work together.

    ``nearest_engineers`` is how many of the closest qualified engineers on shift each
    request may go to on each day (``None``: any of them); the preferred engineer always may.

    ``protection`` is how much of the worst case of ``variation`` every promise is
    protected against: the plan must still hold if each drive takes ``1 + protection *
    variation.travel`` times and each repair ``1 + protection * variation.service`` times its
    expected minutes. 0 plans on expected times only (the benchmarks' setting).

    The search (see :mod:`solver.search`): OR-Tools' ``first_solution`` and
    ``metaheuristic`` run for ``first_search_share`` of the budget, then, when
    ``ruin_recreate`` is on, rounds of ruin and recreate take the rest, each removing
    ``ruin_min``..``ruin_max`` neighbouring visits and accepting slightly worse results
    with a simulated-annealing temperature of ``ruin_temperature`` times the mean cost per
    visit, cooling to zero; each round's descent considers the ``round_neighbours`` share
    of the closest visits for its moves. ``ruin`` is ``"radial"`` (the visits closest to a
    random one) or ``"strings"`` (strings of consecutive visits from several nearby routes,
    :func:`solver.search._ruin_strings`). Under a ``solution_limit`` the rounds stop after
    as many rounds. Dispatch days use OR-Tools' guided local search alone (the default,
    chosen when it served the same work as the rounds on the 60-engineer demo day at 30 s
    with about 2 % fewer km; since the engine got faster, one run of that day at 30 s
    gave the rounds 384 requests and 2,038 km against 382 and 2,124, see BENCHMARKS.md);
    the VRPTW benchmarks turn the rounds on.
    ``keep`` (a re-plan's requests already planned, whose customers know their slot) costs
    ``keep_s`` more to leave out than other work of its tier.
    ``seed`` drives the rounds' random choices. ``workers`` > 1 runs that many searches at
    once in forked processes (seeds ``seed``, ``seed + 1``, ...) and keeps the best.
    """

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    preferred_engineer_s: int = 1800
    balance_s_per_hour: int = 600
    emergency_delay_s_per_hour: int = 0
    log_search: bool = False
    protection: float = DEFAULT_PROTECTION
    nearest_engineers: int | None = 30
    variation: Variation = DEFAULT_VARIATION
    ruin_recreate: bool = False
    first_search_share: float = 0.1
    ruin_min: int = 10
    ruin_max: int = 25
    ruin_temperature: float = 0.01
    round_neighbours: float = 0.05
    ruin: str = "radial"
    seed: int = 0
    workers: int = 1
    keep: frozenset[str] = frozenset()
    keep_s: int = 0

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit must be at least 1, got {self.solution_limit}")
        for name in ("preferred_engineer_s", "balance_s_per_hour", "emergency_delay_s_per_hour", "keep_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not 0 < self.first_search_share <= 1:
            raise ValueError(f"first_search_share must be in (0, 1], got {self.first_search_share}")
        if not 1 <= self.ruin_min <= self.ruin_max:
            raise ValueError(f"need 1 <= ruin_min <= ruin_max, got {self.ruin_min}, {self.ruin_max}")
        if self.ruin_temperature < 0:
            raise ValueError(f"ruin_temperature must not be negative, got {self.ruin_temperature}")
        if self.ruin not in ("radial", "strings"):
            raise ValueError(f"ruin must be 'radial' or 'strings', got {self.ruin!r}")
        if not 0 < self.round_neighbours <= 1:
            raise ValueError(f"round_neighbours must be in (0, 1], got {self.round_neighbours}")
        if not 1 <= self.workers <= 64:
            raise ValueError(f"workers must be in 1..64, got {self.workers}")
        if self.nearest_engineers is not None and self.nearest_engineers < 1:
            raise ValueError(f"nearest_engineers must be at least 1, got {self.nearest_engineers}")
        if not 0 <= self.protection <= 2:
            raise ValueError(f"protection must be in [0, 2], got {self.protection}")
        if not 0 < self.gls_lambda <= 10:
            raise ValueError(f"gls_lambda must be in (0, 10], got {self.gls_lambda}")
