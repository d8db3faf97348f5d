"""The VRPTW bench: classes, the BENCHMARKS.md tables, and the peers' view of an instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.check import check
from bench.peers import _vrplib_text
from bench.vrptw import instance_class, render_run
from data.solomon import Customer


def test_instance_classes() -> None:
    """Solomon and Gehring-Homberger names map to the six classes."""
    assert [instance_class(n) for n in ("C101", "RC208", "R211", "R1_2_10", "RC2_4_1")] == [
        "C1",
        "RC2",
        "R2",
        "R1",
        "RC2",
    ]


def _row(name: str, gap: float | None) -> dict[str, object]:
    ours = {"distance": 100.0, "feasible": gap is not None, "violations": [], "gap": gap, "seconds": 1.0}
    return {"instance": name, "bks": 100.0, "ours": [ours]}


def test_render_means_per_class_and_counts_infeasible() -> None:
    """Class means average the feasible runs; an infeasible run is counted, not averaged."""
    run = {
        "set": "solomon",
        "limit": 10.0,
        "seeds": 1,
        "date": "2026-12-01",
        "machine": "x86_64, 2 cores",
        "command": "python -m bench.vrptw",
        "rows": [_row("C101", 0.0), _row("C102", 2.0), _row("R101", None)],
    }
    text = render_run(run)
    assert "| C1 | 2 | 1.00 |" in text
    assert "| R1 | 1 | - (1 infeasible) |" in text
    assert "| **all** | 3 | 1.00 (1 infeasible) |" in text


def test_peers_read_the_same_instance(tmp_path: Path) -> None:
    """PyVRP reads our VRPLIB text of an instance with the DIMACS integers (if installed)."""
    pyvrp = pytest.importorskip("pyvrp")
    table = [
        Customer(0, 0, 0, 0, 0, 1000, 0),
        Customer(1, 3, 4, 10, 0, 200, 5),
        Customer(2, 6, 8, 5, 0, 300, 5),
    ]
    path = tmp_path / "MINI.vrp"
    path.write_text(_vrplib_text("MINI", 2, 50, table))
    data = pyvrp.read(path, round_func="dimacs")
    assert data.num_clients == 2
    assert data.distance_matrix(0)[0][2] == 100
    assert check(table, 2, 50, [[1, 2]]).tenths == 50 + 50 + 100
