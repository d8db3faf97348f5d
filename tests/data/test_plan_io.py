"""The plan document: exact JSON shape, round trips, rounding, atomic writes, malformed plans."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.plan_io import plan_from_dict, plan_to_dict, read_plan, round_km_up, write_plan
from dispatch.errors import InputError
from dispatch.model import TimeWindow
from dispatch.plan import Plan, Route, Stop, Unassigned

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A wall-clock time on DAY in ZONE."""
    return datetime(2026, 12, 1, hour, minute, second, tzinfo=ZONE)


@pytest.fixture
def plan() -> Plan:
    """Two routes (one with a break, one without stops), one unassigned request, nested KPIs."""
    stops = [
        Stop("R0001", TimeWindow(at(8), at(10)), at(8, 41, 23), at(8, 41, 23), at(9, 41, 23), 21.0167, 9.8),
        Stop("R0002", TimeWindow(at(13), at(15)), at(13, 5), at(13, 10), at(14, 0), 3.5, 1.235),
    ]
    routes = [
        Route("E001", DAY, stops, TimeWindow(at(12), at(13)), 18.0, 8.1),
        Route("E002", DAY, [], None, 0.0, 0.0),
    ]
    unassigned = [Unassigned("R0042", "no_eligible_engineer", "没有燃气资质的工程师 on 2026-12-01")]
    return Plan([DAY], routes, unassigned, {"assigned": 2, "branches": {"B01": {"km": 19.1}}})


@pytest.fixture
def doc(plan: Plan) -> dict[str, Any]:
    """The fixture plan as a JSON document."""
    return plan_to_dict(plan, ZONE)


def test_document_has_the_contracts_shape(doc: dict[str, Any]) -> None:
    """Keys, dates, date-times with offset and seconds, break object or null."""
    assert list(doc) == ["dates", "routes", "unassigned", "kpis"]
    assert doc["dates"] == ["2026-12-01"]
    route, empty = doc["routes"]
    assert list(route) == [
        "engineer_id", "date", "break", "stops", "return_travel_minutes", "return_travel_km",
    ]  # fmt: skip
    assert route["break"] == {"start": "2026-12-01T12:00:00+08:00", "end": "2026-12-01T13:00:00+08:00"}
    assert empty["break"] is None and empty["stops"] == []
    stop = route["stops"][0]
    assert list(stop) == [
        "request_id", "slot_start", "slot_end", "arrival", "start", "end", "travel_minutes", "travel_km",
    ]  # fmt: skip
    assert stop["arrival"] == "2026-12-01T08:41:23+08:00"
    assert (stop["travel_minutes"], stop["travel_km"]) == (21.0167, 9.8)
    assert doc["unassigned"][0]["reason"] == "no_eligible_engineer"
    assert doc["kpis"] == {"assigned": 2, "branches": {"B01": {"km": 19.1}}}


def test_round_trip_is_equal(plan: Plan, doc: dict[str, Any]) -> None:
    """Reading the document back gives the same plan, through json text too."""
    assert plan_from_dict(doc, ZONE) == plan
    assert plan_from_dict(json.loads(json.dumps(doc)), ZONE) == plan


def test_times_are_written_in_the_given_zone() -> None:
    """A UTC time is written as the zone's wall clock with its offset; microseconds dropped."""
    moment = datetime(2026, 12, 1, 0, 41, 23, 999_000, tzinfo=UTC)
    stop = Stop("R1", TimeWindow(moment, moment), moment, moment, moment, 0.0, 0.0)
    doc = plan_to_dict(Plan([DAY], [Route("E1", DAY, [stop], None, 0.0, 0.0)], []), ZONE)
    assert doc["routes"][0]["stops"][0]["start"] == "2026-12-01T08:41:23+08:00"


def test_travel_rounding() -> None:
    """Minutes to 4 decimals; km up to the metre, so a leg never gets shorter."""
    stop = Stop("R1", TimeWindow(at(8), at(10)), at(8), at(8), at(9), 12.345678, 1.2341)
    route = Route("E1", DAY, [stop], None, 7.77777, 0.00001)
    doc = plan_to_dict(Plan([DAY], [route], []), ZONE)["routes"][0]
    assert (doc["stops"][0]["travel_minutes"], doc["stops"][0]["travel_km"]) == (12.3457, 1.235)
    assert (doc["return_travel_minutes"], doc["return_travel_km"]) == (7.7778, 0.001)
    assert (round_km_up(9.8), round_km_up(1.234), round_km_up(0.0)) == (9.8, 1.234, 0.0)


@given(st.floats(min_value=0, max_value=20_000, allow_nan=False))
def test_km_rounding_never_shortens_and_is_stable(km: float) -> None:
    """Rounded km is at least the km, less than a metre more, and rounding it again keeps it."""
    up = round_km_up(km)
    assert km <= up < km + 0.001 + 1e-9
    assert round_km_up(up) == up


