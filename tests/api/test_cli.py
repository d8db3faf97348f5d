"""The command line: plan, validate and demo as a planner uses them, bad input included."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from data.contract import load_scenario
from data.generate import generate_city, write_scenario, write_workbook
from data.plan_io import read_plan
from dispatch.validate import validate

DAY = date(2026, 12, 1)
runner = CliRunner()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated city: 8 engineers, 40 requests."""
    folder = tmp_path_factory.mktemp("scenario")
    write_scenario(generate_city(3, DAY, engineers=8, requests=40, branches=2), folder)
    return folder


@pytest.fixture(scope="module")
def planned(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The scenario planned once through the CLI: the plan's path and the printed output."""
    out = tmp_path_factory.mktemp("out") / "plan.json"
    result = runner.invoke(
        app, ["plan", str(scenario), "--date", "2026-12-01", "--time-limit", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_plan_writes_a_valid_plan_and_schedules(scenario: Path, planned: tuple[Path, str]) -> None:
    """`plan` writes the contract's JSON and the schedules; the plan passes the validator."""
    out, _ = planned
    assert out.with_suffix(".schedule.csv").exists() and out.with_suffix(".schedule.xlsx").exists()
    problem = load_scenario(scenario, [DAY])
    plan = read_plan(out, problem.zone)
    assert validate(problem, plan) == []
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) >= {"dates", "routes", "unassigned", "kpis"}
    assert len(doc["unassigned"]) + sum(len(r["stops"]) for r in doc["routes"]) == 40


def test_plan_prints_the_summary(planned: tuple[Path, str]) -> None:
    """The summary names assignment, promises, emergencies, km and the branches."""
    _, output = planned
    for words in ("assigned", "promises kept", "emergencies", "km", "B01"):
        assert words in output


def test_validate_accepts_the_plan(scenario: Path, planned: tuple[Path, str]) -> None:
    """`validate` exits 0 on the planner's own plan."""
    result = runner.invoke(app, ["validate", str(scenario), str(planned[0])])
    assert result.exit_code == 0, result.output
    assert "no violations" in result.output


def test_validate_lists_a_hand_made_violation(
    scenario: Path, planned: tuple[Path, str], tmp_path: Path
) -> None:
    """A stop moved out of its slot by hand is listed and the exit code is 1."""
    doc = json.loads(planned[0].read_text(encoding="utf-8"))
    stop = next(s for r in doc["routes"] for s in r["stops"])
    stop["start"] = stop["slot_end"].replace("T", "T").replace(stop["slot_end"][11:16], "23:00")
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(scenario), str(edited)])
    assert result.exit_code == 1
    assert stop["request_id"] in result.output and "[late]" in result.output


def test_plan_reads_a_workbook(tmp_path: Path) -> None:
    """The scenario may come as one .xlsx with a sheet per contract file."""
    book = tmp_path / "scenario.xlsx"
    write_workbook(generate_city(5, DAY, engineers=4, requests=15, branches=1), book)
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["plan", str(book), "--date", "2026-12-01", "--time-limit", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()


def _broken(scenario: Path, tmp_path: Path, file: str, row: int, **cells: str) -> Path:
    """A copy of the scenario with cells of one row (spreadsheet numbering) changed."""
    folder = tmp_path / "broken"
    folder.mkdir()
    for csv in scenario.glob("*.csv"):
        table = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if csv.name == file:
            for column, value in cells.items():
                if column.startswith("-"):
                    table = table.drop(columns=[column[1:]])
                else:
                    table.loc[row - 2, column] = value
        table.to_csv(folder / csv.name, index=False)
    return folder


BAD_INPUT = [
    ("requests.csv", 2, "lat", {"-lat": ""}, None),
    ("shifts.csv", 3, "start", {"start": "8h"}, 3),
    (
        "requests.csv",
        4,
        "promised_end",
        {"promised_date": "2026-12-01", "promised_start": "10:00", "promised_end": "09:00"},
        4,
    ),
    ("engineers.csv", 3, "engineer_id", {"engineer_id": "E001"}, 3),
    ("shifts.csv", 2, "engineer_id", {"engineer_id": "E999"}, 2),
    ("requests.csv", 5, "lat", {"lat": ""}, 5),
    ("requests.csv", 6, "preferred_engineer_id", {"preferred_engineer_id": "E999"}, 6),
]


@pytest.mark.parametrize(("file", "row", "field", "cells", "named_row"), BAD_INPUT)
def test_bad_input_is_named_and_nothing_is_written(
    scenario: Path,
    tmp_path: Path,
    file: str,
    row: int,
    field: str,
    cells: dict[str, str],
    named_row: int | None,
) -> None:
    """Exit 2 and a line naming the file, row and field; no plan file appears."""
    folder = _broken(scenario, tmp_path, file, row, **cells)
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["plan", str(folder), "--date", "2026-12-01", "--time-limit", "1", "--out", str(out)]
    )
    assert result.exit_code == 2
    where = f"{file} row {named_row} field {field}" if named_row else f"{file} field {field}"
    assert where in result.output
    assert not out.exists() and not list(tmp_path.glob("plan*"))


def test_demo_plans_a_generated_city(tmp_path: Path) -> None:
    """`demo` generates a seeded city, plans it and prints the summary."""
    result = runner.invoke(
        app, ["demo", "--engineers", "6", "--requests", "30", "--time-limit", "2", "--out-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "assigned" in result.output
    assert (tmp_path / "plan.json").exists()


def test_simulate_replays_the_plan(scenario: Path, planned: tuple[Path, str]) -> None:
    """`simulate` prints the on-time share and overtime, overall and per branch, the same for the same seed."""
    args = ["simulate", str(scenario), str(planned[0]), "--runs", "50", "--seed", "4"]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    for words in ("on time", "overall", "B01", "routes past shift end"):
        assert words in first.output


def test_simulate_refuses_an_invalid_plan(scenario: Path, planned: tuple[Path, str], tmp_path: Path) -> None:
    """A plan that breaks the rules is not replayed: its violations are listed, exit 1."""
    doc = json.loads(planned[0].read_text(encoding="utf-8"))
    route = next(r for r in doc["routes"] if r["stops"])
    route["stops"] = route["stops"][:-1]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(scenario), str(broken)])
    assert result.exit_code == 1
    assert "missing_request" in result.output
