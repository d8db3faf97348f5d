"""Who may do what: 401 without a key, 403 for a role's foreign task, 404 for another branch's data."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer

READS = [
    ("get", "/requests"),
    ("get", "/requests/R0001"),
    ("get", "/plans/current?date=2026-12-01"),
    ("get", "/engineers/E001/route?date=2026-12-01"),
    ("get", "/branches"),
    ("post", "/plans"),
    ("post", "/imports"),
]


@pytest.mark.parametrize(("method", "path"), READS)
def test_no_key_or_an_unknown_key_is_401(loaded: TestClient, method: str, path: str) -> None:
    """Every resource asks for a key; a made-up one is refused the same way."""
    assert loaded.request(method, path).status_code == 401
    assert loaded.request(method, path, headers=bearer("dsp_not-a-key")).status_code == 401


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("planner", "get", "/requests"),
        ("planner", "post", "/requests"),
        ("manager_b01", "post", "/plans"),
        ("manager_b01", "post", "/imports"),
        ("manager_b01", "patch", "/requests/R0001"),
        ("engineer_e001", "get", "/requests"),
        ("engineer_e001", "get", "/plans/current?date=2026-12-01"),
        ("engineer_e001", "get", "/branches"),
    ],
)
def test_a_role_outside_its_task_is_403(
    loaded: TestClient, keys: dict[str, dict[str, str]], who: str, method: str, path: str
) -> None:
    """Planners plan, managers read, engineers see their own route: anything else is forbidden."""
    answer = loaded.request(method, path, headers=keys[who], json={})
    assert answer.status_code == 403, answer.text


def test_a_manager_sees_only_their_branch_and_masked_phones(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """B02's manager lists B02's requests, with phones masked; B01's request does not exist for them."""
    listed = loaded.get("/requests", headers=keys["manager_b02"]).json()
    assert listed and {r["branch_id"] for r in listed} == {"B02"}
    assert all("*" in r["phone"] and r["phone"][:3] == "139" for r in listed)
    assert loaded.get("/requests/R0001", headers=keys["manager_b02"]).status_code == 404
    assert loaded.get("/requests/R0001", headers=keys["manager_b01"]).status_code == 200
    assert loaded.get("/requests", params={"branch": "B01"}, headers=keys["manager_b02"]).json() == []
    assert loaded.get("/engineers/E001", headers=keys["manager_b02"]).status_code == 404
    assert loaded.get("/branches/B01/review?date=2026-12-01", headers=keys["manager_b02"]).status_code == 404


def test_a_coordinator_sees_whole_phone_numbers(loaded: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """The desk calls customers back: it gets the number as stored."""
    answer = loaded.get("/requests/R0001", headers=keys["coordinator"]).json()
    assert answer["phone"] == "13900000001"
    assert answer["address"]


def test_an_engineer_sees_only_their_own_route(loaded: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """Another engineer's route is not found for them, their own exists once a plan is in force."""
    assert (
        loaded.get("/engineers/E002/route?date=2026-12-01", headers=keys["engineer_e001"]).status_code == 404
    )
    assert loaded.get("/engineers/E002", headers=keys["engineer_e001"]).status_code == 404
    assert loaded.get("/engineers/E001", headers=keys["engineer_e001"]).status_code == 200


def test_plans_show_a_manager_their_branch_and_a_planner_no_customer(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """A job for B01 does not exist for B02's manager; the planner's route view carries no phone or address."""
    planner = keys["planner"]
    job = loaded.post(
        "/plans", json={"dates": ["2026-12-01"], "branches": ["B01"], "solution_limit": 1}, headers=planner
    ).json()["id"]
    for _ in range(300):
        state = loaded.get(f"/plans/{job}", headers=planner).json()
        if state["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert state["status"] == "done"
    assert loaded.get(f"/plans/{job}", headers=keys["manager_b02"]).status_code == 404
    assert loaded.get(f"/plans/{job}", headers=keys["manager_b01"]).json()["plan"]["routes"]
    route = loaded.get("/engineers/E001/route?date=2026-12-01", headers=planner).json()
    assert route["stops"] and all(s["phone"] is None and s["address"] is None for s in route["stops"])
    assert loaded.get("/engineers/E003/route?date=2026-12-01", headers=planner).status_code == 404
