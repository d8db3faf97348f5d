"""Branch schedules: one CSV row per visit, break and return, and one workbook sheet per branch."""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from data.schedule import COLUMNS, schedule_rows, sheet_name, write_schedules
from data.travel import GeodesicTravel
from dispatch.model import (
    Appointment,
    Branch,
    Engineer,
    Location,
    Priority,
    Problem,
    Request,
    Shift,
    TimeWindow,
)
from dispatch.plan import Plan, Route, Stop, Unassigned
from dispatch.rules import DEFAULT_SLOTS

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)


def at(hour: int, minute: int = 0) -> datetime:
    """A wall-clock time on DAY in ZONE."""
    return datetime(2026, 12, 1, hour, minute, tzinfo=ZONE)


def _request(rid: str, customer: str, promised: bool = False) -> Request:
    promise = Appointment(DAY, TimeWindow(at(13), at(15))) if promised else None
    return Request(
        rid, Location(31.2, 121.5), "water_heater", Priority.HIGH, timedelta(minutes=60),
        frozenset({"water_heater"}), promised=promise, customer=customer, phone="+86 139 0000 0001",
        address="世纪大道 1 号",
    )  # fmt: skip


@pytest.fixture
def problem() -> Problem:
    """Two branches (one with an awkward id), three engineers, three requests."""
    home = Location(31.23, 121.47)
    return Problem(
        branches=[Branch("B01", "浦东网点", home), Branch("West/02:*", "Minhang", home)],
        engineers=[
            Engineer("E001", "张伟", "B01", frozenset({"water_heater"}), home),
            Engineer("E002", "Li Na", "B01", frozenset({"water_heater"}), home),
            Engineer("E003", "Wang Fang", "West/02:*", frozenset({"water_heater"}), home),
        ],
        shifts=[
            Shift(e, DAY, at(8), at(18), at(11, 30), at(13), timedelta(minutes=60)) for e in ("E001", "E002")
        ],
        requests=[
            _request("R1", "陈先生"),
            _request("R2", '=HYPERLINK("http://x")', True),
            _request("R3", "Xu"),
        ],
        slots=DEFAULT_SLOTS,
        dates=[DAY],
        travel=GeodesicTravel(),
        zone=ZONE,
    )


def _stop(rid: str, slot: tuple[int, int], start: datetime, minutes: float) -> Stop:
    return Stop(
        rid, TimeWindow(at(slot[0]), at(slot[1])), start, start, start + timedelta(hours=1), minutes, 4.567
    )


@pytest.fixture
def plan() -> Plan:
    """E001: two visits with the break between; E003: one visit, no break; E002: an empty route."""
    e001 = Route(
        "E001", DAY, [_stop("R1", (8, 10), at(8, 20), 20.0), _stop("R2", (13, 15), at(13, 10), 10.0)],
        TimeWindow(at(12), at(13)), 15.5, 6.0,
    )  # fmt: skip
    e003 = Route("E003", DAY, [_stop("R3", (10, 12), at(10, 30), 12.25)], None, 30.0, 11.0)
    e002 = Route("E002", DAY, [], None, 0.0, 0.0)
    return Plan([DAY], [e003, e001, e002], [Unassigned("R9", "no_capacity", "full day")])


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_writes_both_files_beside_the_stem(problem: Problem, plan: Plan, tmp_path: Path) -> None:
    """The CSV and the workbook are named after the stem, and nothing else is left there."""
    paths = write_schedules(problem, plan, tmp_path / "plan")
    assert paths == [tmp_path / "plan.schedule.csv", tmp_path / "plan.schedule.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.schedule.csv", "plan.schedule.xlsx"]


def test_csv_has_a_row_per_stop_break_and_return(problem: Problem, plan: Plan, tmp_path: Path) -> None:
    """Rows = stops + breaks + returns of routes with visits, in branch, engineer and time order."""
    csv_path, _ = write_schedules(problem, plan, tmp_path / "plan")
    rows = _csv(csv_path)
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 3 + 1 + 2
    assert [(r["engineer_id"], r["seq"], r["request_id"]) for r in rows] == [
        ("E001", "1", "R1"),
        ("E001", "", "BREAK"),
        ("E001", "2", "R2"),
        ("E001", "", "RETURN"),
        ("E003", "1", "R3"),
        ("E003", "", "RETURN"),
    ]