def test_kpis_become_plain_json(plan: Plan) -> None:
    """KPI values that json cannot take as they are become plain JSON values."""
    odd = Plan(
        plan.dates,
        plan.routes,
        plan.unassigned,
        {"day": DAY, "wait": timedelta(minutes=2), "x": float("nan")},
    )
    kpis = plan_to_dict(odd, ZONE)["kpis"]
    assert kpis == {"day": "2026-12-01", "wait": 120.0, "x": None}
    json.dumps(kpis, allow_nan=False)


def test_write_and_read_plan(plan: Plan, tmp_path: Path) -> None:
    """A written plan reads back equal; the file is UTF-8 JSON with nothing left beside it."""
    path = tmp_path / "out" / "plan.json"
    write_plan(plan, path, ZONE)
    assert read_plan(path, ZONE) == plan
    text = path.read_text(encoding="utf-8")
    assert "没有燃气资质" in text and text.endswith("\n")
    assert [p.name for p in path.parent.iterdir()] == ["plan.json"]


def test_failed_write_keeps_the_old_file(plan: Plan, tmp_path: Path) -> None:
    """A write that fails leaves the previous plan and no temporary file."""
    path = tmp_path / "plan.json"
    write_plan(plan, path, ZONE)
    before = path.read_bytes()
    broken = Plan(plan.dates, plan.routes, plan.unassigned, {"bad": object()})
    with pytest.raises(TypeError):
        write_plan(broken, path, ZONE)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_hand_edited_plan_may_leave_out_optional_fields() -> None:
    """Missing arrival, travel, break, unassigned and kpis take their defaults; naive times are local."""
    doc = {
        "dates": ["2026-12-01"],
        "routes": [
            {
                "engineer_id": "E001",
                "date": "2026-12-01",
                "stops": [
                    {
                        "request_id": "R1",
                        "slot_start": "2026-12-01T08:00:00+08:00",
                        "slot_end": "2026-12-01T10:00",
                        "start": "2026-12-01T08:30:00+08:00",
                        "end": "2026-12-01T09:30:00+08:00",
                    }
                ],
            }
        ],
    }
    plan = plan_from_dict(doc, ZONE)
    (route,) = plan.routes
    (stop,) = route.stops
    assert stop.arrival == stop.start == at(8, 30)
    assert stop.slot == TimeWindow(at(8), at(10))
    assert (stop.travel_minutes, stop.travel_km, route.return_travel_km) == (0.0, 0.0, 0.0)
    assert route.break_window is None and plan.unassigned == [] and plan.kpis == {}


def test_missing_dates_come_from_the_routes(doc: dict[str, Any]) -> None:
    """Without a dates list the plan covers the days of its routes."""
    del doc["dates"]
    assert plan_from_dict(doc, ZONE).dates == [DAY]


def test_malformed_stop_names_its_path(doc: dict[str, Any]) -> None:
    """A bad date-time names plan.json, no row, and the field's path."""
    doc["routes"][0]["stops"][1]["start"] = "half past one"
    with pytest.raises(InputError) as caught:
        plan_from_dict(doc, ZONE)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.field) == ("plan.json", None, "routes[0].stops[1].start")
    assert "half past one" in problem.message


def test_every_shape_defect_is_reported(doc: dict[str, Any]) -> None:
    """Wrong types anywhere in the document are all listed with their paths."""
    doc["dates"] = ["2026-12-01", "tomorrow"]
    doc["routes"][0]["engineer_id"] = 7
    doc["routes"][0]["break"] = "noon"
    doc["routes"][0]["stops"][0]["travel_km"] = "far"
    doc["routes"][1]["stops"] = {}
    doc["unassigned"].append("R0099")
    doc["kpis"] = []
    with pytest.raises(InputError) as caught:
        plan_from_dict(doc, ZONE)
    assert [p.field for p in caught.value.problems] == [
        "routes[0].engineer_id",
        "routes[0].break",
        "routes[0].stops[0].travel_km",
        "routes[1].stops",
        "unassigned[1]",
        "dates[1]",
        "kpis",
    ]


@pytest.mark.parametrize("doc", [[], "plan", {"routes": []}, {"dates": [], "routes": []}])
def test_unusable_documents(doc: Any) -> None:
    """Not an object, or no dates at all, is an InputError naming plan.json."""
    with pytest.raises(InputError) as caught:
        plan_from_dict(doc, ZONE)
    assert caught.value.problems[0].file == "plan.json"


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    """A syntax error names the file and the line as the row."""
    path = tmp_path / "day1.json"
    path.write_text('{\n  "dates": ["2026-12-01"],\n  "routes": [,]\n}\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_plan(path, ZONE)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row) == ("day1.json", 3)


def test_missing_plan_file(tmp_path: Path) -> None:
    """A missing file is an InputError, not a traceback."""
    with pytest.raises(InputError, match=r"^nothing\.json: "):
        read_plan(tmp_path / "nothing.json", ZONE)
