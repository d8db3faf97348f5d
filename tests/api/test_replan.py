"""``POST /events`` and ``POST /plans/{id}/replan``: lifecycle, history kept, a new version in force, roles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api.routes.replan
import solver.replan
from data.storage.plans import store_plan
from tests.api.test_plans import DAY, finished, submit, wait

NOW = "2026-12-01T10:40:00+08:00"


def _planned(client: TestClient, keys: dict[str, dict[str, str]]) -> tuple[str, dict[str, Any]]:
    """A done plan job on the small scenario: its id and plan document."""
    job = submit(client, keys["coordinator"], time_limit_s=1)
    state = wait(client, job, keys["coordinator"], finished)
    assert state["status"] == "done", state
    return job, state["plan"]


def test_events_then_replan_keep_history_and_store_a_new_version(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """A visit started and a cancellation change the requests; the re-plan keeps the visit and explains the cancel."""
    job, plan = _planned(loaded, keys)
    stops = sorted((s for r in plan["routes"] for s in r["stops"]), key=lambda s: s["start"])
    first, last = stops[0], stops[-1]
    events = [
        {"type": "visit_started", "request_id": first["request_id"], "at": first["start"]},
        {"type": "cancellation", "request_id": last["request_id"]},
    ]
    answer = loaded.post(
        "/events", json={"date": DAY.isoformat(), "events": events}, headers=keys["coordinator"]
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["accepted"] == 2 and answer.json()["recorded_in"]
    stored = loaded.get(f"/requests/{last['request_id']}", headers=keys["coordinator"]).json()
    assert stored["status"] == "cancelled"
    answer = loaded.post(
        f"/plans/{job}/replan", json={"now": NOW, "time_limit_s": 1}, headers=keys["coordinator"]
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["violations"] == []
    assert body["version"] == 2
    kept = [s for r in body["plan"]["routes"] for s in r["stops"] if s["request_id"] == first["request_id"]]
    assert kept and kept[0]["start"] == first["start"], "the started visit stays as it happened"
    reasons = {u["request_id"]: u["reason"] for u in body["plan"]["unassigned"]}
    assert reasons[last["request_id"]] == "cancelled"
    assert set(body["diff"]) >= {"moved", "reassigned", "broken_promises", "dropped", "notify"}
    current = loaded.get(f"/plans/current?date={DAY}", headers=keys["coordinator"]).json()
    assert {c["version"] for c in current} == {2}


def test_malformed_events_are_a_422_naming_the_field(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """An event without its time, or about an unknown request, is refused whole, naming the event and field."""
    events = [{"type": "no_show", "request_id": "R0001"}]
    answer = loaded.post(
        "/events", json={"date": DAY.isoformat(), "events": events}, headers=keys["coordinator"]
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0] == {
        "file": "events",
        "row": 1,
        "field": "at",
        "message": "required, but empty",
    }
    events = [{"type": "cancellation", "request_id": "NOPE"}]
    answer = loaded.post(
        "/events", json={"date": DAY.isoformat(), "events": events}, headers=keys["coordinator"]
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["message"] == "unknown request NOPE"


def test_engineers_may_not_post_events_or_replan(loaded: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """The engineer role is refused both calls; an unknown job is a 404 for a coordinator."""
    events = [{"type": "cancellation", "request_id": "R0004"}]
    body = {"date": DAY.isoformat(), "events": events}
    assert loaded.post("/events", json=body, headers=keys["engineer_e001"]).status_code == 403
    job = "0" * 32
    assert (
        loaded.post(f"/plans/{job}/replan", json={"now": NOW}, headers=keys["engineer_e001"]).status_code
        == 403
    )
    assert (
        loaded.post(f"/plans/{job}/replan", json={"now": NOW}, headers=keys["coordinator"]).status_code == 404
    )


def test_a_plan_put_in_force_during_the_replan_is_not_overwritten(
    loaded: TestClient, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A booking (here: any plan put in force) committed while the re-plan searches wins: the
    re-plan is a 409 and the plan in force stays the newer one."""
    job, plan = _planned(loaded, keys)
    app: FastAPI = loaded.app  # type: ignore[assignment]
    real = solver.replan.replan  # what the route module imported

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        with app.state.sessions() as other:
            store_plan(other, plan, [DAY], ["B01", "B02"])
            other.commit()
        return real(*args, **kwargs)

    monkeypatch.setattr(api.routes.replan, "replan", meanwhile)
    answer = loaded.post(
        f"/plans/{job}/replan", json={"now": NOW, "time_limit_s": 1}, headers=keys["coordinator"]
    )
    assert answer.status_code == 409, answer.text
    assert "changed meanwhile" in answer.json()["detail"]
    current = loaded.get(f"/plans/current?date={DAY}", headers=keys["coordinator"]).json()
    assert {c["version"] for c in current} == {2}, "the plan put in force meanwhile stays in force"
