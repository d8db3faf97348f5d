"""Plan jobs decomposed by branch: the backend choice, per-branch progress, a valid plan, 422s."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.test_plans import finished, import_city, submit, wait


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
