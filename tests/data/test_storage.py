"""Storage on SQLite and on PostgreSQL: imports, the problem from stored rows, versions, plans, restarts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm.exc import StaleDataError

from data.contract import load_scenario
from data.storage.db import make_read_sessions, make_sessions
from data.storage.imports import Upload, import_files
from data.storage.models import BranchRow, RequestRow
from data.storage.models_ops import CurrentPlanRow, PlanJobRow
from data.storage.plans import (
    FAILED,
    RUNNING,
    create_job,
    current_plan,
    engineer_day,
    fail_interrupted,
    store_plan,
)
from data.storage.problem import build_problem
from data.storage.requests import Conflict, add_request, update_request
from data.travel import GeodesicTravel
from dispatch.errors import InputError
from tests.data import test_storage_engines as engines

SMALL = Path(__file__).resolve().parent / "fixtures" / "small"
ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)

# The engines of test_storage_engines: SQLite and PostgreSQL.
engine, pg_database = engines.engine, engines.pg_database


def small_uploads(**replace: str) -> list[Upload]:
    """The small scenario's files, some replaced by the given text (keyword = table name)."""
    files = {p.stem: p.read_bytes() for p in SMALL.glob("*.csv")}
    files.update({k: v.encode() for k, v in replace.items()})
    return [Upload(f"{name}.csv", content) for name, content in files.items()]


def imported(engine: Engine) -> None:
    """Import the small scenario."""
    with make_sessions(engine).begin() as session:
        import_files(session, small_uploads(), ZONE)


def test_problem_from_stored_rows_equals_the_contract_reader(engine: Engine) -> None:
    """Stored rows rebuild the same problem as reading the files: one home for contract parsing."""
    imported(engine)
    with make_sessions(engine)() as session:
        stored = build_problem(session, [DAY], None, ZONE, GeodesicTravel()).problem
    read = load_scenario(SMALL, [DAY])
    assert stored.request_by_id == read.request_by_id
    assert stored.engineer_by_id == read.engineer_by_id
    assert stored.shift_by_key == {k: s for k, s in read.shift_by_key.items() if k[1] == DAY}
    assert sorted(stored.branch_by_id) == sorted(read.branch_by_id)


def test_a_bad_import_names_file_row_field_and_writes_nothing(engine: Engine) -> None:
    """Every defect is listed by file, row and field; not one row is stored."""
    text = (
        (SMALL / "requests.csv")
        .read_text()
        .replace("31.2350,121.5050", "91.0,121.5050")
        .replace(",high,", ",urgent,")
    )
    with pytest.raises(InputError) as caught, make_sessions(engine).begin() as session:
        import_files(session, small_uploads(requests=text), ZONE)
    where = {(p.file, p.row, p.field) for p in caught.value.problems}
    assert ("requests.csv", 2, "lat") in where
    assert ("requests.csv", 4, "priority") in where
    with make_sessions(engine)() as session:
        assert session.scalar(select(func.count()).select_from(BranchRow)) == 0
        assert session.scalar(select(func.count()).select_from(RequestRow)) == 0


def test_reimport_changes_nothing_and_a_partial_import_uses_stored_tables(engine: Engine) -> None:
    """The same files again bump no version; requests.csv alone is checked against stored engineers."""
    imported(engine)
    imported(engine)
    sessions = make_sessions(engine)
    with sessions() as session:
        assert set(session.scalars(select(RequestRow.version))) == {1}
    extra = "request_id,lat,lon,product,priority,preferred_engineer_id\nR0100,31.2,121.4,water_heater,normal,E009\n"
    with pytest.raises(InputError) as caught, sessions.begin() as session:
        import_files(session, [Upload("requests.csv", extra.encode())], ZONE)
    assert [(p.file, p.row, p.field) for p in caught.value.problems] == [
        ("requests.csv", 2, "preferred_engineer_id")
    ]
    with sessions.begin() as session:
        import_files(session, [Upload("requests.csv", extra.replace("E009", "E001").encode())], ZONE)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(RequestRow)) == 6


def _values(request_id: str, **more: object) -> dict[str, object]:
    return {
        "request_id": request_id,
        "lat": 31.2,
        "lon": 121.4,
        "product": "water_heater",
        "priority": "normal",
        **more,
    }


