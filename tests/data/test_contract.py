"""Loading a scenario: the values of a valid one, and every defect of a broken one, located."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from data.contract import load_scenario
from dispatch.errors import InputError, InputProblem
from dispatch.model import Location, Priority, Problem, SlotTemplate
from dispatch.rules import DEFAULT_SLOTS

SMALL = Path(__file__).parent / "fixtures" / "small"
DAY = date(2026, 12, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")

NUMERIC = {"lat", "lon", "start_lat", "start_lon", "max_jobs", "duration_min", "break_minutes"}
DATES = {"date", "promised_date", "earliest_date", "latest_date"}
TIMES = {"start", "end", "break_earliest", "break_latest", "promised_start", "promised_end"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the small scenario."""
    return Path(shutil.copytree(SMALL, tmp_path / "small"))


@pytest.fixture
def small() -> Problem:
    """The small scenario, loaded for its first day."""
    return load_scenario(SMALL, [DAY])


def _rows(folder: Path, file: str) -> tuple[list[str], list[dict[str, str]]]:
    with (folder / file).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(folder: Path, file: str, header: list[str], rows: list[dict[str, str]]) -> None:
    with (folder / file).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)


def edit(folder: Path, file: str, row: int, **cells: str) -> None:
    """Set cells of the spreadsheet row ``row`` (the header is row 1) of ``file``."""
    header, rows = _rows(folder, file)
    rows[row - 2].update(cells)
    _write(folder, file, header + [c for c in cells if c not in header], rows)


def append(folder: Path, file: str, **cells: str) -> int:
    """Add a row (a copy of the last, with ``cells`` changed); its spreadsheet row number."""
    header, rows = _rows(folder, file)
    rows.append(rows[-1] | cells)
    _write(folder, file, header, rows)
    return len(rows) + 1


def defects(path: Path) -> list[InputProblem]:
    """Every defect ``load_scenario`` reports for ``path``."""
    with pytest.raises(InputError) as caught:
        load_scenario(path, [DAY])
    return caught.value.problems


def where(path: Path) -> list[tuple[str, int | None, str | None]]:
    """File, row and field of every defect reported for ``path``."""
    return [(p.file, p.row, p.field) for p in defects(path)]


def to_workbook(folder: Path, book: Path, rename: dict[str, str] | None = None) -> Path:
    """The folder's CSVs as one workbook with typed cells, as a coordinator's spreadsheet has."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for file in sorted(folder.glob("*.csv")):
        sheet = wb.create_sheet((rename or {}).get(file.stem, file.stem))
        header, rows = _rows(folder, file.name)
        sheet.append(header)
        for row in rows:
            sheet.append([_typed(k, v) for k, v in row.items()])
    wb.save(book)
    return book


def _typed(column: str, text: str) -> object:
    if not text:
        return None
    if column in NUMERIC:
        return int(text) if text.isdigit() else float(text)
    if column in DATES:
        return date.fromisoformat(text)
    if column in TIMES:
        return time.fromisoformat(text)
    return text


# --- a valid scenario -------------------------------------------------------------------


def test_engineers_skills_are_trimmed_and_home_defaults_to_branch(small: Problem) -> None:
    """Tags split on ';' lose blanks and empties; an empty start location is the branch's."""
    e001, e002 = small.engineer_by_id["E001"], small.engineer_by_id["E002"]
    assert e001.skills == {"water_heater", "gas_cert", "gas_stove"}
    assert e001.home == small.branch_by_id["B01"].location == Location(31.2304, 121.4737)
    assert e002.home == Location(31.24, 121.5)
    assert (e001.max_jobs, e002.max_jobs) == (6, None)
    assert small.branch_by_id["B01"].name == "浦东网点"


def test_shift_times_and_break_are_local_to_the_zone(small: Problem) -> None:
    """Shift and break times are wall-clock times of the zone on the row's date."""
    shift = small.shift_by_key[("E001", DAY)]
    assert shift.start == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert shift.end == datetime(2026, 12, 1, 18, 0, tzinfo=SHANGHAI)
    assert shift.break_earliest == datetime(2026, 12, 1, 11, 30, tzinfo=SHANGHAI)
    assert shift.break_latest == datetime(2026, 12, 1, 13, 0, tzinfo=SHANGHAI)
    assert shift.break_duration == timedelta(minutes=60) and shift.has_break
    assert not small.shift_by_key[("E002", DAY)].has_break
    assert len(small.shifts) == 4


