"""The national night: decomposed by branch on 2 cores, its speed-up and its cost in quality.

    python -m bench.national [--national 20x2000x20000] [--national-limit 720]
                             [--speedup 4x400x4000] [--speedup-solutions 60]
                             [--compare 60x400] [--compare-limit 60] [--seed 1]

Three measurements, each against a reference measured in the same run:

1. The national night (``CITIESxENGINEERSxREQUESTS``, 3 branches a city) planned by branch
   on the process pool with 2 workers within ``--national-limit`` seconds: wall time of
   loading and planning, peak memory (resident set of this process and all its children,
   sampled every half second), assigned share, promises kept, km per visit.
2. The speed-up: a smaller national scenario planned with 1 and with 2 workers, each part
   searching a fixed number of solutions (``--speedup-solutions``; the time limit is only a
   safety net), so both runs do the same work and the wall times compare.
3. The cost of decomposing: a ``ENGINEERSxREQUESTS`` city of 2 branches planned as one model
   and decomposed (2 workers), both with ``--compare-limit`` seconds.

Writes its section of BENCHMARKS.md between the ``national`` markers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import psutil

from bench.report import replace_section
from data.contract import load_scenario
from data.generate import generate_city, write_scenario
from data.generate_national import generate_national
from dispatch.model import Problem
from dispatch.plan import Plan
from solver.backends import ProcessBackend
from solver.decompose import solve_decomposed
from solver.params import SolveParams
from solver.solve import solve

DAY = date(2026, 12, 1)


class PeakMemory:
    """Samples the resident memory of this process and its children; ``peak_mb`` is the highest sum."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.every_s, self.peak_mb = every_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.every_s):
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _load(tables: dict[str, Any]) -> Problem:
    folder = Path(tempfile.mkdtemp(prefix="bench-national-"))
    write_scenario(tables, folder)
    return load_scenario(folder, [DAY])


def figures(plan: Plan, wall: float) -> dict[str, Any]:
    """Assigned share, promises, km per visit and wall seconds of a plan."""
    k = plan.kpis
    visits = max(1, k["assigned"])
    return {
        "wall_s": round(wall, 1),
        "assigned": f"{k['assigned']}/{k['requests']} ({k['assigned'] / max(1, k['requests']):.1%})",
        "promises": f"{k['promises_kept']}/{k['promised']}",
        "km_per_visit": round(k["km"] / visits, 2),
        "travel_min_per_visit": k["travel_minutes_per_visit"],
    }


def national_night(size: str, limit: float, seed: int) -> dict[str, Any]:
    """Generate, load and plan the national night with 2 workers; figures and peak memory."""
    cities, engineers, requests = (int(x) for x in size.split("x"))
    with PeakMemory() as memory:
        started = time.monotonic()
        problem = _load(generate_national(seed, DAY, cities=cities, engineers=engineers, requests=requests))
        loaded = time.monotonic()
        result = solve_decomposed(problem, SolveParams(time_limit_s=limit), ProcessBackend(2))
        done = time.monotonic()
    row = figures(result.plan, done - loaded)
    return row | {
        "size": size,
        "load_s": round(loaded - started, 1),
        "merge_s": round(result.merge_s, 1),
        "peak_mb": round(memory.peak_mb),
        "status": result.status,
    }


def speedup(size: str, solutions: int, seed: int) -> list[dict[str, Any]]:
    """The same fixed work (``solutions`` per part) with 1 and 2 workers."""
    cities, engineers, requests = (int(x) for x in size.split("x"))
    problem = _load(generate_national(seed, DAY, cities=cities, engineers=engineers, requests=requests))
    rows = []
    for workers in (1, 2):
        params = SolveParams(time_limit_s=1800, solution_limit=solutions)
        load = os.getloadavg()[0]
        started = time.monotonic()
        result = solve_decomposed(problem, params, ProcessBackend(workers))
        parts_s = sum(o.seconds for o in result.outcomes.values())
        rows.append(
            {"workers": workers}
            | figures(result.plan, time.monotonic() - started)
            | {"parts_s": round(parts_s, 1), "load_before": round(load, 1)}
        )
    return rows


def compare(size: str, limit: float, seed: int) -> list[dict[str, Any]]:
    """One model against the decomposed run on a 2-branch city, same budget."""
    engineers, requests = (int(x) for x in size.split("x"))
    problem = _load(generate_city(seed, DAY, engineers=engineers, requests=requests, branches=2))
    started = time.monotonic()
    single = solve(problem, SolveParams(time_limit_s=limit))
    rows = [{"run": "one model"} | figures(single.plan, time.monotonic() - started)]
    started = time.monotonic()
    split = solve_decomposed(problem, SolveParams(time_limit_s=limit), ProcessBackend(2))
    rows.append({"run": "by branch, 2 workers"} | figures(split.plan, time.monotonic() - started))
    return rows


def _table(rows: list[dict[str, Any]]) -> list[str]:
    keys = list(rows[0])
    return [
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
        *("| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows),
    ]


def main() -> None:
    """Run the three measurements, print them, write BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--national", default="20x2000x20000")
    parser.add_argument("--national-limit", type=float, default=720.0)
    parser.add_argument("--speedup", default="4x400x4000")
    parser.add_argument("--speedup-solutions", type=int, default=60)
    parser.add_argument("--compare", default="60x400")
    parser.add_argument("--compare-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cores = psutil.cpu_count()
    out = [
        "## The national night (`python -m bench.national`)",
        "",
        f"Machine: {cores} cores. Decomposed by branch and day on the local process pool "
        "(`solver.decompose`, `solver.backends`). Command: `python -m bench.national "
        f"--national {args.national} --national-limit {args.national_limit:g} --speedup {args.speedup} "
        f"--speedup-solutions {args.speedup_solutions} --compare {args.compare} "
        f"--compare-limit {args.compare_limit:g} --seed {args.seed}`.",
        "",
    ]
    rows = compare(args.compare, args.compare_limit, args.seed)
    out += [f"### What decomposing costs: {args.compare} (engineers x requests), 2 branches, "
            f"{args.compare_limit:g} s each", "", *_table(rows), ""]  # fmt: skip
    print("\n".join(out), flush=True)
    rows = speedup(args.speedup, args.speedup_solutions, args.seed)
    ratio = rows[0]["wall_s"] / max(0.1, rows[1]["wall_s"])
    # parts_s: the parts' own seconds summed; load_before: the machine's 1-minute load average
    # when the run started (other work on the same cores slows the 2-worker run most).
    out += [f"### Speed-up: {args.speedup} (cities x engineers x requests), {args.speedup_solutions} "
            "solutions per part", "", *_table(rows), "", f"Speed-up 1 -> 2 workers: {ratio:.2f}x", ""]  # fmt: skip
    print("\n".join(out[-len(rows) - 6 :]), flush=True)
    night = national_night(args.national, args.national_limit, args.seed)
    out += [f"### The national night: {args.national}, 2 workers, --time-limit {args.national_limit:g}",
            "", *_table([night]), "",
            "Target: at most 15 minutes (load + plan) on 2 cores under 4 GB; wall_s is the planning "
            "alone, load_s the reading of the CSVs, peak_mb the resident memory of the parent and "
            "all workers together."]  # fmt: skip
    print("\n".join(out[-6:]), flush=True)
    replace_section("national", "\n".join(out))


if __name__ == "__main__":
    main()
