"""``/requests``: idempotent posts, errors naming the field, filters, versions and the lifecycle."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

NEW: dict[str, Any] = {
    "request_id": "R0100",
    "received_at": "2026-11-30T21:00:00+08:00",
    "customer": "Mr Sun",
    "phone": "13911112222",
    "address": "Pudong Ave 100",
    "lat": 31.23,
    "lon": 121.48,
    "product": "gas_stove",
    "priority": "high",
    "required_skills": ["gas_stove", "gas_cert"],
    "earliest_date": "2026-12-01",
    "latest_date": "2026-12-02",
}


def _count(client: TestClient, headers: dict[str, str]) -> int:
    return len(client.get("/requests", headers=headers).json())


def test_the_same_request_posted_twice_is_stored_once(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """201 the first time, 200 and no change the second; a list mixing both is stored once each."""
    desk = keys["coordinator"]
    before = _count(loaded, desk)
    first = loaded.post("/requests", json=NEW, headers=desk)
    again = loaded.post("/requests", json=NEW, headers=desk)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["required_skills"] == "gas_stove;gas_cert"
    assert first.json()["status"] == "new" and first.json()["branch_id"] == "B01"
    batch = loaded.post(
        "/requests", json=[NEW, {**NEW, "request_id": "R0101"}, {**NEW, "request_id": "R0101"}], headers=desk
    )
    assert batch.status_code == 201 and [r["request_id"] for r in batch.json()] == ["R0100", "R0101", "R0101"]
    assert _count(loaded, desk) == before + 2


def test_other_content_under_a_stored_id_is_a_conflict(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """Posting is no way to overwrite: a changed request under the same id is a 409."""
    desk = keys["coordinator"]
    loaded.post("/requests", json=NEW, headers=desk)
    answer = loaded.post("/requests", json={**NEW, "fault": "now it leaks"}, headers=desk)
    assert answer.status_code == 409 and "PATCH" in answer.json()["detail"]


def test_bad_values_are_a_422_naming_each_field_and_nothing_is_written(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """The contract's own checks name the field (and the item of a list); no item is stored."""
    desk = keys["coordinator"]
    before = _count(loaded, desk)
    bad = {**NEW, "request_id": "R0102", "priority": "urgent", "lat": 95.0}
    answer = loaded.post("/requests", json=[{**NEW, "request_id": "R0103"}, bad], headers=desk)
    assert answer.status_code == 422
    where = {tuple(d["loc"]) for d in answer.json()["detail"]}
    assert where == {("body", 1, "priority"), ("body", 1, "lat")}
    typed = loaded.post("/requests", json={**NEW, "lat": "north"}, headers=desk)
    assert typed.status_code == 422 and typed.json()["detail"][0]["loc"][-1] == "lat"
    assert _count(loaded, desk) == before


def test_filters_narrow_the_list(loaded: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """By date (promise or allowed days), branch, status and priority."""
    desk = keys["coordinator"]
    loaded.post(
        "/requests", json={**NEW, "earliest_date": "2026-12-05", "latest_date": "2026-12-06"}, headers=desk
    )

    def ids(**params: str) -> set[str]:
        return {r["request_id"] for r in loaded.get("/requests", params=params, headers=desk).json()}

    assert "R0100" in ids(date="2026-12-05") and "R0100" not in ids(date="2026-12-01")
    assert "R0002" in ids(date="2026-12-01") and "R0002" not in ids(date="2026-12-02")
    assert ids(branch="B02") == {"R0003", "R0005"}
    assert ids(priority="emergency") == {"R0001"}
    assert ids(status="booked") == {"R0002"}


def test_an_update_on_a_stale_version_is_a_409(loaded: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """Two coordinators edit version 1: the first wins, the second is told to reload."""
    desk = keys["coordinator"]
    version = loaded.get("/requests/R0004", headers=desk).json()["version"]
    first = loaded.patch("/requests/R0004", json={"version": version, "fault": "very noisy"}, headers=desk)
    second = loaded.patch("/requests/R0004", json={"version": version, "customer": "Ms Wu Li"}, headers=desk)
    assert first.status_code == 200 and first.json()["version"] == version + 1
    assert second.status_code == 409
    stored = loaded.get("/requests/R0004", headers=desk).json()
    assert (stored["fault"], stored["customer"]) == ("very noisy", "Ms Wu")


def test_the_lifecycle_refuses_to_reopen_finished_work(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """new -> in_progress -> done is allowed; done is final; a bad new value is checked like a post."""
    desk = keys["coordinator"]
    moved = loaded.patch("/requests/R0004", json={"version": 1, "status": "in_progress"}, headers=desk)
    done = loaded.patch("/requests/R0004", json={"version": 2, "status": "done"}, headers=desk)
    assert (moved.status_code, done.status_code) == (200, 200)
    assert (
        loaded.patch("/requests/R0004", json={"version": 3, "status": "new"}, headers=desk).status_code == 409
    )
    bad = loaded.patch("/requests/R0003", json={"version": 1, "promised_date": "2026-12-01"}, headers=desk)
    assert bad.status_code == 422 and {d["loc"][-1] for d in bad.json()["detail"]} == {
        "promised_start",
        "promised_end",
    }


def test_without_coordinates_and_geocoder_a_request_waits_for_a_location(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """It is stored, open, with the reason; never dropped."""
    answer = loaded.post("/requests", json={**NEW, "lat": None, "lon": None}, headers=keys["coordinator"])
    assert answer.status_code == 201
    body = answer.json()
    assert body["lat"] is None and body["branch_id"] is None and "geocoder" in body["location_issue"]
