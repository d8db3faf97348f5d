"""Plan jobs through the API: done with a valid plan covering all open work, stop, restart, versions."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role, create_key
from api.settings import Settings
from data.generate import generate_city, write_scenario
from data.plan_io import plan_from_dict
from data.storage.models_ops import PlanJobRow
from data.storage.problem import build_problem
from data.travel import GeodesicTravel
from dispatch.validate import validate
from tests.api.conftest import SMALL, bearer, upload

DAY = date(2026, 12, 1)


def import_city(
    client: TestClient, headers: dict[str, str], folder: Path, engineers: int, requests: int
) -> None:
    """Generate a city and import it through the API."""
    write_scenario(generate_city(5, DAY, engineers=engineers, requests=requests), folder)
    answer = client.post("/imports", files=upload(folder), headers=headers)
    assert answer.status_code == 201, answer.text


def wait(
    client: TestClient, job: str, headers: dict[str, str], until: Any, seconds: float = 90
) -> dict[str, Any]:
    """Poll the job until ``until(job)`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state: dict[str, Any] = client.get(f"/plans/{job}", headers=headers).json()
        if until(state):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job} never got there: {state}")


def finished(state: dict[str, Any]) -> bool:
    """Whether a job is over."""
    return state["status"] in ("done", "failed", "cancelled")


def submit(client: TestClient, headers: dict[str, str], **body: Any) -> str:
    """Queue a job; its id."""
    answer = client.post("/plans", json={"dates": [DAY.isoformat()], **body}, headers=headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def test_a_job_ends_done_with_a_valid_plan_holding_every_open_request_once(
    client: TestClient, keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    """Done, progress 1; closed work left out, unplaced and other-day work explained; the validator agrees."""
    desk, planner = keys["coordinator"], keys["planner"]
    import_city(client, desk, tmp_path, engineers=8, requests=40)
    assert (
        client.patch("/requests/R0001", json={"version": 1, "status": "cancelled"}, headers=desk).status_code
        == 200
    )
    later = {"request_id": "R0900", "lat": 31.2, "lon": 121.45, "product": "water_heater", "priority": "normal",
             "promised_date": "2026-12-03", "promised_start": "08:00", "promised_end": "10:00"}  # fmt: skip
    client.post(
        "/requests", json=[later, {**later, "request_id": "R0901", "lat": None, "lon": None}], headers=desk
    )
    state = wait(client, submit(client, planner, time_limit_s=2), planner, finished)
    assert state["status"] == "done" and state["progress"] == 1.0 and state["version"] == 1
    plan = state["plan"]
    seen = Counter(
        [s["request_id"] for r in plan["routes"] for s in r["stops"]]
        + [u["request_id"] for u in plan["unassigned"]]
    )
    open_ids = {
        r["request_id"]
        for r in client.get("/requests?limit=1000", headers=desk).json()
        if r["status"] not in ("done", "cancelled")
    }
    assert set(seen) == open_ids and set(seen.values()) == {1}
    reasons = {u["request_id"]: u["reason"] for u in plan["unassigned"]}
    assert (reasons["R0900"], reasons["R0901"]) == ("promised_other_day", "needs_location")
    assert client.post("/plans/check", json={"plan": plan}, headers=planner).json() == {"violations": []}
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        scoped = build_problem(session, [DAY], None, ZoneInfo("Asia/Shanghai"), GeodesicTravel())
    located = plan_from_dict(
        {**plan, "unassigned": [u for u in plan["unassigned"] if u["request_id"] != "R0901"]},
        scoped.problem.zone,
    )
    assert validate(scoped.problem, located) == []


def test_stopping_a_job_keeps_the_best_plan_found(
    client: TestClient, keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    """DELETE during the search: cancelled well before its budget, with a valid plan that serves work."""
    desk, planner = keys["coordinator"], keys["planner"]
    import_city(client, desk, tmp_path, engineers=16, requests=100)
    started = time.monotonic()
    job = submit(client, planner, time_limit_s=60)
    wait(client, job, planner, lambda s: "solution" in s["message"] or finished(s))
    assert client.delete(f"/plans/{job}", headers=planner).status_code == 200
    state = wait(client, job, planner, finished)
    assert state["status"] == "cancelled" and time.monotonic() - started < 45
    plan = state["plan"]
    assert sum(len(r["stops"]) for r in plan["routes"]) > 0
    assert client.post("/plans/check", json={"plan": plan}, headers=planner).json() == {"violations": []}
    assert (
        client.get("/plans/current", params={"date": DAY.isoformat()}, headers=planner).json()[0]["plan_id"]
        == state["plan_id"]
    )


def test_a_restart_fails_running_jobs_which_can_be_retried(settings: Settings, tmp_path: Path) -> None:
    """A job left running by a stopped service is failed at startup, and its retry runs."""
    with TestClient(create_app(settings)) as first:
        with first.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
            key = bearer(create_key(session, Role.COORDINATOR))
            session.add(PlanJobRow(id="a" * 32, status="running", progress=0.4, message="", dates=[DAY.isoformat()],
                                   branches=None, time_limit_s=1.0, solution_limit=None, error=None, created_at=datetime.now(UTC)))  # fmt: skip
        assert first.post("/imports", files=upload(SMALL), headers=key).status_code == 201
    with TestClient(create_app(settings)) as second:
        state = second.get(f"/plans/{'a' * 32}", headers=key).json()
        assert state["status"] == "failed" and "restart" in state["error"]
        again = second.post(f"/plans/{'a' * 32}/retry", headers=key)
        assert again.status_code == 202
        redone = wait(second, again.json()["id"], key, finished)
        assert redone["status"] == "done" and redone["retry_of"] == "a" * 32


def test_each_new_plan_is_the_next_version_in_force(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """Two plans for the same day: the second is version 2 and in force for both branches."""
    planner = keys["planner"]
    for _ in range(2):
        last = wait(loaded, submit(loaded, planner, solution_limit=1, time_limit_s=1), planner, finished)
    current = loaded.get("/plans/current", params={"date": DAY.isoformat()}, headers=planner).json()
    assert [(c["branch_id"], c["version"], c["plan_id"]) for c in current] == [
        ("B01", 2, last["plan_id"]),
        ("B02", 2, last["plan_id"]),
    ]
    mine = loaded.get("/plans/current", params={"date": DAY.isoformat()}, headers=keys["manager_b02"]).json()
    assert [c["branch_id"] for c in mine] == ["B02"]
    assert {r["engineer_id"] for r in mine[0]["plan"]["routes"]} <= {"E003"}


def test_a_route_comes_as_json_geojson_and_icalendar(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """The engineer's own day: the same stops in every format, the way home closing the line."""
    wait(loaded, submit(loaded, keys["planner"], solution_limit=1, time_limit_s=1), keys["planner"], finished)
    mine = keys["engineer_e001"]
    route = loaded.get("/engineers/E001/route", params={"date": DAY.isoformat()}, headers=mine).json()
    assert route["stops"] and all(
        s["phone"].startswith("139") and "*" not in s["phone"] for s in route["stops"]
    )
    geo = loaded.get(
        "/engineers/E001/route", params={"date": DAY.isoformat(), "format": "geojson"}, headers=mine
    )
    line = geo.json()["features"][0]["geometry"]["coordinates"]
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert (
        line[0] == line[-1] == [route["home_lon"], route["home_lat"]] and len(line) == len(route["stops"]) + 2
    )
    ics = loaded.get("/engineers/E001/route", params={"date": DAY.isoformat(), "format": "ics"}, headers=mine)
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == len(route["stops"]) + (1 if route["break"] else 0)


@pytest.mark.parametrize("edit", ["late", "dropped"])
def test_a_hand_edited_plan_is_checked_against_the_stored_data(
    loaded: TestClient, keys: dict[str, dict[str, str]], edit: str
) -> None:
    """A visit moved out of its slot, or a request left out, is reported."""
    planner = keys["planner"]
    plan = wait(loaded, submit(loaded, planner, solution_limit=1, time_limit_s=1), planner, finished)["plan"]
    stop = plan["routes"][0]["stops"][0]
    if edit == "late":
        stop["start"] = stop["end"] = stop["slot_end"][:11] + "23:00:00+08:00"
    else:
        plan["routes"][0]["stops"].remove(stop)
    found = loaded.post("/plans/check", json={"plan": plan}, headers=planner).json()["violations"]
    assert found and stop["request_id"] in {v["request_id"] for v in found}
