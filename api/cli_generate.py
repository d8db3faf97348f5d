"""``dispatch generate``: a seeded national scenario (several cities, each with its branches)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from data.generate import write_scenario
from data.generate_national import NATIONAL_CITIES, generate_national


def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the contract CSVs into.")],
    cities: Annotated[int, typer.Option(min=1, max=len(NATIONAL_CITIES), help="Number of cities.")] = 20,
    engineers: Annotated[int, typer.Option(min=1, help="Engineers in all.")] = 2000,
    requests: Annotated[int, typer.Option(min=0, help="Requests in all.")] = 20000,
    branches: Annotated[int, typer.Option(min=1, max=12, help="Branches per city.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed: the same seed, the same scenario.")] = 1,
    date_: Annotated[
        str | None, typer.Option("--date", help="First day, YYYY-MM-DD (default: tomorrow).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=14, help="Days of shifts and work.")] = 1,
) -> None:
    """Write a national scenario in the contract's CSV format into OUT_DIR."""
    try:
        first = date.fromisoformat(date_) if date_ else date.today() + timedelta(days=1)
    except ValueError as exc:
        typer.echo(f"error: --date {date_!r} is not a date YYYY-MM-DD", err=True)
        raise typer.Exit(2) from exc
    try:
        tables = generate_national(
            seed, first, cities=cities, engineers=engineers, requests=requests,
            branches_per_city=branches, days=days,
        )  # fmt: skip
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    write_scenario(tables, out_dir)
    typer.echo(
        f"wrote {out_dir}: {len(tables['branches'])} branches in {cities} cities, "
        f"{len(tables['engineers'])} engineers, {len(tables['requests'])} requests from {first}"
    )
