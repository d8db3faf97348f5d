"""``dispatch replan``: the rest of the day after the day's events, and the customers to call.

Writes the new plan (the contract's document, plus a ``replan`` field with the moment, the
events, the frozen visits and the re-promises) and, with ``--diff``, the diff. Exit codes:
0 done, 1 the new plan has violations (of frozen history reported implausibly, say),
2 unusable input (one line per defect; nothing written).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from data._atomic import write_atomic
from data.contract import load_scenario
from data.events import context_of, diff_to_dict, read_events, replan_document
from data.plan_io import read_plan
from data.travel import GeodesicTravel
from dispatch.errors import InputError
from dispatch.model import DEFAULT_ZONE
from dispatch.punctuality import DEFAULT_PROTECTION
from solver.replan import ReplanParams, replan


def _fail(exc: ValueError) -> NoReturn:
    defects = exc.problems if isinstance(exc, InputError) else [exc]
    for defect in defects:
        typer.echo(f"error: {defect}", err=True)
    raise typer.Exit(2) from exc


def _moment(text: str, zone: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        typer.echo(f"error: --now {text!r} is not an ISO 8601 date-time", err=True)
        raise typer.Exit(2) from exc
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)
    write_atomic(path, (text + "\n").encode("utf-8"))


def replan_cmd(
    scenario: Annotated[Path, typer.Argument(help="Folder of contract CSVs, or one .xlsx workbook.")],
    plan_path: Annotated[Path, typer.Option("--plan", help="The plan in force (JSON).")],
    events_path: Annotated[Path, typer.Option("--events", help="The day's events, one JSON object a line.")],
    now: Annotated[str, typer.Option("--now", help="The moment to re-plan from, ISO 8601.")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the new plan.")] = Path("new.json"),
    diff_path: Annotated[Path | None, typer.Option("--diff", help="Where to write the diff.")] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Search budget, seconds.")
    ] = 10.0,
    budget: Annotated[
        int, typer.Option("--disruption-budget", min=0, help="Promises an emergency may move or break.")
    ] = 2,
    protection: Annotated[float, typer.Option(min=0.0, max=2.0)] = DEFAULT_PROTECTION,
    zone: Annotated[str, typer.Option(help="Time zone of the service area.")] = DEFAULT_ZONE,
) -> None:
    """Re-plan the rest of the day from --now after the events; write the new plan and the diff."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        typer.echo(f"error: unknown time zone {zone!r}", err=True)
        raise typer.Exit(2) from exc
    moment = _moment(now, tz)
    try:
        plan = read_plan(plan_path, tz)
        problem = load_scenario(scenario, list(plan.dates), travel=GeodesicTravel(), zone=zone)
        events = read_events(events_path, context_of(problem))
        params = ReplanParams(time_limit_s=time_limit, disruption_budget=budget, protection=protection)
        result = replan(problem, plan, events, moment, params)
    except ValueError as exc:
        _fail(exc)
    _write(
        out_path, replan_document(result.plan, result.remaining, result.repromised, events, result.seconds)
    )
    if diff_path is not None:
        _write(diff_path, diff_to_dict(result.diff, tz))
    d = result.diff
    typer.echo(
        f"re-planned from {moment:%H:%M} in {result.seconds:.1f} s: {len(d.moved)} moved, "
        f"{len(d.reassigned)} reassigned, {len(d.broken_promises)} broken promises, {len(d.dropped)} dropped, "
        f"{len(d.notify)} to notify; wrote {out_path}" + (f", {diff_path}" if diff_path else "")
    )
    for v in result.violations:
        typer.echo(f"violation: {v}", err=True)
    raise typer.Exit(1 if result.violations else 0)
