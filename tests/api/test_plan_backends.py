"""Plan jobs decomposed by branch: the backend choice, per-branch progress, a valid plan, 422s."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from api.planning import SINGLE_MODEL_MAX_REQUESTS, resolved
from dispatch.model import Branch
from tests.api.test_plans import finished, import_city, submit, wait
from tests.solver.builders import CENTRE, near, problem, request


def test_a_process_job_plans_by_branch_and_reports_each(
    client: TestClient, keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    """backend=process: done, every branch reported done, the plan passes the stored-data check."""
    desk, planner = keys["coordinator"], keys["planner"]
    import_city(client, desk, tmp_path, engineers=12, requests=60)
    state = wait(
        client, submit(client, planner, time_limit_s=5, backend="process", workers=1), planner, finished
    )
    assert state["status"] == "done", state
    assert state["backend"] == "process"
    assert state["message"].startswith("decomposed: 4 parts")
    first = {p["key"] for p in state["branch_progress"] if not p["key"].endswith("/2")}
    assert first == {f"B0{i}@2026-12-01" for i in range(1, 5)}
    assert all(p["state"] == "done" for p in state["branch_progress"])
    assert client.post("/plans/check", json={"plan": state["plan"]}, headers=planner).json() == {
        "violations": []
    }
    manager = wait(client, state["id"], keys["manager_b01"], finished)
    assert {p["key"].split("@")[0] for p in manager["branch_progress"]} == {"B01"}


def test_an_unknown_backend_is_a_422_naming_it(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """backend must be one of auto, single, process, ray; workers at least 1."""
    body = {"dates": ["2026-12-01"], "backend": "threads"}
    answer = client.post("/plans", json=body, headers=keys["planner"])
    assert answer.status_code == 422 and "backend" in answer.text
    answer = client.post("/plans", json={**body, "backend": "ray", "workers": 0}, headers=keys["planner"])
    assert answer.status_code == 422 and "workers" in answer.text


def test_auto_solves_one_model_up_to_a_thousand_requests_then_by_branch() -> None:
    """auto: one model for small days or one branch; the process pool beyond 1,000 requests."""
    two = [Branch("B1", "B1", CENTRE), Branch("B2", "B2", near(0.1, 0.1))]
    small = replace(
        problem([], [], [request(f"R{i}") for i in range(SINGLE_MODEL_MAX_REQUESTS)]), branches=two
    )
    big = replace(small, requests=[*small.requests, request("R-extra")])
    assert resolved(small, "auto") == "single"
    assert resolved(big, "auto") == "process"
    assert resolved(replace(big, branches=two[:1]), "auto") == "single"
    assert resolved(small, "ray") == "ray"
