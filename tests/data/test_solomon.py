"""The Solomon reader, the independent DIMACS checker, and a short solve through the engine."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bench.check import check, read_solution
from data.solomon import cut, parse, read_instance
from dispatch.errors import InputError
from dispatch.validate import validate
from solver.params import SolveParams
from solver.solve import solve

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"
SOLOMON = DATA / "solomon"

needs_data = pytest.mark.skipif(not SOLOMON.is_dir(), reason="../shared/benchmarks not present")

MINI = """MINI

VEHICLE
NUMBER     CAPACITY
  2         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        1000          0
    1      3          4         10         10          50         5
    2      6          8         20          0         200         5
"""


def _write(tmp_path: Path, text: str, newline: str = "\n") -> Path:
    path = tmp_path / "MINI.txt"
    path.write_bytes(text.replace("\n", newline).encode("ascii"))
    return path


@needs_data
def test_c101_counts_and_values() -> None:
    """C101: 25 vehicles of 200, 100 customers, the depot and customer 1 as in the file."""
    inst = read_instance(SOLOMON / "C101.txt")
    assert (inst.vehicles, inst.capacity, len(inst.customers)) == (25, 200, 100)
    assert (inst.depot.x, inst.depot.y, inst.depot.due) == (40, 50, 1236)
    first = inst.problem.request_by_id["C1"]
    assert (first.location.lat, first.location.lon, first.demand) == (45, 68, 10)
    assert first.duration == timedelta(seconds=900)
    assert first.promised is not None
    assert first.promised.window.end - first.promised.window.start == timedelta(seconds=550)
    assert len(inst.problem.engineers) == 25
    assert all(e.capacity == 200 and not e.skills for e in inst.problem.engineers)
    assert inst.problem.planar


def test_crlf_and_lf_read_the_same(tmp_path: Path) -> None:
    """A file with CRLF line ends (as the Gehring-Homberger files have) reads like LF."""
    lf = parse(_write(tmp_path, MINI))
    crlf = parse(_write(tmp_path, MINI, "\r\n"))
    assert lf == crlf
    assert lf[0:2] == (2, 50)


def test_malformed_row_names_file_line_and_field(tmp_path: Path) -> None:
    """A non-number in a customer row is an InputError naming the file, its line and the field."""
    path = _write(
        tmp_path, MINI.replace("    2      6          8         20", "    2      6          8         x")
    )
    with pytest.raises(InputError) as caught:
        parse(path)
    (problem,) = caught.value.problems
    assert problem.file == str(path) and problem.row == 12 and problem.field == "demand"


def test_missing_section_is_an_input_error(tmp_path: Path) -> None:
    """A file without a customer table is refused with a clear message."""
    with pytest.raises(InputError, match="CUSTOMER"):
        parse(_write(tmp_path, MINI.split("CUSTOMER")[0]))


@needs_data
@pytest.mark.parametrize("name", ["C101", "R112", "RC208"])
def test_checker_accepts_best_known_routes_at_their_cost(name: str) -> None:
    """The DIMACS checker accepts the published best routes and finds their stated cost."""
    vehicles, capacity, table = parse(SOLOMON / f"{name}.txt")
    routes, cost = read_solution(SOLOMON / "vrplib" / f"{name}.sol")
    verdict = check(table, vehicles, capacity, routes)
    assert verdict.feasible, verdict.violations
    assert verdict.distance == pytest.approx(cost)


@needs_data
def test_checker_rejects_broken_routes() -> None:
    """Swapping two stops of a tight route breaks a window; a dropped customer is reported."""
    vehicles, capacity, table = parse(SOLOMON / "C101.txt")
    routes, _ = read_solution(SOLOMON / "vrplib" / "C101.sol")
    broken = [list(r) for r in routes]
    broken[0][0], broken[0][-1] = broken[0][-1], broken[0][0]
    assert any("starts at" in v for v in check(table, vehicles, capacity, broken).violations)
    short = [r[1:] if i == 0 else r for i, r in enumerate(routes)]
    assert f"customer {routes[0][0]} not visited" in check(table, vehicles, capacity, short).violations


@needs_data
def test_short_solve_of_a_cut_is_feasible_both_ways() -> None:
    """25 customers of C101 under a solution limit: feasible for the checker and the validator."""
    inst = cut(read_instance(SOLOMON / "C101.txt"), 25)
    params = SolveParams(
        time_limit_s=20,
        solution_limit=20,
        balance_s_per_hour=0,
        preferred_engineer_s=0,
        emergency_delay_s_per_hour=0,
        protection=0.0,
    )
    plan = solve(inst.problem, params).plan
    assert validate(inst.problem, plan) == []
    assert not plan.unassigned
    vehicles, capacity, table = parse(SOLOMON / "C101.txt")
    verdict = check(table[:26], vehicles, capacity, inst.routes_of(plan))
    assert verdict.feasible, verdict.violations
