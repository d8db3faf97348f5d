"""An independent DIMACS feasibility checker for VRPTW route sets.

It knows nothing of the solver or the dispatch model: it re-times the routes from the raw
customer table with travel = floor(10 x Euclidean distance) tenths and every time of the
file times ten, waiting allowed, service starting no later than the due time, and the
vehicle back at the depot by the depot's due time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from data.solomon import Customer


@dataclass(frozen=True, slots=True)
class Verdict:
    """The DIMACS cost of a route set in tenths, and every rule it breaks."""

    tenths: int
    violations: list[str]

    @property
    def distance(self) -> float:
        """The total distance in plane units, one decimal."""
        return self.tenths / 10

    @property
    def feasible(self) -> bool:
        """Whether the routes break no rule."""
        return not self.violations


def tenths(a: Customer, b: Customer) -> int:
    """Travel between two customers: the Euclidean distance truncated to tenths."""
    return math.floor(10 * math.hypot(a.x - b.x, a.y - b.y))


def check(
    table: Sequence[Customer], vehicles: int, capacity: int, routes: Sequence[Sequence[int]]
) -> Verdict:
    """Cost and violations of ``routes`` (customer numbers) on the table (depot first)."""
    depot = table[0]
    by_number = {c.number: c for c in table[1:]}
    problems: list[str] = []
    used = [r for r in routes if r]
    if len(used) > vehicles:
        problems.append(f"{len(used)} routes, the fleet has {vehicles}")
    seen = Counter(n for r in used for n in r)
    for n, k in sorted(seen.items()):
        if n not in by_number:
            problems.append(f"customer {n} does not exist")
        elif k > 1:
            problems.append(f"customer {n} visited {k} times")
    problems += [f"customer {n} not visited" for n in sorted(set(by_number) - set(seen))]
    total = 0
    for i, route in enumerate(used, start=1):
        stops = [by_number[n] for n in route if n in by_number]
        load = sum(c.demand for c in stops)
        if load > capacity:
            problems.append(f"route {i}: load {load} over capacity {capacity}")
        clock, here = 10 * depot.ready, depot
        for c in stops:
            leg = tenths(here, c)
            total += leg
            clock = max(clock + leg, 10 * c.ready)
            if clock > 10 * c.due:
                problems.append(f"route {i}: customer {c.number} starts at {clock}, due {10 * c.due}")
            clock += 10 * c.service
            here = c
        back = tenths(here, depot)
        total += back
        if clock + back > 10 * depot.due:
            problems.append(f"route {i}: back at {clock + back}, depot closes {10 * depot.due}")
    return Verdict(total, problems)


def read_solution(path: Path) -> tuple[list[list[int]], float | None]:
    """The routes and stated cost of a VRPLIB ``.sol`` file (``Route #k: ...``, ``Cost X``)."""
    routes: list[list[int]] = []
    cost = None
    for line in path.read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
        elif line.startswith("Cost"):
            cost = float(line.split()[1])
    return routes, cost
