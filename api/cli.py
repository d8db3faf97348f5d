"""The ``dispatch`` command line: plan, validate, demo.

Exit codes: 0 done, 1 a plan with violations, 2 unusable input (one line per defect,
naming file, row and field; nothing written).
"""

from __future__ import annotations

import logging
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from api.cli_generate import generate
from api.cli_replan import replan_cmd
from api.cli_serve import apikey_create, serve
from api.cli_vrptw import vrptw
from api.planning import BackendChoice, BackendName, run_plan
from api.summary import print_punctuality, print_summary, print_violations
from data.contract import load_scenario
from data.generate import generate_city, write_scenario
from data.plan_io import read_plan, write_plan
from data.schedule import write_schedules
from data.travel import GeodesicTravel
from dispatch.errors import InputError
from dispatch.model import DEFAULT_ZONE, Problem
from dispatch.punctuality import DEFAULT_PROTECTION, Variation, replay_plan
from dispatch.validate import validate
from solver.backends import PartProgress
from solver.params import SolveParams
from solver.solve import SolveResult, solve

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Dispatch and scheduling for appliance repair."
)
out = Console(width=None if Console().is_terminal else 120)
err = Console(stderr=True)

Speed = Annotated[float, typer.Option(help="Driving speed on roads, km/h.")]
Circuity = Annotated[float, typer.Option(help="Road km per straight-line km.")]
Zone = Annotated[str, typer.Option(help="Time zone of the service area.")]
Protection = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=2.0,
        help="Share of the worst-case drive and repair overrun every promise is protected against "
        "(0 plans on expected times only).",
    ),
]


def _dates(first: date, days: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(days)]


def _fail(exc: ValueError) -> NoReturn:
    """One line per defect on stderr, exit code 2."""
    defects = exc.problems if isinstance(exc, InputError) else [exc]
    for defect in defects:
        err.print(f"error: {defect}", markup=False, highlight=False)
    raise typer.Exit(2) from exc


def _load(path: Path, dates: list[date], speed: float, circuity: float, zone: str) -> Problem:
    try:
        travel = GeodesicTravel(speed_kmh=speed, circuity=circuity)
    except ValueError as exc:
        _fail(exc)
    try:
        return load_scenario(path, dates, travel=travel, zone=zone)
    except ValueError as exc:
        _fail(exc)


def _solve_with_bar(problem: Problem, params: SolveParams) -> SolveResult:
    columns = (TextColumn("planning"), BarColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("", total=1.0)
        result = solve(problem, params, lambda f, msg: bar.update(task, completed=f, description=msg))
    return result


def _solve_by_branch(
    problem: Problem, params: SolveParams, backend: BackendName, workers: int, ray_address: str | None
) -> SolveResult:
    """Plan on ``backend`` with one progress row per branch and day while it runs."""
    columns = (
        TextColumn("{task.fields[key]}"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        rows: dict[str, TaskID] = {}

        def on_part(part: PartProgress) -> None:
            if part.key not in rows:
                rows[part.key] = bar.add_task("", total=1.0, key=part.key)
            bar.update(
                rows[part.key], completed=part.fraction, description=f"{part.state} {part.message}"[:60]
            )

        def on_whole(fraction: float, message: str) -> None:
            on_part(PartProgress("one model", "running", fraction, message))

        return run_plan(problem, params, backend, workers, ray_address, on_whole, on_part)


def _write_outputs(problem: Problem, result: SolveResult, out_path: Path) -> list[Path]:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    write_plan(result.plan, out_path, problem.zone)
    stem = out_path.with_suffix("")
    return [out_path, *write_schedules(problem, result.plan, stem)]


@app.command()
def plan(
    scenario: Annotated[Path, typer.Argument(help="Folder of contract CSVs, or one .xlsx workbook.")],
    date_: Annotated[str, typer.Option("--date", help="First day to plan, YYYY-MM-DD.")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the plan JSON.")] = Path(
        "plan.json"
    ),
    days: Annotated[int, typer.Option(min=1, max=14, help="Number of days to plan.")] = 1,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Search budget, seconds.")
    ] = 60.0,
    solution_limit: Annotated[
        int | None, typer.Option(help="Stop after N solutions (repeatable runs).")
    ] = None,
    speed: Speed = 30.0,
    circuity: Circuity = 1.3,
    zone: Zone = DEFAULT_ZONE,
    protection: Protection = DEFAULT_PROTECTION,
    backend: Annotated[
        BackendChoice,
        typer.Option(
            help="single: one model; process / ray: one sub-problem per branch and day on a local "
            "process pool / Ray; auto: one model up to 1,000 requests, else process.",
        ),
    ] = BackendChoice.AUTO,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Parallel sub-problems (process, ray).")] = 2,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", envvar="DISPATCH_RAY_ADDRESS", help="Ray cluster (default: a local one)."
        ),
    ] = None,
) -> None:
    """Plan the requests of SCENARIO; write the plan JSON and per-branch schedules.

    --time-limit is the wall-clock budget of the whole run, shared out among the branches.
    """
    try:
        first = date.fromisoformat(date_)
    except ValueError as exc:
        err.print(f"error: --date {date_!r} is not a date YYYY-MM-DD")
        raise typer.Exit(2) from exc
    problem = _load(scenario, _dates(first, days), speed, circuity, zone)
    params = SolveParams(time_limit_s=time_limit, solution_limit=solution_limit, protection=protection)
    result = _solve_by_branch(problem, params, backend.value, workers, ray_address)
    written = _write_outputs(problem, result, out_path)
    print_summary(out, result.plan, result.status, result.seconds)
    out.print("wrote " + ", ".join(str(p) for p in written))


