"""``/plans/edits`` over HTTP: draw a move, save a checked edit, refuse violations, stale bases and strangers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role, create_key
from api.settings import Settings

SMALL = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "small"
DAY = "2026-12-01"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """The service with the small scenario imported and planned for 2026-12-01, and keys per role."""
    app: FastAPI = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'edits.db'}", geocoder="none"))
    with TestClient(app) as client:
        with app.state.sessions.begin() as session:
            made = {
                "coordinator": create_key(session, Role.COORDINATOR),
                "manager_b01": create_key(session, Role.BRANCH_MANAGER, ("B01",)),
                "manager_b02": create_key(session, Role.BRANCH_MANAGER, ("B02",)),
                "engineer": create_key(session, Role.ENGINEER, (), "E001"),
            }
        keys = {k: {"Authorization": f"Bearer {v}"} for k, v in made.items()}
        files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(SMALL.glob("*.csv"))]
        assert client.post("/imports", files=files, headers=keys["coordinator"]).status_code == 201
        job = client.post(
            "/plans", json={"dates": [DAY], "time_limit_s": 1}, headers=keys["coordinator"]
        ).json()
        for _ in range(200):
            if client.get(f"/plans/{job['id']}", headers=keys["coordinator"]).json()["status"] == "done":
                break
            time.sleep(0.05)
        yield client, keys


def _current(client: TestClient, key: dict[str, str]) -> tuple[dict[str, Any], dict[str, int]]:
    plans = client.get(f"/plans/current?date={DAY}", headers=key).json()
    merged = {"dates": sorted({d for p in plans for d in p["plan"]["dates"]}), "kpis": {},
              "routes": [r for p in plans for r in p["plan"]["routes"]],
              "unassigned": [u for p in plans for u in p["plan"]["unassigned"]]}  # fmt: skip
    return merged, {p["branch_id"]: p["plan_id"] for p in plans}


def test_the_plan_in_force_saved_again_is_a_new_version(desk: Any) -> None:
    """An unchanged plan passes the check and is put in force as the next version, figures recomputed."""
    client, keys = desk
    plan, based_on = _current(client, keys["coordinator"])
    saved = client.post(
        "/plans/edits", json={"plan": plan, "based_on": based_on}, headers=keys["coordinator"]
    )
    assert saved.status_code == 201, saved.text
    again = client.get(f"/plans/current?date={DAY}", headers=keys["coordinator"]).json()
    assert {p["version"] for p in again} == {saved.json()["version"]} and saved.json()["version"] == 2
    assert all("branches" in p["plan"]["kpis"] for p in again)


def test_a_stale_edit_is_a_conflict(desk: Any) -> None:
    """An edit made on a plan no longer in force is refused with 409, and nothing changes."""
    client, keys = desk
    plan, based_on = _current(client, keys["coordinator"])
    stale = {b: i + 1000 for b, i in based_on.items()}
    answer = client.post("/plans/edits", json={"plan": plan, "based_on": stale}, headers=keys["coordinator"])
    assert answer.status_code == 409 and "reload" in answer.json()["detail"]


def test_a_move_without_the_skills_is_refused_with_its_violation(desk: Any) -> None:
    """Drawing the move works; /plans/check and the save both name the `skills` violation; nothing stored."""
    client, keys = desk
    plan, based_on = _current(client, keys["coordinator"])
    served = {s["request_id"]: r["engineer_id"] for r in plan["routes"] for s in r["stops"]}
    assert served.get("R0001") == "E001"  # the gas emergency: only E001 holds gas_cert
    body = {
        "plan": plan,
        "branches": sorted(based_on),
        "request_id": "R0001",
        "engineer_id": "E002",
        "date": DAY,
    }
    drawn = client.post("/plans/edits/move", json=body, headers=keys["coordinator"])
    assert drawn.status_code == 200, drawn.text
    moved = drawn.json()["plan"]
    check = client.post(
        "/plans/check", json={"plan": moved, "branches": sorted(based_on)}, headers=keys["coordinator"]
    )
    assert ("skills", "R0001", "E002") in {
        (v["code"], v["request_id"], v["engineer_id"]) for v in check.json()["violations"]
    }
    saved = client.post(
        "/plans/edits", json={"plan": moved, "based_on": based_on}, headers=keys["coordinator"]
    )
    assert saved.status_code == 422
    assert "skills" in {v["code"] for v in saved.json()["detail"]["violations"]}
    assert _current(client, keys["coordinator"])[1] == based_on


def test_roles_and_branches(desk: Any) -> None:
    """An engineer may not edit (403); a manager's edit of another branch is a 404."""
    client, keys = desk
    plan, based_on = _current(client, keys["coordinator"])
    body = {"plan": plan, "based_on": based_on}
    assert client.post("/plans/edits", json=body, headers=keys["engineer"]).status_code == 403
    assert client.post("/plans/edits", json=body, headers=keys["manager_b02"]).status_code == 404
    move = {"plan": plan, "branches": ["B01"], "request_id": "R0001", "engineer_id": "E002", "date": DAY}
    assert client.post("/plans/edits/move", json=move, headers=keys["manager_b02"]).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"request_id": "R9999"}, "request_id"),
        ({"engineer_id": "E003", "date": "2026-12-03"}, "engineer_id"),
        ({"slot_start": "2026-12-01T10:00:00+08:00"}, "slot_end"),
    ],
)
def test_an_undrawable_move_is_a_422_naming_the_field(desk: Any, change: dict[str, str], field: str) -> None:
    """Unknown request, no shift that day, half a slot: 422 with the field in ``loc``."""
    client, keys = desk
    plan, based_on = _current(client, keys["coordinator"])
    body = {
        "plan": plan,
        "branches": sorted(based_on),
        "request_id": "R0001",
        "engineer_id": "E002",
        "date": DAY,
    }
    answer = client.post("/plans/edits/move", json={**body, **change}, headers=keys["coordinator"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == field


def test_a_manager_edits_their_branch_against_the_whole_network(desk: Any) -> None:
    """A manager's own part is checked joined with the other branches' plans; only their branch changes version."""
    client, keys = desk
    mine, based_on = _current(client, keys["manager_b01"])
    assert list(based_on) == ["B01"]
    saved = client.post(
        "/plans/edits", json={"plan": mine, "based_on": based_on}, headers=keys["manager_b01"]
    )
    assert saved.status_code == 201, saved.text
    versions = {
        p["branch_id"]: p["version"]
        for p in client.get(f"/plans/current?date={DAY}", headers=keys["coordinator"]).json()
    }
    assert versions == {"B01": 2, "B02": 1}
    theirs, _ = _current(client, keys["coordinator"])
    smuggled = {**mine, "routes": theirs["routes"]}
    refused = client.post(
        "/plans/edits",
        json={"plan": smuggled, "based_on": {"B01": saved.json()["plan_id"]}},
        headers=keys["manager_b01"],
    )
    assert refused.status_code == 422 and "E003" in refused.json()["detail"][0]["msg"]
