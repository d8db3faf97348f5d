"""Reference peers for the VRPTW tables: PyVRP and VROOM (bench-only extras).

Both solve the same DIMACS integers (tenths of Euclidean distance, times x10). Their
imports stay inside the functions so that the rest of ``bench`` runs without them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.check import tenths
from data.solomon import Customer


@dataclass(frozen=True, slots=True)
class PeerResult:
    """Routes (customer numbers) a peer found, and its wall time."""

    routes: list[list[int]]
    seconds: float


def _vrplib_text(name: str, vehicles: int, capacity: int, table: Sequence[Customer]) -> str:
    """The instance in VRPLIB's VRPTW format (what ``pyvrp.read`` takes)."""
    lines = [
        f"NAME : {name}",
        "TYPE : CVRPTW",
        f"DIMENSION : {len(table)}",
        f"VEHICLES : {vehicles}",
        f"CAPACITY : {capacity}",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        "NODE_COORD_SECTION",
        *(f"{i + 1} {c.x} {c.y}" for i, c in enumerate(table)),
        "DEMAND_SECTION",
        *(f"{i + 1} {c.demand}" for i, c in enumerate(table)),
        "TIME_WINDOW_SECTION",
        *(f"{i + 1} {c.ready} {c.due}" for i, c in enumerate(table)),
        "SERVICE_TIME_SECTION",
        *(f"{i + 1} {c.service}" for i, c in enumerate(table)),
        "DEPOT_SECTION",
        "1",
        "-1",
        "EOF",
    ]
    return "\n".join(lines) + "\n"


def pyvrp_solve(
    name: str, vehicles: int, capacity: int, table: Sequence[Customer], seconds: float, seed: int
) -> PeerResult:
    """PyVRP's hybrid genetic search, read with ``round_func="dimacs"``, for ``seconds``."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.vrp"
        path.write_text(_vrplib_text(name, vehicles, capacity, table))
        data = pyvrp.read(path, round_func="dimacs")
    result = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=seed, collect_stats=False, display=False)
    numbers = [c.number for c in table]
    routes = [[numbers[a.idx + 1] for a in route if a.is_client()] for route in result.best.routes()]
    return PeerResult(routes, time.monotonic() - started)


def vroom_solve(vehicles: int, capacity: int, table: Sequence[Customer], threads: int = 2) -> PeerResult:
    """VROOM at its highest exploration level, on the same integer matrix."""
    import vroom

    started = time.monotonic()
    matrix = [[tenths(a, b) for b in table] for a in table]
    depot = table[0]
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix)
    window = vroom.TimeWindow(10 * depot.ready, 10 * depot.due)
    for k in range(vehicles):
        problem.add_vehicle(vroom.Vehicle(k + 1, start=0, end=0, capacity=[capacity], time_window=window))
    for i, c in enumerate(table[1:], start=1):
        problem.add_job(
            vroom.Job(
                c.number,
                location=i,
                default_service=10 * c.service,
                delivery=[c.demand],
                time_windows=[vroom.TimeWindow(10 * c.ready, 10 * c.due)],
            )
        )
    solution = problem.solve(exploration_level=5, nb_threads=threads)
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    routes = [[int(x) for x in group["id"]] for _, group in jobs.groupby("vehicle_id", sort=True)]
    return PeerResult(routes, time.monotonic() - started)
