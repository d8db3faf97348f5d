"""``/slots/offer`` and ``/bookings``: offers, bookings, roles, conflicts, and bursts against a running service.

The in-process tests run on the small scenario (planned day 2026-12-01) with the app's
clock set to the evening before. The burst tests start ``dispatch serve`` in a subprocess
on SQLite and on PostgreSQL (``DISPATCH_TEST_PG_URL``) and book from 20 threads at once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from data.storage.bookings import broken_bookings, verification_code
from tests.data.test_storage_engines import pg_database  # noqa: F401  (the PostgreSQL fixture)

ZONE = ZoneInfo("Asia/Shanghai")
CALLER = {
    "request_id": "R0100",
    "lat": 31.236,
    "lon": 121.50,
    "product": "water_heater",
    "priority": "normal",
    "earliest_date": "2026-12-01",
    "latest_date": "2026-12-02",
}
Headers = dict[str, dict[str, str]]


@pytest.fixture
def desk(loaded: TestClient, keys: Headers) -> TestClient:
    """The small scenario with the caller stored and the clock on the evening before the planned day."""
    app: FastAPI = loaded.app  # type: ignore[assignment]
    app.state.clock = lambda: datetime(2026, 11, 30, 20, 0, tzinfo=ZONE)
    assert loaded.post("/requests", json=CALLER, headers=keys["coordinator"]).status_code == 201
    return loaded


def offer(client: TestClient, headers: dict[str, str], **extra: Any) -> httpx.Response:
    """Ask for the caller's offers over the planned two days."""
    body = {"request": {**CALLER, **extra}, "days": 2, "start_date": "2026-12-01"}
    answer: httpx.Response = client.post("/slots/offer", json=body, headers=headers)
    return answer


def check(client: TestClient, headers: dict[str, str], day: str) -> list[dict[str, Any]]:
    """Every violation of the plans in force on ``day`` (``/plans/check`` per branch)."""
    found: list[dict[str, Any]] = []
    for current in client.get("/plans/current", params={"date": day}, headers=headers).json():
        body = {"plan": current["plan"], "branches": [current["branch_id"]]}
        found += client.post("/plans/check", json=body, headers=headers).json()["violations"]
    return found


def test_an_offer_booked_becomes_a_kept_promise(desk: TestClient, keys: Headers) -> None:
    """Book the best offer: 201 with work order and code, the plan in force passes the check and
    holds the visit in its slot, and the request is a booked promise."""
    coordinator = keys["coordinator"]
    answer = offer(desk, coordinator)
    assert answer.status_code == 200, answer.text
    offers = answer.json()["offers"]
    assert offers and answer.json()["reason"] is None
    best = offers[0]
    assert {"extra_travel_min", "slack_min", "preferred_engineer", "load_share"} <= set(best["why"])
    body = {k: best[k] for k in ("date", "slot_start", "slot_end")} | {"request_id": "R0100"}
    booked = desk.post("/bookings", json=body, headers=coordinator)
    assert booked.status_code == 201, booked.text
    made = booked.json()
    assert made["engineer_id"] == best["engineer_id"] and len(made["verification_code"]) == 6
    assert made["work_order"].startswith("WO-")
    assert check(desk, coordinator, best["date"]) == []
    plans = desk.get("/plans/current", params={"date": best["date"]}, headers=coordinator).json()
    stops = [s for p in plans for r in p["plan"]["routes"] for s in r["stops"] if s["request_id"] == "R0100"]
    assert [(s["slot_start"], s["slot_end"]) for s in stops] == [(best["slot_start"], best["slot_end"])]
    stored = desk.get("/requests/R0100", headers=coordinator).json()
    assert stored["status"] == "booked" and stored["promised_date"] == best["date"]
    again = desk.get("/bookings/R0100", headers=coordinator).json()
    assert again["verification_code"] == made["verification_code"]