def test_durations_and_skills_come_from_the_catalogue(small: Problem) -> None:
    """Empty cells take the default catalogue, overridden by products.csv, and given cells win."""
    req = small.request_by_id
    assert req["R0001"].duration == timedelta(minutes=50)
    assert req["R0001"].required_skills == {"gas_stove", "gas_cert"}
    assert req["R0004"].duration == timedelta(minutes=35)  # products.csv overrides 50
    assert req["R0004"].required_skills == {"range_hood", "ladder"}
    assert req["R0005"].duration == timedelta(minutes=70)  # empty products.csv cells keep defaults
    assert req["R0005"].required_skills == {"dishwasher"}
    assert req["R0003"].duration == timedelta(minutes=45)
    assert req["R0003"].required_skills == {"dishwasher", "plumbing"}


def test_promise_is_a_window_in_the_zone(small: Problem) -> None:
    """A promise keeps its date and its local window; unbooked requests have none."""
    promise = small.request_by_id["R0002"].promised
    assert promise is not None and promise.day == DAY
    assert promise.window.start == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert promise.window.end == datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
    assert small.request_by_id["R0001"].promised is None


def test_request_fields(small: Problem) -> None:
    """Priority, bounds, preferred engineer, personal data and received_at (naive = local)."""
    r1, r2, r3, r5 = (small.request_by_id[r] for r in ("R0001", "R0002", "R0003", "R0005"))
    assert (r1.priority, r3.priority) == (Priority.EMERGENCY, Priority.HIGH)
    assert (r3.earliest_date, r3.latest_date) == (DAY, date(2026, 12, 2))
    assert r2.preferred_engineer_id == "E001" and r1.preferred_engineer_id is None
    assert (r1.customer, r1.fault) == ("陈先生", "smell of gas")
    assert r2.received_at == datetime(2026, 11, 30, 19, 15, tzinfo=SHANGHAI)
    assert r5.received_at == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert r5.received_at is not None and r5.received_at.tzinfo == SHANGHAI
    assert small.request_by_id["R0004"].received_at is None


def test_default_slot_grid_and_dates(small: Problem) -> None:
    """Without slots.csv the grid is the default; dates are kept, zone and name set."""
    assert tuple(small.slots) == DEFAULT_SLOTS
    assert list(small.dates) == [DAY]
    assert small.zone == SHANGHAI and small.name == "small"


def test_slots_csv_replaces_the_grid(folder: Path) -> None:
    """A slots.csv gives the grid, in time order."""
    (folder / "slots.csv").write_text("start,end\n14:00,18:00\n09:00,12:00\n", encoding="utf-8")
    problem = load_scenario(folder, [DAY])
    assert list(problem.slots) == [SlotTemplate(time(9), time(12)), SlotTemplate(time(14), time(18))]


def test_optional_extra_columns(folder: Path) -> None:
    """capacity and demand are read when present; unknown columns are ignored."""
    edit(folder, "engineers.csv", 2, capacity="12", remark="new van")
    edit(folder, "requests.csv", 2, demand="3")
    problem = load_scenario(folder, [DAY])
    assert problem.engineer_by_id["E001"].capacity == 12
    assert problem.engineer_by_id["E002"].capacity is None
    assert problem.request_by_id["R0001"].demand == 3
    assert problem.request_by_id["R0002"].demand == 0


def test_a_branch_may_set_its_service_radius(folder: Path) -> None:
    """``service_radius_km`` (our column on top of the contract) is read when set, ``None`` when
    empty or absent, and a bad value is a defect naming file, row and field."""
    assert load_scenario(folder, [DAY]).branch_by_id["B01"].service_radius_km is None
    edit(folder, "branches.csv", 2, service_radius_km="12.5")
    problem = load_scenario(folder, [DAY])
    assert problem.branch_by_id["B01"].service_radius_km == 12.5
    assert problem.branch_by_id["B02"].service_radius_km is None
    edit(folder, "branches.csv", 3, service_radius_km="-3")
    assert where(folder) == [("branches.csv", 3, "service_radius_km")]