def test_csv_rows_read_like_a_schedule(problem: Problem, plan: Plan, tmp_path: Path) -> None:
    """Local HH:MM times, names, promise flag, rounded travel, and the time back home."""
    csv_path, _ = write_schedules(problem, plan, tmp_path / "plan")
    visit, brk, promised, back = _csv(csv_path)[:4]
    assert (visit["branch"], visit["engineer"], visit["customer"], visit["date"]) == (
        "浦东网点",
        "张伟",
        "陈先生",
        "2026-12-01",
    )
    assert (visit["slot_start"], visit["slot_end"], visit["arrival"], visit["start"], visit["end"]) == (
        "08:00", "10:00", "08:20", "08:20", "09:20",
    )  # fmt: skip
    assert (visit["priority"], visit["promised"], promised["promised"]) == ("high", "no", "yes")
    assert (visit["travel_minutes"], visit["travel_km"]) == ("20.0", "4.57")
    assert (brk["start"], brk["end"]) == ("12:00", "13:00")
    assert (back["arrival"], back["travel_minutes"], back["travel_km"]) == ("14:25", "15.5", "6.0")


def test_customer_text_cannot_become_a_formula(problem: Problem, plan: Plan, tmp_path: Path) -> None:
    """A customer name starting with '=' is quoted in the CSV and kept as text in the workbook."""
    csv_path, xlsx_path = write_schedules(problem, plan, tmp_path / "plan")
    row = _csv(csv_path)[2]
    assert row["customer"] == '\'=HYPERLINK("http://x")'
    assert row["phone"] == "+86 139 0000 0001"
    cell = openpyxl.load_workbook(xlsx_path)["B01"]["H4"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


def test_workbook_has_one_sheet_per_branch_with_routes(problem: Problem, plan: Plan, tmp_path: Path) -> None:
    """One sheet per branch that has visits, named by a sanitized branch id, with that branch's rows."""
    _, xlsx_path = write_schedules(problem, plan, tmp_path / "plan")
    book = openpyxl.load_workbook(xlsx_path)
    assert book.sheetnames == ["B01", "West_02__"]
    b01 = list(book["B01"].iter_rows(values_only=True))
    assert b01[0] == COLUMNS and len(b01) == 1 + 4
    assert {r[2] for r in b01[1:]} == {"E001"}
    north = list(book["West_02__"].iter_rows(values_only=True))
    assert [r[6] for r in north[1:]] == ["R3", "RETURN"]
    assert book["B01"].freeze_panes == "A2"


def test_no_routes_still_gives_a_workbook(problem: Problem, tmp_path: Path) -> None:
    """A plan without visits writes a header-only CSV and a workbook with one empty sheet."""
    csv_path, xlsx_path = write_schedules(problem, Plan([DAY], [], []), tmp_path / "empty")
    assert _csv(csv_path) == []
    assert openpyxl.load_workbook(xlsx_path).sheetnames == ["schedule"]


def test_rows_ignore_unknown_engineers_and_requests(problem: Problem) -> None:
    """A plan from elsewhere still gives rows, with blanks where the scenario knows nothing."""
    start = at(9)
    stop = Stop("R404", TimeWindow(at(8), at(10)), start, start, start + timedelta(hours=1), 5.0, 2.0)
    rows = schedule_rows(problem, Plan([DAY], [Route("E404", DAY, [stop], None, 5.0, 2.0)], []))
    assert [(r["branch_id"], r["engineer"], r["request_id"]) for r in rows] == [
        ("", "", "R404"),
        ("", "", "RETURN"),
    ]


def test_sheet_names_follow_excels_rules() -> None:
    """At most 31 characters, no []:*?/\\, no 'History', unique regardless of case."""
    taken: set[str] = set()
    long = "Shanghai-Pudong-Lujiazui-Service-Outlet-7"
    names = [sheet_name(n, taken) for n in (long, long, "a[b]c", "History", "B01", "b01", "", "'x'")]
    assert names[0] == long[:31]
    assert names[1] == long[:29] + "~2"
    assert names[2:] == ["a_b_c", "History_", "B01", "b01~2", "unknown", "x"]
    assert all(len(n) <= 31 for n in names)


def test_break_after_the_last_visit_delays_the_way_home(problem: Problem) -> None:
    """A break taken on the way home is added to the time back."""
    start = at(10)
    stop = Stop("R1", TimeWindow(at(10), at(12)), start, start, at(11, 30), 10.0, 3.0)
    route = Route("E001", DAY, [stop], TimeWindow(at(11, 40), at(12, 40)), 20.0, 5.0)
    rows = schedule_rows(problem, Plan([DAY], [route], []))
    assert [r["request_id"] for r in rows] == ["R1", "BREAK", "RETURN"]
    assert rows[-1]["arrival"] == "12:50"
    assert time.fromisoformat(rows[1]["start"]) == time(11, 40)