def test_a_slot_nobody_can_honour_is_a_conflict_with_fresh_offers(desk: TestClient, keys: Headers) -> None:
    """Nobody works on 2026-12-03: booking it is a 409 whose body carries offers that do exist."""
    body = {
        "request_id": "R0100",
        "date": "2026-12-03",
        "slot_start": "2026-12-03T08:00:00+08:00",
        "slot_end": "2026-12-03T10:00:00+08:00",
    }
    answer = desk.post("/bookings", json=body, headers=keys["coordinator"])
    assert answer.status_code == 409, answer.text
    assert answer.json()["offers"] and "detail" in answer.json()
    assert desk.get("/requests/R0100", headers=keys["coordinator"]).json()["status"] == "new"


def test_roles(desk: TestClient, keys: Headers) -> None:
    """Planners may offer but not book, engineers neither, a manager only in their own branch."""
    assert offer(desk, keys["planner"]).status_code == 200
    assert offer(desk, keys["engineer_e001"]).status_code == 403
    assert offer(desk, keys["manager_b02"]).status_code == 404
    assert offer(desk, keys["manager_b01"]).status_code == 200
    best = offer(desk, keys["coordinator"]).json()["offers"][0]
    body = {k: best[k] for k in ("date", "slot_start", "slot_end")} | {"request_id": "R0100"}
    assert desk.post("/bookings", json=body, headers=keys["planner"]).status_code == 403
    assert desk.post("/bookings", json=body, headers=keys["manager_b02"]).status_code == 404
    assert desk.post("/bookings", json=body, headers=keys["manager_b01"]).status_code == 201
    assert desk.get("/bookings/R0100", headers=keys["planner"]).status_code == 404


def test_an_imported_service_radius_sets_the_surcharge(desk: TestClient, keys: Headers) -> None:
    """The caller is about 2.6 km from B01: within the default radius, beyond a 1 km radius
    imported with ``branches.csv``, and within again when the radius is emptied."""
    coordinator = keys["coordinator"]

    def radius(value: str) -> list[dict[str, Any]]:
        text = f"branch_id,name,lat,lon,service_radius_km\nB01,浦东网点,31.2304,121.4737,{value}\n"
        files = [("files", ("branches.csv", text.encode(), "text/csv"))]
        assert desk.post("/imports", files=files, headers=coordinator).status_code in (200, 201)
        offers: list[dict[str, Any]] = offer(desk, coordinator).json()["offers"]
        assert offers
        return offers

    assert not any(o["remote_surcharge"] for o in radius(""))
    assert all(o["remote_surcharge"] for o in radius("1"))
    assert not any(o["remote_surcharge"] for o in radius(""))


def test_bad_fields_are_named(desk: TestClient, keys: Headers) -> None:
    """A bad priority and a slot on another day are 422s naming the field, never a 500."""
    answer = offer(desk, keys["coordinator"], priority="urgent")
    assert answer.status_code == 422 and "priority" in str(answer.json()["detail"])
    body = {
        "request_id": "R0100",
        "date": "2026-12-01",
        "slot_start": "2026-12-02T08:00:00+08:00",
        "slot_end": "2026-12-02T10:00:00+08:00",
    }
    answer = desk.post("/bookings", json=body, headers=keys["coordinator"])
    assert answer.status_code == 422 and "slot_start" in str(answer.json()["detail"])


def test_an_emergency_gets_the_earliest_arrival_today(desk: TestClient, keys: Headers) -> None:
    """At 10:30 on the day, an emergency's offers are for that day, earliest first, none before now."""
    app: FastAPI = desk.app  # type: ignore[assignment]
    app.state.clock = lambda: datetime(2026, 12, 1, 10, 30, tzinfo=ZONE)
    answer = desk.post(
        "/slots/offer",
        json={"request": {**CALLER, "priority": "emergency"}, "days": 2},
        headers=keys["coordinator"],
    )
    offers = answer.json()["offers"]
    assert offers and {o["date"] for o in offers} == {"2026-12-01"}
    etas = [o["eta"] for o in offers]
    assert etas == sorted(etas) and etas[0] >= "2026-12-01T10:30:00+08:00"


def test_the_code_changes_with_the_engineer() -> None:
    """The verification code is bound to work order and engineer."""
    secret = "ab" * 32
    assert verification_code(secret, "WO-1", "E001") != verification_code(secret, "WO-1", "E002")
    assert verification_code(secret, "WO-1", "E001") == verification_code(secret, "WO-1", "E001")