def test_workbook_loads_like_the_folder(folder: Path, small: Problem, tmp_path: Path) -> None:
    """The same scenario as an .xlsx with typed cells (a sheet may be named 'x.csv') is the same."""
    book = to_workbook(folder, tmp_path / "small.xlsx", {"requests": "requests.csv"})
    loaded = load_scenario(book, [DAY])
    for name in ("branches", "engineers", "shifts", "requests", "slots", "dates", "zone", "name"):
        assert getattr(loaded, name) == getattr(small, name), name


def test_blank_lines_keep_row_numbers(folder: Path) -> None:
    """Blank lines are skipped, and the rows after them keep their line numbers."""
    text = (folder / "branches.csv").read_text(encoding="utf-8").replace("\n", "\n\n", 1)
    (folder / "branches.csv").write_text(text, encoding="utf-8")
    assert len(load_scenario(folder, [DAY]).branches) == 2
    (folder / "branches.csv").write_text(text.replace("31.1128", "x"), encoding="utf-8")
    assert where(folder) == [("branches.csv", 4, "lat")]


# --- structure ---------------------------------------------------------------------------


def test_missing_file(folder: Path) -> None:
    """A missing required file is named, with no row."""
    (folder / "shifts.csv").unlink()
    assert where(folder) == [("shifts.csv", None, None)]


def test_missing_column(folder: Path) -> None:
    """A missing required column is named as the field, with no row."""
    header, rows = _rows(folder, "requests.csv")
    _write(folder, "requests.csv", [h for h in header if h != "lat"], [r for r in rows if r.pop("lat")])
    assert where(folder) == [("requests.csv", None, "lat")]


def test_optional_columns_may_be_absent(folder: Path) -> None:
    """Personal data, free text and optional limits may be left out: they read as empty."""
    optional = {
        "customer",
        "phone",
        "address",
        "fault",
        "received_at",
        "duration_min",
        "preferred_engineer_id",
    }
    header, rows = _rows(folder, "requests.csv")
    kept = [h for h in header if h not in optional]
    _write(folder, "requests.csv", kept, [{k: v for k, v in r.items() if k in kept} for r in rows])
    problem = load_scenario(folder, [DAY])
    assert len(problem.requests) == len(rows)
    assert all(r.customer == "" and r.duration > timedelta(0) for r in problem.requests)


def test_missing_sheet(folder: Path, tmp_path: Path) -> None:
    """A workbook without a required sheet names the workbook and the sheet."""
    (folder / "engineers.csv").unlink()
    problems = defects(to_workbook(folder, tmp_path / "book.xlsx"))
    assert [(p.file, p.row) for p in problems] == [("book.xlsx", None)]
    assert "engineers" in problems[0].message


def test_workbook_defect_names_the_sheet(folder: Path, tmp_path: Path) -> None:
    """A defect in a workbook names the workbook's sheet and the spreadsheet row."""
    edit(folder, "requests.csv", 3, promised_end="09:00")
    assert where(to_workbook(folder, tmp_path / "book.xlsx")) == [("book.xlsx!requests", 3, "promised_end")]


def test_not_a_scenario(tmp_path: Path) -> None:
    """A path that is neither a folder nor a workbook is a defect, not a crash."""
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert where(tmp_path / "notes.txt") == [("notes.txt", None, None)]


def test_no_dates_is_a_value_error() -> None:
    """Planning no day at all is a programming error."""
    with pytest.raises(ValueError, match="no dates"):
        load_scenario(SMALL, [])


# --- defects of one cell -----------------------------------------------------------------


def test_unparsable_date(folder: Path) -> None:
    """A date that is not YYYY-MM-DD."""
    edit(folder, "shifts.csv", 2, date="2026-13-01")
    assert where(folder) == [("shifts.csv", 2, "date")]


def test_unparsable_time(folder: Path) -> None:
    """A time of day that is not HH:MM."""
    edit(folder, "shifts.csv", 3, start="9h")
    assert where(folder) == [("shifts.csv", 3, "start")]


def test_unparsable_number(folder: Path) -> None:
    """A coordinate that is not a number."""
    edit(folder, "branches.csv", 3, lat="north")
    assert where(folder) == [("branches.csv", 3, "lat")]


