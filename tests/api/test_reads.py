"""The desk's reads: few round trips, no writes, keys never cached, the same answers on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, select

from api.app import create_app
from api.deps import SessionDep
from api.security import Role, create_key, hash_key
from api.settings import Settings
from data.storage.db import make_engine
from data.storage.models import BranchRow
from data.storage.models_ops import ApiKeyRow
from data.storage.plans import store_plan
from tests.api.conftest import SMALL, bearer, upload
from tests.data.test_storage_engines import _empty, pg_database  # noqa: F401  (the PostgreSQL fixture)

DAY = date(2026, 12, 1)
STOP = {"slot_start": "2026-12-01T08:00:00+08:00", "slot_end": "2026-12-01T10:00:00+08:00",
        "arrival": "2026-12-01T08:20:00+08:00", "start": "2026-12-01T08:20:00+08:00",
        "end": "2026-12-01T09:10:00+08:00", "travel_minutes": 20.0, "travel_km": 7.5}  # fmt: skip


def plan_b01(app: FastAPI) -> None:
    """Put a plan in force for B01 on DAY: E001 visits R0001 then R0002, E002 has no route."""
    route = {"engineer_id": "E001", "date": DAY.isoformat(), "break": None,
             "stops": [{**STOP, "request_id": "R0001"}, {**STOP, "request_id": "R0002"}],
             "return_travel_minutes": 15.0, "return_travel_km": 6.0}  # fmt: skip
    with app.state.sessions.begin() as session:
        store_plan(session, {"dates": [DAY.isoformat()], "routes": [route], "unassigned": []}, [DAY], ["B01"])


@pytest.fixture
def planned(loaded: TestClient) -> TestClient:
    """The small scenario with a plan in force for B01 on DAY."""
    plan_b01(loaded.app)  # type: ignore[arg-type]
    return loaded


def test_a_route_read_is_three_statements(planned: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """The key, the engineer's day (engineer, plan in force, route, branch) and the stops' requests: no more."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        answer = planned.get(
            "/engineers/E001/route", params={"date": DAY.isoformat()}, headers=keys["coordinator"]
        )
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert answer.status_code == 200 and [s["request_id"] for s in answer.json()["stops"]] == [
        "R0001",
        "R0002",
    ]
    assert statements == ["SELECT", "SELECT", "SELECT"]


def test_another_branchs_engineer_is_not_found_exactly_like_a_missing_one(
    planned: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """B02's manager and E002 get for E001 the very answer an unknown engineer gets: nothing leaks."""
    day = {"date": DAY.isoformat()}
    for who in ("manager_b02", "engineer_e001"):
        target = "E001" if who == "manager_b02" else "E002"
        hidden = planned.get(f"/engineers/{target}/route", params=day, headers=keys[who])
        missing = planned.get("/engineers/E404/route", params=day, headers=keys[who])
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"] == missing.json()["detail"].replace("E404", target)
    no_plan = planned.get("/engineers/E003/route", params=day, headers=keys["coordinator"])
    assert no_plan.status_code == 404 and "plan in force" in no_plan.json()["detail"]
    empty = planned.get("/engineers/E002/route", params=day, headers=keys["manager_b01"]).json()
    assert empty["stops"] == [] and (empty["home_lat"], empty["home_lon"]) == (31.24, 121.5)


def test_a_deleted_key_is_refused_at_the_next_call(loaded: TestClient) -> None:
    """Keys are looked up on every call, never cached: deleting one revokes it at once."""
    app: FastAPI = loaded.app  # type: ignore[assignment]
    with app.state.sessions.begin() as session:
        key = create_key(session, Role.COORDINATOR)
    assert loaded.get("/requests", headers=bearer(key)).status_code == 200
    with app.state.sessions.begin() as session:
        session.execute(delete(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key)))
    assert loaded.get("/requests", headers=bearer(key)).status_code == 401


def test_a_read_that_changes_a_stored_object_fails_and_stores_nothing(loaded: TestClient) -> None:
    """GETs read in autocommit: one that modifies a row is a bug, raised rather than kept or half-written."""
    app: FastAPI = loaded.app  # type: ignore[assignment]

    @app.get("/test-only/rename")
    def rename(session: SessionDep) -> None:
        branch = session.get(BranchRow, "B01")
        assert branch is not None
        branch.name = "renamed by a read"

    with pytest.raises(RuntimeError, match="reads must not write"):
        loaded.get("/test-only/rename")
    with app.state.sessions() as session:
        assert session.scalar(select(BranchRow.name).where(BranchRow.branch_id == "B01")) == "浦东网点"


@pytest.fixture
def on_postgresql(pg_database: str) -> Iterator[TestClient]:  # noqa: F811
    """The service on the run's PostgreSQL database, emptied, with the small scenario imported."""
    engine = make_engine(pg_database)
    _empty(engine)
    engine.dispose()
    with TestClient(create_app(Settings(database_url=pg_database, geocoder="none"))) as client:
        yield client


def test_reads_answer_the_same_on_postgresql_as_on_sqlite(
    planned: TestClient, keys: dict[str, dict[str, str]], on_postgresql: TestClient
) -> None:
    """Routes (every role, JSON and GeoJSON) and request lists answer the same on both databases."""
    app: FastAPI = on_postgresql.app  # type: ignore[assignment]
    with app.state.sessions.begin() as session:
        pg_keys = {
            "coordinator": bearer(create_key(session, Role.COORDINATOR)),
            "planner": bearer(create_key(session, Role.PLANNER)),
            "manager_b01": bearer(create_key(session, Role.BRANCH_MANAGER, ["B01"])),
            "engineer_e001": bearer(create_key(session, Role.ENGINEER, (), "E001")),
        }
    imported = on_postgresql.post("/imports", files=upload(SMALL), headers=pg_keys["coordinator"])
    assert imported.status_code == 201, imported.text
    plan_b01(app)
    reads = [f"/engineers/{e}/route?date={DAY.isoformat()}{f}" for e in ("E001", "E002", "E003")
             for f in ("", "&format=geojson")] + [f"/requests?date={DAY.isoformat()}", "/requests?branch=B01&limit=2"]  # fmt: skip
    compared = 0
    for who, headers in pg_keys.items():
        for target in reads:
            lite, pg = planned.get(target, headers=keys[who]), on_postgresql.get(target, headers=headers)
            assert (lite.status_code, lite.headers["content-type"]) == (
                pg.status_code,
                pg.headers["content-type"],
            )
            if lite.status_code == 200:
                stamps = ("created_at", "updated_at")
                same = (
                    [{k: v for k, v in r.items() if k not in stamps} for r in x.json()]
                    if target.startswith("/requests")
                    else x.json()
                    for x in (lite, pg)
                )
                assert next(same) == next(same), (who, target)
                compared += 1
    assert compared >= 12