def test_adding_a_request_twice_stores_it_once_and_other_content_conflicts(engine: Engine) -> None:
    """Idempotent on request_id; a different request under a used id is a conflict."""
    imported(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        _, first = add_request(session, _values("R9"), None, ZONE)
        _, second = add_request(session, _values("R9"), None, ZONE)
        assert (first, second) == (True, False)
        with pytest.raises(Conflict):
            add_request(session, _values("R9", fault="leaks"), None, ZONE)
    with sessions() as session:
        row = session.get(RequestRow, "R9")
        assert row is not None and row.branch_id == "B01" and row.status == "new"


def test_a_stale_version_is_refused_even_between_two_sessions(engine: Engine) -> None:
    """An update made on an old version is a conflict; so is a race the version column catches."""
    imported(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        row = session.get(RequestRow, "R0001")
        assert row is not None
        update_request(session, row, 1, {"fault": "gas smell, urgent"}, None, None)
        assert row.version == 2
        with pytest.raises(Conflict):
            update_request(session, row, 1, {"fault": "overwritten"}, None, None)
    one, two = sessions(), sessions()
    a, b = one.get(RequestRow, "R0001"), two.get(RequestRow, "R0001")
    assert a is not None and b is not None
    a.fault = "first"
    one.commit()
    b.fault = "second"
    with pytest.raises(StaleDataError):
        two.commit()
    one.close()
    two.close()


def test_plans_are_versioned_and_the_newest_is_in_force(engine: Engine) -> None:
    """Each plan for a day and branch gets the next version and replaces the one in force."""
    imported(engine)
    route = {"engineer_id": "E001", "date": DAY.isoformat(), "stops": [{"request_id": "R0001"}]}
    doc = {"dates": [DAY.isoformat()], "routes": [route]}
    with make_sessions(engine).begin() as session:
        first = store_plan(session, doc, [DAY], ["B01"])
        second = store_plan(session, doc, [DAY], ["B01", "B02"])
        assert (first.version, second.version) == (1, 2)
        in_force = current_plan(session, DAY, "B01")
        assert in_force is not None and in_force.id == second.id
        assert session.scalar(select(func.count()).select_from(CurrentPlanRow)) == 2
        served = session.get(RequestRow, "R0001")
        assert served is not None and served.status == "planned"
        found = engineer_day(session, "E001", DAY)
        assert found is not None and (found.plan_id, found.version, found.route) == (second.id, 2, route)


def test_an_engineers_day_is_the_plan_in_force_of_their_branch_read_at_once(engine: Engine) -> None:
    """engineer_day: a route, none in the plan, no plan in force, no engineer."""
    imported(engine)
    route = {"engineer_id": "E001", "date": DAY.isoformat(), "stops": [{"request_id": "R0001"}]}
    with make_sessions(engine).begin() as session:
        plan = store_plan(session, {"dates": [DAY.isoformat()], "routes": [route]}, [DAY], ["B01"])
    with make_read_sessions(engine)() as session:
        e001, e002, e003 = (engineer_day(session, e, DAY) for e in ("E001", "E002", "E003"))
        assert e001 is not None and (e001.plan_id, e001.version, e001.route) == (plan.id, 1, route)
        assert (e001.branch_id, e001.start_lat, e001.branch_lat) == ("B01", None, 31.2304)
        assert e002 is not None and (e002.plan_id, e002.route, e002.start_lat) == (plan.id, None, 31.24)
        assert e003 is not None and (e003.branch_id, e003.plan_id, e003.route) == ("B02", None, None)
        assert session.get(CurrentPlanRow, (DAY, "B02")) is None
        assert engineer_day(session, "E999", DAY) is None
        other_day = engineer_day(session, "E001", date(2026, 12, 2))
        assert other_day is not None and other_day.plan_id is None


def test_a_read_session_opens_no_transaction_and_hands_back_a_clean_connection(engine: Engine) -> None:
    """A read runs in autocommit (no BEGIN); the pooled connection it used writes in a transaction again."""
    imported(engine)
    with make_read_sessions(engine)() as session:
        assert session.scalar(select(func.count()).select_from(BranchRow)) == 2
        raw = session.connection().connection.dbapi_connection
        open_transaction = (
            raw.in_transaction if engine.dialect.name == "sqlite" else raw.info.transaction_status != 0  # type: ignore[union-attr]
        )
        assert not open_transaction
    with make_sessions(engine)() as session:  # the same pooled connection, in a transaction again
        session.execute(update(BranchRow).values(name="renamed"))
        session.rollback()
        assert set(session.scalars(select(BranchRow.name))) == {"浦东网点", "Minhang outlet"}


def test_a_restart_fails_the_jobs_it_interrupted(engine: Engine) -> None:
    """Queued and running jobs left behind are marked failed, with a reason; finished ones stay."""
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        running = create_job(session, [DAY], None, 1.0)
        running.status = RUNNING
        queued = create_job(session, [DAY], ["B01"], 1.0)
        ids = running.id, queued.id
    with sessions.begin() as session:
        assert fail_interrupted(session) == 2
    with sessions() as session:
        jobs = [session.get(PlanJobRow, i) for i in ids]
        assert all(j is not None and j.status == FAILED and "restart" in (j.error or "") for j in jobs)


def test_requests_without_a_location_are_unassigned_with_their_reason(engine: Engine) -> None:
    """A request waiting for coordinates is kept out of the problem and listed with the reason."""
    imported(engine)
    with make_sessions(engine).begin() as session:
        add_request(session, _values("R77", lat=None, lon=None), "the geocoder found no place", ZONE)
        scoped = build_problem(session, [DAY], ["B01"], ZONE, GeodesicTravel())
    assert "R77" not in scoped.problem.request_by_id
    assert [(u.request_id, u.reason, u.detail) for u in scoped.unplaced] == [
        ("R77", "needs_location", "the geocoder found no place")
    ]