def test_a_plan_that_drops_a_booking_is_stale(desk: TestClient, keys: Headers) -> None:
    """A plan job's document without a booking made after it started is found stale; the plan in force is not."""
    best = offer(desk, keys["coordinator"]).json()["offers"][0]
    body = {k: best[k] for k in ("date", "slot_start", "slot_end")} | {"request_id": "R0100"}
    assert desk.post("/bookings", json=body, headers=keys["coordinator"]).status_code == 201
    current = desk.get("/plans/current", params={"date": best["date"]}, headers=keys["coordinator"]).json()
    app: FastAPI = desk.app  # type: ignore[assignment]
    day = date.fromisoformat(best["date"])
    with app.state.sessions.begin() as session:
        since = datetime(2026, 1, 1, tzinfo=ZONE)
        assert broken_bookings(session, {"routes": []}, [day], ["B01"], since) == ["R0100"]
        assert broken_bookings(session, current[0]["plan"], [day], ["B01"], since) == []


# --- bursts against a running service -------------------------------------------------


def _scenario(folder: Path, day: date) -> list[tuple[str, tuple[str, bytes, str]]]:
    """One branch, three engineers (at most four visits each) on ``day``, 30 callers nearby."""
    tables = {
        "branches": "branch_id,name,lat,lon\nB1,Huangpu,31.2304,121.4737\n",
        "engineers": "engineer_id,name,branch_id,skills,start_lat,start_lon,max_jobs,phone\n"
        + "".join(f"E{i},E{i},B1,water_heater,,,4,\n" for i in range(3)),
        "shifts": "engineer_id,date,start,end,break_earliest,break_latest,break_minutes\n"
        + "".join(f"E{i},{day},08:00,18:00,12:00,13:30,60\n" for i in range(3)),
        "requests": "request_id,lat,lon,product,priority,earliest_date,latest_date\n"
        + "".join(
            f"C{i:02d},{31.2304 + 0.002 * (i % 6)},{121.4737 + 0.002 * (i // 6)},water_heater,normal,{day},{day}\n"
            for i in range(30)
        ),
    }
    return [("files", (f"{n}.csv", text.encode(), "text/csv")) for n, text in tables.items()]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'burst.db'}"


