"""The punctuality trade-off: on-time share under variation against km and work served.

    python -m bench.punctuality [--sizes 60x400,200x1500] [--protections 0,0.25,0.5,0.75,1]
                                [--time-limit 60] [--runs 200] [--seed 7]

Each setting of ``SolveParams.protection`` plans the same generated day; every plan is
replayed ``--runs`` times under the default variation (travel ±25 %, service ±20 %). The
plain plan (protection 0) is the reference measured in the same run. Writes its section
of BENCHMARKS.md between the ``punctuality`` markers.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from bench.report import replace_section
from data.contract import load_scenario
from data.generate import generate_city, write_scenario
from dispatch.model import Problem
from dispatch.punctuality import DEFAULT_VARIATION, replay
from solver.params import SolveParams
from solver.solve import solve

DAY = date(2026, 12, 1)


def measure(problem: Problem, protection: float, limit: float, runs: int) -> dict[str, Any]:
    """Plan with one protection setting and replay the plan under the default variation."""
    result = solve(problem, SolveParams(time_limit_s=limit, protection=protection))
    k = result.plan.kpis
    sim = replay(problem, result.plan.routes, DEFAULT_VARIATION, runs=runs, seed=1)
    return {
        "protection": protection,
        "assigned": k["assigned"],
        "requests": k["requests"],
        "promises": f"{k['promises_kept']}/{k['promised']}",
        "emergencies": f"{k['emergencies_served']}/{k['emergencies']}",
        "km": k["km"],
        "on_time": sim.on_time_share,
        "late_mean": sim.late_mean_minutes,
        "late_p95": sim.late_p95_minutes,
        "overtime": sim.overtime_share,
    }


def table(title: str, rows: list[dict[str, Any]]) -> list[str]:
    """A markdown table of one size, with km relative to the plain plan."""
    plain = rows[0] if rows[0]["km"] else {"km": float("nan")}
    lines = [
        f"#### {title}",
        "",
        "| protection | assigned | promises kept | emergencies | km | km vs plain | on time | late mean / p95 min | routes past shift end |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['protection']:.2f} | {r['assigned']}/{r['requests']} | {r['promises']} | {r['emergencies']} | "
            f"{r['km']:.0f} | {100 * (r['km'] / plain['km'] - 1):+.1f}% | {100 * r['on_time']:.2f}% | "
            f"{r['late_mean']:.1f} / {r['late_p95']:.1f} | {100 * r['overtime']:.1f}% |"
        )
    return [*lines, ""]


def main() -> None:
    """Run every size and setting; print and record the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="60x400,200x1500")
    parser.add_argument("--protections", default="0,0.25,0.5,0.75,1")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = [float(x) for x in args.protections.split(",")]
    out = [
        f"Generated city (seed {args.seed}), one day, {args.time_limit:.0f} s per plan, {args.runs} replays "
        f"per route under travel ±25 % and service ±20 %; `python -m bench.punctuality --sizes {args.sizes} "
        f"--protections {args.protections} --time-limit {args.time_limit:g} --runs {args.runs}`.",
        "",
    ]
    for size in args.sizes.split(","):
        engineers, requests = (int(x) for x in size.split("x"))
        folder = Path(tempfile.mkdtemp(prefix=f"punctuality-{size}-"))
        write_scenario(generate_city(args.seed, DAY, engineers=engineers, requests=requests), folder)
        problem = load_scenario(folder, [DAY])
        rows = []
        for protection in settings:
            rows.append(measure(problem, protection, args.time_limit, args.runs))
            print(size, rows[-1], flush=True)
        out += table(f"{engineers} engineers / {requests} requests", rows)
    print("\n".join(out))
    replace_section("punctuality", "\n".join(out))


if __name__ == "__main__":
    main()
