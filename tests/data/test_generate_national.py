"""The national generator: several cities of branches, in the contract's format, ids unique."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.cli import app
from data.contract import load_scenario
from data.generate_national import NATIONAL_CITIES, generate_national

DAY = date(2026, 12, 1)
runner = CliRunner()


@settings(max_examples=8, deadline=None)
@given(
    cities=st.integers(1, 5), per_city=st.integers(3, 8), requests=st.integers(0, 60), seed=st.integers(0, 99)
)
def test_ids_are_unique_and_every_reference_resolves(
    cities: int, per_city: int, requests: int, seed: int
) -> None:
    """Branch, engineer and request ids are unique; engineers, shifts and preferences point at known rows."""
    t = generate_national(seed, DAY, cities=cities, engineers=cities * per_city, requests=requests)
    assert len(t["branches"]) == cities * 3
    for name, key in (("branches", "branch_id"), ("engineers", "engineer_id"), ("requests", "request_id")):
        assert t[name][key].is_unique
    assert set(t["engineers"]["branch_id"]) <= set(t["branches"]["branch_id"])
    assert set(t["shifts"]["engineer_id"]) <= set(t["engineers"]["engineer_id"])
    preferred = set(t["requests"]["preferred_engineer_id"]) - {""}
    assert preferred <= set(t["engineers"]["engineer_id"])
    assert len(t["engineers"]) == cities * per_city and len(t["requests"]) == requests
    codes = {b.split("-")[0] for b in t["branches"]["branch_id"]}
    assert len(codes) == cities


def test_same_seed_same_scenario() -> None:
    """The same arguments give the same tables; another seed gives others."""
    a = generate_national(4, DAY, cities=2, engineers=12, requests=40)
    b = generate_national(4, DAY, cities=2, engineers=12, requests=40)
    c = generate_national(5, DAY, cities=2, engineers=12, requests=40)
    for name in a:
        assert a[name].equals(b[name])
    assert not a["requests"].equals(c["requests"])


def test_cities_are_far_apart() -> None:
    """Each city's branches sit around its own centre: twenty distinct cities."""
    t = generate_national(1, DAY, cities=20, engineers=60, requests=0)
    centres = (
        t["branches"].assign(city=t["branches"]["branch_id"].str[:3]).astype({"lat": float, "lon": float})
    )
    means = centres.groupby("city")[["lat", "lon"]].mean()
    assert len(means) == len(NATIONAL_CITIES) == 20
    assert means.round(0).drop_duplicates().shape[0] >= 15


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"cities": 0}, "cities"), ({"cities": 21}, "cities"), ({"engineers": 2}, "engineers")],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, int], field: str) -> None:
    """Impossible sizes are a ValueError naming the argument."""
    args = {"cities": 2, "engineers": 12, "requests": 10} | kwargs
    with pytest.raises(ValueError, match=field):
        generate_national(1, DAY, **args)


def test_generate_then_plan_by_branch_on_the_command_line(tmp_path: Path) -> None:
    """``dispatch generate`` writes a readable scenario; ``plan --backend process`` plans it validly."""
    folder = tmp_path / "national"
    made = runner.invoke(
        app, ["generate", str(folder), "--cities", "2", "--engineers", "18", "--requests", "60",
              "--seed", "3", "--date", "2026-12-01"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    out = tmp_path / "plan.json"
    planned = runner.invoke(
        app, ["plan", str(folder), "--date", "2026-12-01", "--backend", "process", "--workers", "1",
              "--time-limit", "6", "--out", str(out)],
    )  # fmt: skip
    assert planned.exit_code == 0, planned.output
    assert "decomposed: 6 parts" in planned.output
    checked = runner.invoke(app, ["validate", str(folder), str(out)])
    assert checked.exit_code == 0, checked.output
    problem = load_scenario(folder, [DAY])
    assert len(problem.requests) == 60


def test_generate_refuses_bad_sizes_with_exit_2(tmp_path: Path) -> None:
    """Too few engineers for the branches: one error line, exit code 2, nothing written."""
    made = runner.invoke(app, ["generate", str(tmp_path / "x"), "--cities", "3", "--engineers", "4"])
    assert made.exit_code == 2
    assert "engineers" in made.output
    assert not (tmp_path / "x").exists()
