"""The scenario generator: deterministic, in the contract's shape, realistic and plannable."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data.generate import CITIES, generate_city, write_scenario, write_workbook
from dispatch.geo import straight_km
from dispatch.model import Location
from dispatch.rules import product_spec

DAY = date(2026, 12, 1)

#: The contract's columns (../shared/contract/README.md), written out independently.
CONTRACT = {
    "branches": {"branch_id", "name", "lat", "lon"},
    "engineers": {"engineer_id", "name", "branch_id", "skills", "start_lat", "start_lon", "max_jobs", "phone"},
    "shifts": {"engineer_id", "date", "start", "end", "break_earliest", "break_latest", "break_minutes"},
    "requests": {
        "request_id", "received_at", "customer", "phone", "address", "lat", "lon", "product", "fault",
        "priority", "duration_min", "required_skills", "promised_date", "promised_start", "promised_end",
        "earliest_date", "latest_date", "preferred_engineer_id",
    },
    "products": {"product", "skills", "duration_min"},
    "slots": {"start", "end"},
}  # fmt: skip


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    """The 60-engineer, 400-request demo day in Shanghai."""
    return generate_city(7, DAY)


@pytest.fixture(scope="module")
def three_days() -> dict[str, pd.DataFrame]:
    """A three-day horizon with fewer people."""
    return generate_city(11, DAY, engineers=30, requests=300, branches=3, days=3)


def minutes(hhmm: str) -> int:
    """``HH:MM`` as minutes after midnight."""
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def needs(row: pd.Series) -> tuple[frozenset[str], int]:
    """A request's effective required skills and duration, product defaults filled in."""
    spec = product_spec(str(row["product"]), {})
    skills = frozenset(row["required_skills"].split(";")) if row["required_skills"] else spec.skills
    if row["duration_min"]:
        return skills, int(row["duration_min"])
    assert spec.duration is not None, f"{row['request_id']} has no duration"
    return skills, int(spec.duration.total_seconds() // 60)


def skills_of(tables: dict[str, pd.DataFrame]) -> dict[str, frozenset[str]]:
    """Each engineer's skills."""
    e = tables["engineers"]
    return {i: frozenset(s.split(";")) for i, s in zip(e["engineer_id"], e["skills"], strict=True)}


def km_from(city: str, lat: float, lon: float) -> float:
    """Straight-line km from the city's centre (flat-earth, fine at city scale)."""
    c = CITIES[city]
    return math.hypot((lat - c.lat) * 111.32, (lon - c.lon) * 111.32 * math.cos(math.radians(c.lat)))


def test_same_seed_gives_identical_tables(demo: dict[str, pd.DataFrame]) -> None:
    """Generating twice with the same arguments gives equal tables, value for value."""
    again = generate_city(7, DAY)
    assert again.keys() == demo.keys()
    for name in demo:
        pd.testing.assert_frame_equal(again[name], demo[name])


def test_different_seed_gives_different_tables(demo: dict[str, pd.DataFrame]) -> None:
    """Another seed moves customers and changes who works."""
    other = generate_city(8, DAY)
    assert not other["requests"].equals(demo["requests"])
    assert not other["engineers"].equals(demo["engineers"])


def test_columns_are_exactly_the_contracts(demo: dict[str, pd.DataFrame]) -> None:
    """Every table carries exactly the contract's columns of its file, and nothing else."""
    assert {"branches", "engineers", "shifts", "requests"} <= demo.keys() <= CONTRACT.keys()
    for name, frame in demo.items():
        assert set(frame.columns) == CONTRACT[name], name


def test_counts_match_arguments(three_days: dict[str, pd.DataFrame]) -> None:
    """As many branches, engineers and requests as asked; at most one shift per engineer-day."""
    assert len(three_days["branches"]) == 3
    assert len(three_days["engineers"]) == 30
    assert len(three_days["requests"]) == 300
    shifts = three_days["shifts"]
    assert not shifts.duplicated(["engineer_id", "date"]).any()
    assert sorted(shifts["date"].unique()) == [str(DAY + timedelta(days=d)) for d in range(3)]
    for _, per_day in shifts.groupby("date"):
        assert 0.85 * 30 <= len(per_day) <= 0.95 * 30, "5-10 % of engineers are off each day"


def test_ids_are_unique_and_referenced(demo: dict[str, pd.DataFrame]) -> None:
    """Ids are unique, and engineers, shifts and preferences refer to existing ids."""
    for name, key in (("branches", "branch_id"), ("engineers", "engineer_id"), ("requests", "request_id")):
        assert demo[name][key].is_unique, name
    assert set(demo["engineers"]["branch_id"]) <= set(demo["branches"]["branch_id"])
    assert set(demo["shifts"]["engineer_id"]) <= set(demo["engineers"]["engineer_id"])


def test_values_are_strings_in_contract_formats(demo: dict[str, pd.DataFrame]) -> None:
    """Dates, times, timestamps, priorities and numbers are written as the contract says."""
    r, s = demo["requests"], demo["shifts"]
    for frame in demo.values():
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel())
    assert r["received_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00").all()
    for col in ("promised_date", "earliest_date", "latest_date"):
        assert r[col].str.fullmatch(r"(\d{4}-\d\d-\d\d)?").all(), col
    for col in ("start", "end", "break_earliest", "break_latest"):
        assert s[col].str.fullmatch(r"\d\d:\d\d").all(), col
    assert set(r["priority"]) == {"emergency", "high", "normal"}
    assert r["phone"].str.fullmatch(r"1\d{10}").all()
    assert r["address"].str.contains("区").all() and r["customer"].str.fullmatch(r".+(先生|女士)").all()
    assert pd.to_numeric(r["lat"]).between(-90, 90).all()
    assert all(x == "" or 30 <= int(x) <= 120 for x in r["duration_min"])