def _serve(url: str) -> Iterator[tuple[str, dict[str, str]]]:
    exe = Path(sys.executable).parent / "dispatch"
    env = {**os.environ, "DISPATCH_DATABASE_URL": url}
    key = subprocess.run(
        [exe, "apikey", "create", "--role", "coordinator"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = _port()
    server = subprocess.Popen([exe, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base, {"Authorization": f"Bearer {key}"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _burst(base: str, headers: dict[str, str]) -> None:
    day = datetime.now(ZONE).date() + timedelta(days=2)
    answer = httpx.post(f"{base}/imports", files=_scenario(Path("."), day), headers=headers, timeout=60)
    assert answer.status_code == 201, answer.text
    slots = [("08:00", "10:00"), ("10:00", "12:00")]

    def book(i: int) -> tuple[str, tuple[str, str], int]:
        lo, hi = slots[i % 2]
        body = {
            "request_id": f"C{i:02d}",
            "date": day.isoformat(),
            "slot_start": f"{day}T{lo}:00+08:00",
            "slot_end": f"{day}T{hi}:00+08:00",
        }
        reply = httpx.post(f"{base}/bookings", json=body, headers=headers, timeout=120)
        return body["request_id"], (body["slot_start"], body["slot_end"]), reply.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(book, range(30)))
    assert {code for _, _, code in results} <= {201, 409}
    booked = {rid: slot for rid, slot, code in results if code == 201}
    assert 0 < len(booked) <= 12
    current = httpx.get(f"{base}/plans/current", params={"date": day.isoformat()}, headers=headers).json()
    assert len(current) == 1
    plan = current[0]["plan"]
    verdict = httpx.post(
        f"{base}/plans/check", json={"plan": plan, "branches": ["B1"]}, headers=headers
    ).json()
    assert verdict["violations"] == []
    stops = {s["request_id"]: (s["slot_start"], s["slot_end"]) for r in plan["routes"] for s in r["stops"]}
    assert stops == booked


def test_a_burst_of_bookings_on_sqlite_never_breaks_a_promise(sqlite_url: str) -> None:
    """30 bookings from 20 clients into two slots of three engineers: every 201 is in the stored plan,
    in its slot, the plan passes the check, and nothing else is on it."""
    for base, headers in _serve(sqlite_url):
        _burst(base, headers)


def test_a_burst_of_bookings_on_postgresql_never_breaks_a_promise(pg_database: str) -> None:  # noqa: F811
    """The same burst on PostgreSQL, where bookings serialise on the branch's row lock."""
    from sqlalchemy import text

    from data.storage.db import make_engine
    from data.storage.models import Base

    engine = make_engine(pg_database)
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    for base, headers in _serve(pg_database):
        _burst(base, headers)


def test_booking_planned_work_moves_it_into_its_promise(desk: TestClient, keys: Headers) -> None:
    """R0100 is planned by a plan job; booking it into another slot moves it there: it is on the plan
    once, in the promised slot, and the plan passes the check."""
    coordinator = keys["coordinator"]
    job = desk.post("/plans", json={"dates": ["2026-12-01"], "time_limit_s": 1}, headers=coordinator).json()[
        "id"
    ]
    for _ in range(300):
        if desk.get(f"/plans/{job}", headers=coordinator).json()["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    before = desk.get("/plans/current", params={"date": "2026-12-01"}, headers=coordinator).json()
    planned = [
        s for p in before for r in p["plan"]["routes"] for s in r["stops"] if s["request_id"] == "R0100"
    ]
    assert len(planned) == 1
    slot = (
        ("15:00", "17:00") if not planned[0]["slot_start"].endswith("15:00:00+08:00") else ("13:00", "15:00")
    )
    body = {
        "request_id": "R0100",
        "date": "2026-12-01",
        "slot_start": f"2026-12-01T{slot[0]}:00+08:00",
        "slot_end": f"2026-12-01T{slot[1]}:00+08:00",
    }
    assert desk.post("/bookings", json=body, headers=coordinator).status_code == 201
    assert check(desk, coordinator, "2026-12-01") == []
    after = desk.get("/plans/current", params={"date": "2026-12-01"}, headers=coordinator).json()
    stops = [s for p in after for r in p["plan"]["routes"] for s in r["stops"] if s["request_id"] == "R0100"]
    assert [s["slot_start"] for s in stops] == [body["slot_start"]]


def test_a_plan_job_that_started_before_a_booking_is_refused_as_stale(
    loaded: TestClient, keys: Headers
) -> None:
    """A job runs; meanwhile a new caller is stored and booked. The job's plan, which lacks the caller,
    is not put in force: the job fails as stale and the booking stays in the plan in force."""
    coordinator = keys["coordinator"]
    app: FastAPI = loaded.app  # type: ignore[assignment]
    app.state.clock = lambda: datetime(2026, 11, 30, 20, 0, tzinfo=ZONE)
    job = loaded.post(
        "/plans", json={"dates": ["2026-12-01"], "time_limit_s": 3}, headers=coordinator
    ).json()["id"]
    for _ in range(100):
        if loaded.get(f"/plans/{job}", headers=coordinator).json()["status"] == "running":
            break
        time.sleep(0.05)
    assert loaded.post("/requests", json=CALLER, headers=coordinator).status_code == 201
    best = offer(loaded, coordinator).json()["offers"][0]
    body = {k: best[k] for k in ("date", "slot_start", "slot_end")} | {"request_id": "R0100"}
    assert loaded.post("/bookings", json=body, headers=coordinator).status_code == 201
    for _ in range(200):
        state = loaded.get(f"/plans/{job}", headers=coordinator).json()
        if state["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert state["status"] == "failed" and "stale" in state["error"] and "R0100" in state["error"]
    assert check(loaded, coordinator, best["date"]) == []
