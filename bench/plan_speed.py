"""Plan time and quality on generated days: how the plan grows with the time limit.

    python -m bench.plan_speed [--sizes 60x400,200x1500] [--limits 10,30,60,120,600] [--seed 7]

Each run is a fresh process (so peak memory is the run's own); the longest limit of each
size is the reference the shorter ones are compared with. Writes its section of
BENCHMARKS.md between the ``plan-speed`` markers.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.report import replace_section

DAY = date(2026, 12, 1)


def run_one(folder: Path, limit: float) -> dict[str, Any]:
    """Load, solve and measure one scenario at one time limit (in this process)."""
    from data.contract import load_scenario
    from dispatch.model import Priority
    from solver.params import SolveParams
    from solver.solve import solve

    started = time.monotonic()
    problem = load_scenario(folder, [DAY])
    result = solve(problem, SolveParams(time_limit_s=limit))
    k = result.plan.kpis
    served = {s.request_id for _, s in result.plan.stops()}
    by_priority = {
        p.value: f"{sum(1 for r in problem.requests if r.priority is p and r.request_id in served)}"
        f"/{sum(1 for r in problem.requests if r.priority is p)}"
        for p in Priority
    }
    return {
        "limit_s": limit,
        "wall_s": round(time.monotonic() - started, 1),
        "solutions": result.solutions,
        "assigned": k["assigned"],
        "requests": k["requests"],
        "promises": f"{k['promises_kept']}/{k['promised']}",
        "served_by_priority": by_priority,
        "km": k["km"],
        "km_per_visit": round(k["km"] / max(1, k["assigned"]), 3),
        "travel_min_per_visit": k["travel_minutes_per_visit"],
        "workload_stdev_min": k["workload_minutes_stdev"],
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _measure(folder: Path, limit: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.plan_speed", "--one", str(folder), "--limit", str(limit)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _table(size: str, rows: list[dict[str, Any]]) -> list[str]:
    ref = rows[-1]
    lines = [
        f"#### {size} (reference: the {ref['limit_s']:.0f} s run)",
        "",
        "| limit s | wall s | solutions | assigned | promises kept | emergency / high / normal served | km | km vs ref | km/visit | travel min/visit | workload σ min | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = r["served_by_priority"]
        lines.append(
            f"| {r['limit_s']:.0f} | {r['wall_s']} | {r['solutions']} | {r['assigned']}/{r['requests']} | {r['promises']} | "
            f"{p['emergency']} / {p['high']} / {p['normal']} | {r['km']:.1f} | "
            f"{100 * (r['km'] / ref['km'] - 1):+.1f}% | {r['km_per_visit']} | {r['travel_min_per_visit']} | "
            f"{r['workload_stdev_min']} | {r['peak_mb']} |"
        )
    return [*lines, ""]


def main() -> None:
    """Run the grid of sizes and limits; print and record the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="60x400,200x1500")
    parser.add_argument("--limits", default="10,30,60,120,600")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", type=Path)
    parser.add_argument("--limit", type=float)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.limit)))
        return
    from data.generate import generate_city, write_scenario

    limits = sorted(float(x) for x in args.limits.split(","))
    out = [
        f"Generated city (seed {args.seed}), one day, default settings; "
        f"`python -m bench.plan_speed --sizes {args.sizes} --limits {args.limits}`.",
        "",
    ]
    for size in args.sizes.split(","):
        engineers, requests = (int(x) for x in size.split("x"))
        folder = Path(tempfile.mkdtemp(prefix=f"bench-{size}-"))
        write_scenario(generate_city(args.seed, DAY, engineers=engineers, requests=requests), folder)
        rows = []
        for limit in limits:
            rows.append(_measure(folder, limit))
            print(size, json.dumps(rows[-1]), flush=True)
        out += _table(f"{engineers} engineers / {requests} requests", rows)
    print("\n".join(out))
    replace_section("plan-speed", "\n".join(out))


if __name__ == "__main__":
    main()
