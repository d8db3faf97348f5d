"""The CLI's end-of-run summary, printed with rich."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from dispatch.plan import Plan
from dispatch.punctuality import Punctuality
from dispatch.validate import Violation


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole}" + (f" ({100 * part / whole:.1f}%)" if whole else "")


def print_summary(console: Console, plan: Plan, status: str, seconds: float) -> None:
    """Requests assigned, unassigned by reason, promises, emergencies, km, time, workload."""
    k: dict[str, Any] = dict(plan.kpis)
    console.print(f"[bold]Plan for {', '.join(str(d) for d in plan.dates)}[/]: {status} in {seconds:.1f} s")
    console.print(
        f"assigned {_share(k['assigned'], k['requests'])}  ·  promises kept "
        f"{_share(k['promises_kept'], k['promised'])}  ·  emergencies served "
        f"{_share(k['emergencies_served'], k['emergencies'])}"
    )
    console.print(
        f"{k['km']:.1f} km  ·  {k['travel_minutes_per_visit']:.1f} travel min per visit  ·  utilisation "
        f"{100 * k['utilisation']:.0f}%  ·  on time {100 * k['on_time_share']:.1f}%"
    )
    if k["unassigned"]:
        console.print("unassigned: " + ", ".join(f"{r} {n}" for r, n in k["unassigned"].items()))
    table = Table(title="Per branch", show_lines=False)
    for col in (
        "branch",
        "assigned",
        "promises",
        "emerg.",
        "engineers",
        "km",
        "min/visit",
        "util.",
        "work min",
        "spread",
    ):
        table.add_column(col, justify="right" if col != "branch" else "left")
    for branch, b in k.get("branches", {}).items():
        table.add_row(
            branch,
            f"{b['assigned']}/{b['requests']}",
            f"{b['promises_kept']}/{b['promised']}",
            f"{b['emergencies_served']}/{b['emergencies']}",
            f"{b['engineers_used']}/{b['engineers_on_shift']}",
            f"{b['km']:.0f}",
            f"{b['travel_minutes_per_visit']:.1f}",
            f"{100 * b['utilisation']:.0f}%",
            f"{b['workload_minutes_mean']:.0f}",
            f"±{b['workload_minutes_stdev']:.0f}",
        )
    console.print(table)


def print_violations(console: Console, violations: list[Violation]) -> None:
    """One line per violation, then the count."""
    for v in violations:
        console.print(str(v), markup=False, highlight=False)
    console.print(f"{len(violations)} violation(s)" if violations else "valid: no violations")


def print_punctuality(console: Console, figures: Mapping[str, Punctuality], runs: int) -> None:
    """On-time share, lateness of late visits and overtime, overall and per branch."""
    table = Table(title=f"Replayed {runs} times per route")
    for col in ("", "visits", "on time", "late: mean min", "late: p95 min", "routes past shift end"):
        table.add_column(col, justify="right" if col else "left")
    for name, f in figures.items():
        table.add_row(
            "overall" if name == "all" else name,
            str(f.visits),
            f"{100 * f.on_time_share:.2f}%",
            f"{f.late_mean_minutes:.1f}",
            f"{f.late_p95_minutes:.1f}",
            f"{100 * f.overtime_share:.1f}%",
        )
    console.print(table)