def starts(tables: dict[str, pd.DataFrame]) -> dict[str, Location]:
    """Where each engineer's day starts: the home given, else the branch."""
    branch = {
        b["branch_id"]: Location(float(b["lat"]), float(b["lon"])) for _, b in tables["branches"].iterrows()
    }
    return {
        e["engineer_id"]: Location(float(e["start_lat"]), float(e["start_lon"]))
        if e["start_lat"]
        else branch[e["branch_id"]]
        for _, e in tables["engineers"].iterrows()
    }


def can_keep(
    row: pd.Series, shift: pd.Series, skills: dict[str, frozenset[str]], start: dict[str, Location]
) -> bool:
    """Whether the engineer of ``shift`` could drive to a promise, serve it in the slot, get home.

    Driving is the default travel model's: 1.3 times the geodesic at 30 km/h.
    """
    need, duration = needs(row)
    if not need <= skills[shift["engineer_id"]]:
        return False
    drive = (
        straight_km(start[shift["engineer_id"]], Location(float(row["lat"]), float(row["lon"])))
        * 1.3
        / 30
        * 60
    )
    arrive = minutes(shift["start"]) + drive
    home = max(minutes(row["promised_start"]), arrive) + duration + drive
    return arrive <= minutes(row["promised_end"]) and home <= minutes(shift["end"])