def test_unparsable_received_at(folder: Path) -> None:
    """received_at that is not ISO 8601."""
    edit(folder, "requests.csv", 4, received_at="yesterday")
    assert where(folder) == [("requests.csv", 4, "received_at")]


def test_promised_end_before_start(folder: Path) -> None:
    """A promise ending before it starts is named with both times."""
    edit(folder, "requests.csv", 3, promised_end="09:00")
    (problem,) = defects(folder)
    assert str(problem) == "requests.csv row 3 field promised_end: 09:00 is before promised_start 10:00"


def test_promised_end_equal_to_start(folder: Path) -> None:
    """A promise of no length is a defect too."""
    edit(folder, "requests.csv", 3, promised_end="10:00")
    assert where(folder) == [("requests.csv", 3, "promised_end")]


def test_promise_partially_filled(folder: Path) -> None:
    """A promise with a date but no times names each missing field."""
    edit(folder, "requests.csv", 5, promised_date="2026-12-01")
    assert where(folder) == [("requests.csv", 5, "promised_start"), ("requests.csv", 5, "promised_end")]


def test_earliest_after_latest(folder: Path) -> None:
    """earliest_date after latest_date."""
    edit(folder, "requests.csv", 4, earliest_date="2026-12-03")
    assert where(folder) == [("requests.csv", 4, "latest_date")]


@pytest.mark.parametrize(
    ("file", "cells", "field"),
    [
        ("branches.csv", {"branch_id": "B01"}, "branch_id"),
        ("engineers.csv", {"engineer_id": "E001"}, "engineer_id"),
        ("requests.csv", {"request_id": "R0001"}, "request_id"),
        ("shifts.csv", {"engineer_id": "E001", "date": "2026-12-01"}, "date"),
    ],
    ids=["branch", "engineer", "request", "shift"],
)
def test_duplicate_id(folder: Path, file: str, cells: dict[str, str], field: str) -> None:
    """A repeated id (or engineer and date of a shift) is a defect of the later row."""
    row = append(folder, file, **cells)
    (problem,) = defects(folder)
    assert (problem.file, problem.row, problem.field) == (file, row, field)
    assert "first at row 2" in problem.message


def test_unknown_branch(folder: Path) -> None:
    """An engineer of a branch that branches.csv lacks."""
    edit(folder, "engineers.csv", 4, branch_id="B09")
    assert where(folder) == [("engineers.csv", 4, "branch_id")]


def test_unknown_engineer_in_shifts(folder: Path) -> None:
    """A shift of an engineer that engineers.csv lacks."""
    edit(folder, "shifts.csv", 2, engineer_id="E999")
    assert where(folder) == [("shifts.csv", 2, "engineer_id")]


def test_request_without_coordinates(folder: Path) -> None:
    """A request with an empty latitude cannot be visited."""
    edit(folder, "requests.csv", 2, lat="")
    (problem,) = defects(folder)
    assert (problem.file, problem.row, problem.field) == ("requests.csv", 2, "lat")
    assert "coordinates" in problem.message


@pytest.mark.parametrize(
    ("lat", "lon", "field"), [("91", "121.5", "lat"), ("31.2", "-180.5", "lon"), ("31.2", "east", "lon")]
)
def test_request_coordinates_out_of_range(folder: Path, lat: str, lon: str, field: str) -> None:
    """Latitude within [-90, 90] and longitude within [-180, 180], as numbers."""
    edit(folder, "requests.csv", 3, lat=lat, lon=lon)
    assert where(folder) == [("requests.csv", 3, field)]


def test_unknown_preferred_engineer(folder: Path) -> None:
    """A preferred engineer that engineers.csv lacks."""
    edit(folder, "requests.csv", 3, preferred_engineer_id="E404")
    assert where(folder) == [("requests.csv", 3, "preferred_engineer_id")]


def test_unknown_priority(folder: Path) -> None:
    """A priority other than emergency, high and normal."""
    edit(folder, "requests.csv", 4, priority="urgent")
    (problem,) = defects(folder)
    assert (problem.row, problem.field) == (4, "priority")
    assert "emergency" in problem.message


