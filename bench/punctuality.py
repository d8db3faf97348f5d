"""The punctuality trade-off: on-time share under variation against km and work served.

    python -m bench.punctuality [--sizes 60x400,200x1500] [--protections 0,0.15,0.25,0.35,0.5]
                                [--time-limit 60] [--runs 200] [--seed 7] [--workers 2]

Each size is planned the way the product plans it (:func:`api.planning.run_plan` with
``backend="auto"``): one model up to 1,000 requests or one branch, else by branch on a
local process pool of ``--workers``; ``--time-limit`` is the wall-clock budget of each plan
either way. Every setting of ``SolveParams.protection`` plans the same generated day; every
plan (the merged plan, when decomposed) is replayed ``--runs`` times on the whole problem
under the default variation (travel ±25 %, service ±20 %). The plain plan (protection 0)
is the reference measured in the same run. Writes its section of BENCHMARKS.md between
the ``punctuality`` markers.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from api.planning import BackendName, resolved, run_plan
from bench.report import replace_section
from data.contract import load_scenario
from data.generate import generate_city, write_scenario
from dispatch.model import Problem
from dispatch.punctuality import DEFAULT_PROTECTION, DEFAULT_VARIATION, Punctuality, replay
from solver.params import SolveParams
from solver.solve import SolveResult

DAY = date(2026, 12, 1)
log = logging.getLogger(__name__)


def path_of(problem: Problem, backend: BackendName, workers: int) -> str:
    """How ``run_plan`` plans this problem on ``backend``, in words."""
    chosen = resolved(problem, backend)
    if chosen == "single":
        return "one model"
    return f"by branch ({len(problem.branches)} branches), {chosen} backend, {workers} workers"


def plan_and_replay(
    problem: Problem,
    protection: float,
    limit: float,
    runs: int,
    backend: BackendName = "auto",
    workers: int = 2,
) -> tuple[SolveResult, Punctuality]:
    """Plan with one protection setting as the product would; replay the (merged) plan on the whole problem."""
    result = run_plan(problem, SolveParams(time_limit_s=limit, protection=protection), backend, workers)
    return result, replay(problem, result.plan.routes, DEFAULT_VARIATION, runs=runs, seed=1)


def measure(
    problem: Problem,
    protection: float,
    limit: float,
    runs: int,
    backend: BackendName = "auto",
    workers: int = 2,
) -> dict[str, Any]:
    """One row of the table: :func:`plan_and_replay`'s KPIs and replayed figures."""
    result, sim = plan_and_replay(problem, protection, limit, runs, backend, workers)
    k = result.plan.kpis
    return {
        "protection": protection,
        "assigned": k["assigned"],
        "requests": k["requests"],
        "promises": f"{k['promises_kept']}/{k['promised']}",
        "emergencies": f"{k['emergencies_served']}/{k['emergencies']}",
        "km": k["km"],
        "visits": sim.visits,
        "on_time": sim.on_time_share,
        "late_mean": sim.late_mean_minutes,
        "late_p95": sim.late_p95_minutes,
        "overtime": sim.overtime_share,
        "seconds": result.seconds,
        "status": result.status,
    }


def table(title: str, rows: list[dict[str, Any]]) -> list[str]:
    """A markdown table of one size, with km relative to the plain plan (the first row)."""
    plain = rows[0]["km"] or float("nan")
    lines = [
        f"#### {title}",
        "",
        "| protection | assigned | promises kept | emergencies | km | km vs plain | km / visit | on time | late mean / p95 min | routes past shift end | plan s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['protection']:.2f} | {r['assigned']}/{r['requests']} | {r['promises']} | {r['emergencies']} | "
            f"{r['km']:.0f} | {100 * (r['km'] / plain - 1):+.1f}% | {r['km'] / max(1, r['assigned']):.2f} | "
            f"{100 * r['on_time']:.2f}% | "
            f"{r['late_mean']:.1f} / {r['late_p95']:.1f} | {100 * r['overtime']:.1f}% | {r['seconds']:.1f} |"
        )
    return [*lines, ""]


#: The issue's targets for the default protection under the default variation.
TARGET_ON_TIME = 0.99
TARGET_OVERTIME = 0.10
TARGET_KM_RISE = 0.03


def _kept(fraction: str) -> int:
    return int(fraction.split("/")[0])


def targets(rows: list[dict[str, Any]], protection: float = DEFAULT_PROTECTION) -> str:
    """One line: does the row of ``protection`` meet each target against the plain plan (the first row)?"""
    plain = rows[0]
    row = next((r for r in rows if r["protection"] == protection), None)
    if row is None or plain["protection"] != 0:
        return f"Targets not checked: no plain row and no row at protection {protection:g}."
    checks = {
        f"on time >= {100 * TARGET_ON_TIME:g} %": row["on_time"] >= TARGET_ON_TIME,
        f"past shift end <= {100 * TARGET_OVERTIME:g} %": row["overtime"] <= TARGET_OVERTIME,
        f"km <= plain +{100 * TARGET_KM_RISE:g} %": row["km"] <= plain["km"] * (1 + TARGET_KM_RISE),
        "promises kept >= plain": _kept(row["promises"]) >= _kept(plain["promises"]),
        "emergencies served >= plain": _kept(row["emergencies"]) >= _kept(plain["emergencies"]),
    }
    verdict = (
        "all met" if all(checks.values()) else "MISSED: " + ", ".join(k for k, ok in checks.items() if not ok)
    )
    listed = "; ".join(f"{k} {'yes' if ok else 'no'}" for k, ok in checks.items())
    return f"Targets at protection {protection:g}: {verdict} ({listed})."


def main() -> None:
    """Run every size and setting; print and record the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="60x400,200x1500")
    parser.add_argument("--protections", default="0,0.15,0.25,0.35,0.5")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = [float(x) for x in args.protections.split(",")]
    load = os.getloadavg()
    out = [
        f"Generated city (seed {args.seed}), one day, {args.time_limit:g} s wall-clock per plan, {args.runs} "
        f"replays per route under travel ±25 % and service ±20 %; `python -m bench.punctuality --sizes "
        f"{args.sizes} --protections {args.protections} --time-limit {args.time_limit:g} --runs {args.runs} "
        f"--workers {args.workers}` (under `flock /tmp/bench.lock`; load average {load[0]:.2f} at the start). "
        "Each size is planned as `dispatch plan --backend auto` plans it (`api.planning.run_plan`); "
        "a decomposed plan is merged and replayed on the whole problem. The plain plan (protection 0) "
        f"is the reference of the same run. Default: {DEFAULT_PROTECTION:g}.",
        "",
    ]
    for size in args.sizes.split(","):
        engineers, requests = (int(x) for x in size.split("x"))
        folder = Path(tempfile.mkdtemp(prefix=f"punctuality-{size}-"))
        write_scenario(generate_city(args.seed, DAY, engineers=engineers, requests=requests), folder)
        problem = load_scenario(folder, [DAY])
        rows = []
        for protection in settings:
            rows.append(measure(problem, protection, args.time_limit, args.runs, "auto", args.workers))
            log.info("%s %s", size, rows[-1])
        out += table(
            f"{engineers} engineers / {requests} requests: {path_of(problem, 'auto', args.workers)}", rows
        )
        out += [targets(rows), ""]
    print("\n".join(out))
    replace_section("punctuality", "\n".join(out))


if __name__ == "__main__":
    main()
