"""``dispatch vrptw``: one JSON object whose routes and distance the DIMACS checker confirms."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from api.cli_vrptw import vrptw
from bench.check import check
from data.solomon import parse

MINI = """MINI

VEHICLE
NUMBER     CAPACITY
  3         30

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        1000          0
    1      3          4         10         10          50         5
    2      6          8         10          0         200         5
    3     -5          1         10          0         300         5
    4     -6          3         10          0         300         5
    5      2         -7         10          0         400         5
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(vrptw)
    return app


def test_prints_one_checked_json_object(tmp_path: Path) -> None:
    """Routes of customer numbers, DIMACS distance, vehicle count and seconds, all consistent."""
    path = tmp_path / "MINI.txt"
    path.write_text(MINI)
    result = CliRunner().invoke(_app(), [str(path), "--time-limit", "1", "--seed", "2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"instance", "routes", "distance", "vehicles", "seconds"}
    assert out["instance"] == "MINI"
    assert sorted(n for r in out["routes"] for n in r) == [1, 2, 3, 4, 5]
    vehicles, capacity, table = parse(path)
    verdict = check(table, vehicles, capacity, out["routes"])
    assert verdict.feasible, verdict.violations
    assert out["distance"] == verdict.distance
    assert out["vehicles"] == len(out["routes"])


def test_malformed_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """A broken file is named with its line and field on stderr; nothing on stdout."""
    path = tmp_path / "BAD.txt"
    path.write_text(MINI.replace("  3         30", "  3         lots"))
    result = CliRunner().invoke(_app(), [str(path)])
    assert result.exit_code == 2
    assert "BAD.txt row 5 field capacity" in result.stderr
    assert result.stdout == ""