@pytest.mark.parametrize("end", ["08:00", "07:30"], ids=["equal", "before"])
def test_shift_end_not_after_start(folder: Path, end: str) -> None:
    """A shift must end after it starts."""
    edit(folder, "shifts.csv", 2, end=end)
    assert where(folder) == [("shifts.csv", 2, "end")]


def test_break_partially_filled(folder: Path) -> None:
    """A break window without its minutes."""
    edit(folder, "shifts.csv", 2, break_minutes="")
    assert where(folder) == [("shifts.csv", 2, "break_minutes")]


def test_break_window_reversed(folder: Path) -> None:
    """A break window that closes before it opens."""
    edit(folder, "shifts.csv", 2, break_latest="11:00")
    assert where(folder) == [("shifts.csv", 2, "break_latest")]


@pytest.mark.parametrize(
    ("earliest", "latest", "minutes"),
    [("15:45", "16:00", "30"), ("06:00", "07:00", "30"), ("12:00", "12:30", "600")],
    ids=["runs-past-end", "before-shift", "too-long"],
)
def test_break_that_cannot_fit(folder: Path, earliest: str, latest: str, minutes: str) -> None:
    """A break that cannot lie inside the shift (08:00-16:00) from any allowed start."""
    edit(folder, "shifts.csv", 4, break_earliest=earliest, break_latest=latest, break_minutes=minutes)
    assert where(folder) == [("shifts.csv", 4, "break_minutes")]


def test_product_without_any_duration(folder: Path) -> None:
    """A product in no catalogue needs duration_min; its skill is its own name."""
    edit(folder, "requests.csv", 5, product="oven", required_skills="")
    assert where(folder) == [("requests.csv", 5, "duration_min")]
    edit(folder, "requests.csv", 5, duration_min="30")
    assert load_scenario(folder, [DAY]).request_by_id["R0004"].required_skills == {"oven"}


@pytest.mark.parametrize("file", ["requests.csv", "products.csv"])
def test_negative_duration(folder: Path, file: str) -> None:
    """A negative duration, in a request or in the catalogue."""
    edit(folder, file, 2, duration_min="-10")
    (problem,) = defects(folder)
    assert (problem.file, problem.row, problem.field) == (file, 2, "duration_min")
    assert "negative" in problem.message


@pytest.mark.parametrize("value", ["-1", "2.5", "many"])
def test_max_jobs_not_a_count(folder: Path, value: str) -> None:
    """max_jobs must be a non-negative whole number."""
    edit(folder, "engineers.csv", 3, max_jobs=value)
    assert where(folder) == [("engineers.csv", 3, "max_jobs")]


# --- many defects ------------------------------------------------------------------------


def test_every_defect_of_a_file_is_reported(folder: Path) -> None:
    """Defects in several rows and fields of one file are all listed, in file order."""
    edit(folder, "requests.csv", 2, lat="", priority="asap")
    edit(folder, "requests.csv", 4, earliest_date="2026-12-09")
    edit(folder, "requests.csv", 6, duration_min="long")
    assert where(folder) == [
        ("requests.csv", 2, "lat"),
        ("requests.csv", 2, "priority"),
        ("requests.csv", 4, "latest_date"),
        ("requests.csv", 6, "duration_min"),
    ]


def test_defects_of_several_files_are_reported_together(folder: Path) -> None:
    """One load lists the defects of every file, not just of the first bad one."""
    edit(folder, "branches.csv", 2, lon="999")
    edit(folder, "shifts.csv", 5, start="late")
    edit(folder, "requests.csv", 3, promised_end="09:00")
    assert where(folder) == [
        ("branches.csv", 2, "lon"),
        ("shifts.csv", 5, "start"),
        ("requests.csv", 3, "promised_end"),
    ]


def test_missing_columns_of_several_files_are_reported_together(folder: Path) -> None:
    """Structural defects of every file come together, before any row is read."""
    (folder / "slots.csv").write_text("start\n08:00\n", encoding="utf-8")
    (folder / "branches.csv").unlink()
    assert where(folder) == [("branches.csv", None, None), ("slots.csv", None, "end")]


def test_absurd_duration_is_named_not_a_crash(folder: Path) -> None:
    """A duration of 10^12 minutes is a defect of that cell, not an overflow."""
    edit(folder, "requests.csv", 2, duration_min="1e12")
    assert where(folder) == [("requests.csv", 2, "duration_min")]