@app.command("validate")
def validate_cmd(
    scenario: Annotated[Path, typer.Argument(help="Folder of contract CSVs, or one .xlsx workbook.")],
    plan_path: Annotated[Path, typer.Argument(help="The plan JSON to check.")],
    speed: Speed = 30.0,
    circuity: Circuity = 1.3,
    zone: Zone = DEFAULT_ZONE,
) -> None:
    """Check any plan against every rule of the contract; exit 1 on violations."""
    try:
        plan_ = read_plan(plan_path, ZoneInfo(zone))
    except ZoneInfoNotFoundError as exc:
        err.print(f"error: unknown time zone {zone!r}")
        raise typer.Exit(2) from exc
    except ValueError as exc:
        _fail(exc)
    problem = _load(scenario, list(plan_.dates), speed, circuity, zone)
    violations = validate(problem, plan_)
    print_violations(out, violations)
    raise typer.Exit(1 if violations else 0)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated network.")] = 7,
    engineers: Annotated[int, typer.Option(min=1)] = 60,
    requests: Annotated[int, typer.Option(min=1)] = 400,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1)] = 30.0,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Keep the scenario and plan here.")
    ] = None,
    protection: Protection = DEFAULT_PROTECTION,
) -> None:
    """Generate a seeded demo city, plan tomorrow and print the summary."""
    tomorrow = date.today() + timedelta(days=1)
    folder = out_dir or Path(tempfile.mkdtemp(prefix="dispatch-demo-"))
    scenario = folder / "scenario"
    write_scenario(generate_city(seed, tomorrow, engineers=engineers, requests=requests), scenario)
    problem = _load(scenario, [tomorrow], 30.0, 1.3, DEFAULT_ZONE)
    out.print(
        f"demo city: {len(problem.branches)} branches, {len(problem.engineers)} engineers, "
        f"{len(problem.requests)} requests for {tomorrow} (scenario in {scenario})"
    )
    result = _solve_with_bar(problem, SolveParams(time_limit_s=time_limit, protection=protection))
    written = _write_outputs(problem, result, folder / "plan.json")
    print_summary(out, result.plan, result.status, result.seconds)
    out.print("wrote " + ", ".join(str(p) for p in written))


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="Folder of contract CSVs, or one .xlsx workbook.")],
    plan_path: Annotated[Path, typer.Argument(help="The plan JSON to replay.")],
    runs: Annotated[int, typer.Option(min=1, max=100_000, help="Replays of each route.")] = 500,
    travel_noise: Annotated[
        float, typer.Option(min=0.0, max=0.95, help="Each leg's travel times U[1-t, 1+t].")
    ] = 0.25,
    service_noise: Annotated[
        float, typer.Option(min=0.0, max=0.95, help="Each visit's service times U[1-s, 1+s].")
    ] = 0.20,
    seed: Annotated[int, typer.Option(help="Seed of the random draws.")] = 0,
    zone: Zone = DEFAULT_ZONE,
) -> None:
    """Replay a plan under travel and service variation: who starts inside the slot, who gets home late."""
    try:
        plan_ = read_plan(plan_path, ZoneInfo(zone))
    except ValueError as exc:
        _fail(exc)
    problem = _load(scenario, list(plan_.dates), 30.0, 1.3, zone)
    if violations := validate(problem, plan_):
        print_violations(out, violations)
        raise typer.Exit(1)
    figures = replay_plan(problem, plan_, Variation(travel_noise, service_noise), runs, seed)
    print_punctuality(out, figures, runs)


app.command()(serve)
app.command()(vrptw)
app.command()(generate)
app.command("replan")(replan_cmd)
apikey = typer.Typer(help="Keys of the HTTP service.", no_args_is_help=True)
apikey.command("create")(apikey_create)
app.add_typer(apikey, name="apikey")


def main() -> None:
    """Entry point of the ``dispatch`` command."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
