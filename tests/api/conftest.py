"""Fixtures of the service tests: an app on a fresh SQLite file, keys for every role, the small scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role, create_key
from api.settings import Settings

SMALL = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "small"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings of a service on its own SQLite file, with no geocoder."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", geocoder="none")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app, not yet started."""
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the started app (its lifespan runs around the test)."""
    with TestClient(app) as started:
        yield started


def bearer(key: str) -> dict[str, str]:
    """The header that sends ``key``."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(client: TestClient) -> dict[str, dict[str, str]]:
    """Auth headers per holder: coordinator, planner, managers of B01 and B02, engineer E001."""
    made = {
        "coordinator": (Role.COORDINATOR, (), None),
        "planner": (Role.PLANNER, (), None),
        "manager_b01": (Role.BRANCH_MANAGER, ("B01",), None),
        "manager_b02": (Role.BRANCH_MANAGER, ("B02",), None),
        "engineer_e001": (Role.ENGINEER, (), "E001"),
    }
    app: FastAPI = client.app  # type: ignore[assignment]
    with app.state.sessions.begin() as session:
        return {name: bearer(create_key(session, role, b, e)) for name, (role, b, e) in made.items()}


def upload(folder: Path, *names: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The multipart ``files`` parts of the named files of ``folder`` (all CSVs when none named)."""
    paths = [folder / n for n in names] if names else sorted(folder.glob("*.csv"))
    return [("files", (p.name, p.read_bytes(), "text/csv")) for p in paths]


@pytest.fixture
def loaded(client: TestClient, keys: dict[str, dict[str, str]]) -> TestClient:
    """The client after importing the small scenario (2 branches, 3 engineers, 4 requests)."""
    answer = client.post("/imports", files=upload(SMALL), headers=keys["coordinator"])
    assert answer.status_code == 201, answer.text
    return client
