"""VRPTW tables: the planner's engine against the best-known distances, PyVRP and VROOM.

    python -m bench.vrptw --time-limit 10 [--set solomon|gh200|gh400] [--instances C101,R101]
                          [--peers] [--seeds 1] [--rounds]

Instances run one after the other (the search may use both cores; a pool would distort the
timing). Every solution is re-checked by :mod:`bench.check`, independently of the solver.
Results are kept per (set, time limit) in ``bench/vrptw_results.json`` and all of them are
written to BENCHMARKS.md between the ``vrptw`` markers.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from api.cli_vrptw import solve_vrptw
from bench.check import check
from bench.report import replace_section
from data.solomon import parse, read_instance

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks"
RESULTS = Path(__file__).resolve().parent / "vrptw_results.json"
SETS = {
    "solomon": ("solomon", "solomon_bks.csv", r"^(C|R|RC)\d{3}$"),
    "gh200": ("homberger", "homberger_bks.csv", r"^(C|R|RC)\d_2_\d+$"),
    "gh400": ("homberger", "homberger_bks.csv", r"^(C|R|RC)\d_4_\d+$"),
}
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")

log = logging.getLogger("bench.vrptw")


def instance_class(name: str) -> str:
    """C101 -> C1, RC208 -> RC2, R1_2_10 -> R1."""
    match = re.match(r"^(RC|C|R)(\d)", name)
    return match.group(1) + match.group(2) if match else "?"


def best_known(which: str) -> dict[str, float]:
    """The best-known DIMACS distances of a set, by instance name."""
    _, table, pattern = SETS[which]
    with (DATA / table).open() as f:
        rows = {r["instance"]: float(r["distance"]) for r in csv.DictReader(f)}
    return {k: v for k, v in rows.items() if re.match(pattern, k)}


def _verdict(path: Path, routes: list[list[int]], bks: float) -> dict[str, Any]:
    vehicles, capacity, table = parse(path)
    verdict = check(table, vehicles, capacity, routes)
    return {
        "distance": verdict.distance,
        "feasible": verdict.feasible,
        "violations": verdict.violations[:3],
        "gap": 100 * (verdict.distance / bks - 1) if verdict.feasible else None,
    }


def run_instance(path: Path, bks: float, limit: float, seeds: int, peers: bool) -> dict[str, Any]:
    """Ours (one run per seed) and, when asked, the peers, each re-checked."""
    row: dict[str, Any] = {"instance": path.stem, "bks": bks, "ours": []}
    for seed in range(seeds):
        result = solve_vrptw(read_instance(path), limit, seed)
        row["ours"].append(_verdict(path, result.routes, bks) | {"seconds": result.seconds})
    if peers:
        from bench.peers import pyvrp_solve, vroom_solve

        vehicles, capacity, table = parse(path)
        found = pyvrp_solve(path.stem, vehicles, capacity, table, limit, 0)
        row["pyvrp"] = _verdict(path, found.routes, bks) | {"seconds": found.seconds}
        found = vroom_solve(vehicles, capacity, table)
        row["vroom"] = _verdict(path, found.routes, bks) | {"seconds": found.seconds}
    return row


def _mean_gap(rows: Sequence[dict[str, Any]], who: str) -> tuple[float | None, int]:
    """Mean gap over feasible results (all seeds for ours) and how many were infeasible."""
    gaps: list[float] = []
    bad = 0
    for row in rows:
        runs = row.get(who)
        if runs is None:
            continue
        for run in runs if isinstance(runs, list) else [runs]:
            if run["gap"] is None:
                bad += 1
            else:
                gaps.append(run["gap"])
    return (statistics.fmean(gaps) if gaps else None), bad


def _fmt(gap: float | None, bad: int = 0) -> str:
    text = "-" if gap is None else f"{gap:.2f}"
    return text + (f" ({bad} infeasible)" if bad else "")


def _seconds(rows: Sequence[dict[str, Any]], who: str) -> str:
    values = [r["seconds"] for row in rows for r in (row.get(who) or []) if isinstance(row.get(who), list)]
    values += [row[who]["seconds"] for row in rows if isinstance(row.get(who), dict)]
    return f"{statistics.fmean(values):.1f}" if values else "-"


def render_run(run: dict[str, Any]) -> str:
    """One run's tables: mean gap per class and overall, then every instance."""
    rows = run["rows"]
    peers = any("pyvrp" in r for r in rows)
    head = f"### {run['set']} at {run['limit']:g} s per instance ({run['seeds']} seed(s), {run['date']})\n\n"
    head += f"`{run['command']}` on {run['machine']}; gap % to the best-known DIMACS distance.\n\n"
    cols = ["class", "n", "ours gap %"] + (["PyVRP gap %", "VROOM gap %"] if peers else [])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    groups = [(c, [r for r in rows if instance_class(r["instance"]) == c]) for c in CLASSES]
    groups = [g for g in groups if g[1]] + [("all", rows)]
    for name, members in groups:
        cells = [
            f"**{name}**" if name == "all" else name,
            str(len(members)),
            _fmt(*_mean_gap(members, "ours")),
        ]
        if peers:
            cells += [_fmt(*_mean_gap(members, "pyvrp")), _fmt(*_mean_gap(members, "vroom"))]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        f"\nMean wall seconds per instance: ours {_seconds(rows, 'ours')}"
        + (f", PyVRP {_seconds(rows, 'pyvrp')}, VROOM {_seconds(rows, 'vroom')}" if peers else "")
        + ".\n"
    )
    detail = [
        "| instance | BKS | ours | gap % | s |" + (" PyVRP gap % | VROOM gap % | VROOM s |" if peers else "")
    ]
    detail.append("|" + "---|" * (8 if peers else 5))
    for row in rows:
        best = min(row["ours"], key=lambda r: r["distance"] if r["feasible"] else float("inf"))
        gap = _fmt(*_mean_gap([row], "ours"))
        cells = [
            row["instance"],
            f"{row['bks']:.1f}",
            f"{best['distance']:.1f}",
            gap,
            f"{best['seconds']:.1f}",
        ]
        if peers:
            cells += [_fmt(row["pyvrp"]["gap"]), _fmt(row["vroom"]["gap"]), f"{row['vroom']['seconds']:.1f}"]
        detail.append("| " + " | ".join(cells) + " |")
    body = head + "\n".join(lines) + "\n<details><summary>per instance</summary>\n\n" + "\n".join(detail)
    return body + "\n\n</details>\n"