def unkeepable_promises(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Promised requests that no engineer on shift that day can keep."""
    skills, start, shifts = skills_of(tables), starts(tables), tables["shifts"]
    promised = tables["requests"][tables["requests"]["promised_date"] != ""]
    return [
        str(row["request_id"])
        for _, row in promised.iterrows()
        if not any(
            can_keep(row, s, skills, start)
            for _, s in shifts[shifts["date"] == row["promised_date"]].iterrows()
        )
    ]


def test_requests_are_numbered_as_they_came_in(demo: dict[str, pd.DataFrame]) -> None:
    """Ids follow the time of receipt, and everything came in before the 07:30 planning run."""
    r = demo["requests"]
    received = pd.to_datetime(r["received_at"])
    assert received.is_monotonic_increasing
    assert (received < pd.Timestamp(f"{DAY} 07:30", tz="Asia/Shanghai")).all()
    assert (received > pd.Timestamp(f"{DAY - timedelta(days=5)}", tz="Asia/Shanghai")).all()


def test_every_promise_is_servable_by_someone_on_shift(three_days: dict[str, pd.DataFrame]) -> None:
    """Each promise has an eligible engineer on shift who can reach it in the slot and get home."""
    assert (three_days["requests"]["promised_date"] != "").sum() > 50
    assert unkeepable_promises(three_days) == []


@pytest.mark.parametrize("crew", [2, 4])
@pytest.mark.parametrize("seed", range(12))
def test_promises_stay_servable_with_a_tiny_crew(seed: int, crew: int) -> None:
    """Even a crew of two or four gets the skills and the late hours every promise needs."""
    tables = generate_city(seed, DAY, engineers=crew, requests=60, branches=1, days=2)
    assert unkeepable_promises(tables) == []


def test_unservable_promises_only_when_asked() -> None:
    """With ``infeasible_share`` some promises cannot be kept: the check above can fail."""
    tables = generate_city(5, DAY, engineers=20, requests=200, infeasible_share=0.2)
    assert unkeepable_promises(tables)


def test_every_request_has_an_eligible_engineer_on_some_allowed_day(demo: dict[str, pd.DataFrame]) -> None:
    """Without ``infeasible_share``, every request's skills are on shift on its day."""
    skills = skills_of(demo)
    working = {skills[e] for e in demo["shifts"]["engineer_id"]}
    for _, row in demo["requests"].iterrows():
        assert any(needs(row)[0] <= have for have in working), row["request_id"]


def test_infeasible_share_adds_unservable_requests() -> None:
    """``infeasible_share`` makes that share of requests need a skill nobody has."""
    tables = generate_city(3, DAY, requests=200, infeasible_share=0.1)
    everyone = frozenset().union(*skills_of(tables).values())
    unservable = [row for _, row in tables["requests"].iterrows() if not needs(row)[0] <= everyone]
    assert len(unservable) == 20


def test_emergencies_are_safety_faults_due_on_the_first_day(demo: dict[str, pd.DataFrame]) -> None:
    """Emergencies exist, are gas leaks, leakage or smoke on products that can have them, unbooked."""
    em = demo["requests"][demo["requests"]["priority"] == "emergency"]
    assert 0.01 <= len(em) / len(demo["requests"]) <= 0.06
    assert em["fault"].str.contains("燃气|漏电|冒烟").all()
    assert not em["product"].isin(["water_purifier"]).any()
    gas = em[em["fault"].str.contains("燃气")]
    assert gas["product"].isin(["gas_stove", "gas_water_heater"]).all()
    assert (em["promised_date"] == "").all() and (em["earliest_date"] == str(DAY)).all()


def test_shares_look_like_a_real_day(demo: dict[str, pd.DataFrame]) -> None:
    """Promised, high, warranty shares and engineer certificates fall in realistic bands."""
    r, e = demo["requests"], demo["engineers"]
    assert 0.35 <= (r["promised_date"] != "").mean() <= 0.45
    assert 0.07 <= (r["priority"] == "high").mean() <= 0.18
    assert 0.02 <= (r["preferred_engineer_id"] != "").mean() <= 0.09
    assert 0.30 <= e["skills"].str.contains("gas_cert").mean() <= 0.55
    assert 0.08 <= e["skills"].str.contains("height_cert").mean() <= 0.25
    products = e["skills"].str.split(";").map(lambda t: sum(not x.endswith("_cert") for x in t))
    assert products.between(2, 4).mean() >= 0.75
    assert r[r["promised_start"] != ""]["promised_start"].value_counts().idxmin() == "17:00"
    top = r["product"].value_counts().index[:5]
    assert set(top) <= {"water_heater", "gas_water_heater", "gas_stove", "range_hood", "water_purifier"}


def test_unbooked_windows_span_one_to_three_days(
    demo: dict[str, pd.DataFrame], three_days: dict[str, pd.DataFrame]
) -> None:
    """One planned day: due that day; three: a window of 1-3 days inside the horizon."""
    open_one = demo["requests"][demo["requests"]["promised_date"] == ""]
    assert (open_one["earliest_date"] == str(DAY)).all() and (open_one["latest_date"] == str(DAY)).all()
    open_three = three_days["requests"][three_days["requests"]["promised_date"] == ""]
    first = pd.to_datetime(open_three["earliest_date"])
    span = (pd.to_datetime(open_three["latest_date"]) - first).dt.days
    assert span.between(0, 2).all() and (span > 0).any()
    assert first.dt.date.between(DAY, DAY + timedelta(days=2)).all()


def test_preferred_engineers_exist_and_can_do_the_job(demo: dict[str, pd.DataFrame]) -> None:
    """Warranty re-repairs prefer a real engineer who has the skills, flagged in the fault."""
    skills = skills_of(demo)
    warranty = demo["requests"][demo["requests"]["preferred_engineer_id"] != ""]
    assert len(warranty) > 0
    for _, row in warranty.iterrows():
        assert row["preferred_engineer_id"] in skills
        assert needs(row)[0] <= skills[row["preferred_engineer_id"]]
        assert row["fault"].startswith("保修期内返修")


def test_geography_clusters_in_the_city(demo: dict[str, pd.DataFrame]) -> None:
    """Branches ring the centre at 8-15 km, customers within 25 km and denser near the centre."""
    b, r = demo["branches"], demo["requests"]
    ring = [km_from("Shanghai", float(la), float(lo)) for la, lo in zip(b["lat"], b["lon"], strict=True)]
    assert all(8 <= d <= 15.1 for d in ring)
    dist = pd.Series(
        [km_from("Shanghai", float(la), float(lo)) for la, lo in zip(r["lat"], r["lon"], strict=True)]
    )
    assert dist.max() <= 25
    inner, outer = (dist < 5).mean() / 5**2, dist.between(15, 20).mean() / (20**2 - 15**2)
    assert inner > 2 * outer, "customers per km² are denser near the centre"
    homes = demo["engineers"]["start_lat"]
    assert 0.1 <= (homes == "").mean() <= 0.5, "some start at the branch"


def test_other_cities_and_their_borders() -> None:
    """Another city centres on itself; Shenzhen's customers stay north of the Hong Kong border."""
    bj = generate_city(1, DAY, engineers=10, requests=50, city="Beijing")
    assert pd.to_numeric(bj["requests"]["lat"]).between(39.6, 40.2).all()
    sz = generate_city(1, DAY, engineers=10, requests=200, city="Shenzhen")
    assert (pd.to_numeric(sz["requests"]["lat"]) >= CITIES["Shenzhen"].min_lat).all()
    assert generate_city(1, DAY, engineers=5, requests=5, city="xian")["branches"]["name"][0].startswith(
        "西安"
    )
    with pytest.raises(ValueError, match="unknown city"):
        generate_city(1, DAY, city="Atlantis")


def test_bad_arguments_are_refused() -> None:
    """Nonsensical sizes and shares raise ValueError naming them."""
    with pytest.raises(ValueError, match="engineers"):
        generate_city(1, DAY, engineers=0)
    with pytest.raises(ValueError, match="infeasible_share"):
        generate_city(1, DAY, infeasible_share=1.5)


def test_demo_day_is_busy_but_plannable(demo: dict[str, pd.DataFrame]) -> None:
    """On-site work fills 70-90 % of the working minutes, leaving room for ~15 min legs."""
    work = sum(needs(row)[1] for _, row in demo["requests"].iterrows())
    s = demo["shifts"]
    supply = sum(
        minutes(e) - minutes(b) - int(m)
        for b, e, m in zip(s["start"], s["end"], s["break_minutes"], strict=True)
    )
    assert 0.70 <= work / supply <= 0.90


@pytest.mark.parametrize("seed", [1, 3, 7])
def test_no_skill_is_so_scarce_its_work_cannot_fit(seed: int) -> None:
    """Each skill's work, shared by those on shift who have it, is at most 5.5 hours each."""
    tables = generate_city(seed, DAY)
    skills = skills_of(tables)
    crew = [skills[e] for e in tables["shifts"]["engineer_id"]]
    hours: dict[str, float] = {}
    for _, row in tables["requests"].iterrows():
        need, duration = needs(row)
        for tag in need:
            hours[tag] = hours.get(tag, 0.0) + duration / 60
    for tag, h in hours.items():
        assert h <= 5.5 * sum(tag in have for have in crew), tag


def test_write_scenario_writes_readable_csvs(demo: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """Each table becomes ``<name>.csv`` in a new folder and reads back unchanged as strings."""
    out = tmp_path / "new" / "scenario"
    write_scenario(demo, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in demo)
    for name, frame in demo.items():
        back = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
        pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert (out / "requests.csv").read_text(encoding="utf-8").startswith("request_id,received_at,")


def test_write_workbook_names_sheets_after_tables(demo: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """The workbook has one sheet per table, named after it, with the same cells."""
    path = tmp_path / "scenario.xlsx"
    write_workbook(demo, path)
    assert openpyxl.load_workbook(path, read_only=True).sheetnames == list(demo)
    back = pd.read_excel(path, sheet_name="requests", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, demo["requests"], check_dtype=False)


def test_contract_loader_reads_the_written_scenario(
    three_days: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """``data.contract.load_scenario`` accepts the folder and the workbook as written."""
    from data.contract import load_scenario

    write_scenario(three_days, tmp_path / "s")
    write_workbook(three_days, tmp_path / "s.xlsx")
    dates = [DAY + timedelta(days=d) for d in range(3)]
    for path in (tmp_path / "s", tmp_path / "s.xlsx"):
        problem = load_scenario(path, dates)
        assert len(problem.requests) == 300 and len(problem.engineers) == 30
        assert len(problem.shifts) == len(three_days["shifts"])
        assert (
            sum(r.promised is not None for r in problem.requests)
            == (three_days["requests"]["promised_date"] != "").sum()
        )