def render(runs: dict[str, dict[str, Any]]) -> str:
    """The whole BENCHMARKS.md section."""
    intro = (
        "## VRPTW tables (Solomon, Gehring-Homberger)\n\n"
        "The dispatch engine (`solver.solve` with `api.cli_vrptw.vrptw_params`: two processes, each\n"
        "OR-Tools guided local search for 3 % of the budget, then ruin and recreate rounds,\n"
        "`solver/search.py`, the best kept)\n"
        "on the public VRPTW tables, DIMACS convention (Euclidean distance truncated to 0.1, times x10,\n"
        "distance only, fleet size as in the file). Every route set is re-checked by `bench/check.py`.\n"
        "PyVRP (one core) gets the same time limit; VROOM runs at exploration level 5 on 2 threads.\n"
        "All three tables are the current setting (ruins of 5 to 12 visits) on the current engine,\n"
        "whose dimension transits are Python callbacks (`solver.model.register_matrix`: OR-Tools\n"
        "9.15 copied a matrix transit whole at every route check; a round's descent now takes\n"
        "about half as long on 100 customers). The Solomon 30 s run was made without the peers,\n"
        "for time. Before that change, with the same setting: Solomon 1.25 % at 10 s and 0.82 % at\n"
        "30 s; Gehring-Homberger 1.54 % at 60 s (ruins of 10 to 25 visits then). All ran on a\n"
        "mostly idle machine, the search's two processes with a core each.\n"
        "Run-to-run noise is a point or more per instance.\n"
    )
    return intro + "\n" + "\n".join(render_run(runs[k]) for k in sorted(runs))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the chosen instances and rewrite the ``vrptw`` section of BENCHMARKS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.vrptw", description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--set", choices=sorted(SETS), default="solomon")
    parser.add_argument("--instances", default="", help="comma-separated names (default: the whole set)")
    parser.add_argument("--peers", action="store_true", help="also run PyVRP and VROOM")
    parser.add_argument("--seeds", type=int, default=1, help="runs of ours per instance (seeds 0..N-1)")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite BENCHMARKS.md from stored results"
    )
    parser.add_argument("--rounds", action="store_true", help="log the ruin-and-recreate rounds of every run")
    args = parser.parse_args(argv)
    if args.render:
        replace_section("vrptw", render(json.loads(RESULTS.read_text())))
        return
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    if args.rounds:
        logging.getLogger("solver.search").setLevel(logging.DEBUG)
    bks = best_known(args.set)
    names = [n.strip().upper() for n in args.instances.split(",") if n.strip()] or sorted(bks)
    folder = DATA / SETS[args.set][0]
    rows = []
    for name in names:
        started = time.monotonic()
        row = run_instance(folder / f"{name}.txt", bks[name], args.time_limit, args.seeds, args.peers)
        rows.append(row)
        log.info(
            "%s ours %s pyvrp %s vroom %s (%.0f s)",
            name,
            _fmt(*_mean_gap([row], "ours")),
            _fmt(*_mean_gap([row], "pyvrp")),
            _fmt(*_mean_gap([row], "vroom")),
            time.monotonic() - started,
        )
    command = "python -m bench.vrptw " + " ".join(argv if argv is not None else sys.argv[1:])
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    key = f"{args.set}@{args.time_limit:g}" + ("" if not args.instances else f"[{','.join(names)}]")
    if not args.peers and key in runs:  # keep the peers' results of an earlier run of the same tables
        earlier = {r["instance"]: r for r in runs[key]["rows"]}
        for row in rows:
            for peer in ("pyvrp", "vroom"):
                if peer in earlier.get(row["instance"], {}):
                    row[peer] = earlier[row["instance"]][peer]
        command += f" (peers from: {runs[key]['command']})" if "pyvrp" in str(runs[key]["rows"][:1]) else ""
    runs[key] = {
        "set": args.set,
        "limit": args.time_limit,
        "seeds": args.seeds,
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": command.strip(),
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(runs, indent=1))
    replace_section("vrptw", render(runs))
    ours, bad = _mean_gap(rows, "ours")
    log.info("mean gap ours %s", _fmt(ours, bad))


if __name__ == "__main__":
    main()
