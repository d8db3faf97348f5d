"""Requests posted with an address and no coordinates: placed through the (local) geocoder, or kept waiting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role, create_key
from api.settings import Settings
from tests.api.conftest import SMALL, bearer, upload
from tests.data import test_geocode
from tests.data.test_geocode import FakeProvider

# The loopback provider of the geocoding tests.
provider = test_geocode.provider


@pytest.fixture
def desk(provider: FakeProvider, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The service geocoding through the fake Nominatim, on the small scenario, and a coordinator's header."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", geocoder="nominatim",
                        geocoder_url=provider.url, geocoder_min_delay_s=0.0)  # fmt: skip
    with TestClient(create_app(settings)) as client:
        with client.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
            header = bearer(create_key(session, Role.COORDINATOR))
        assert client.post("/imports", files=upload(SMALL), headers=header).status_code == 201
        yield client, header


def test_an_address_is_placed_and_given_its_branch(
    desk: tuple[TestClient, dict[str, str]], provider: FakeProvider
) -> None:
    """The provider's point becomes the request's coordinates; the nearest branch plans it."""
    client, header = desk
    body = {
        "request_id": "R0300",
        "address": "上海市浦东新区世纪大道100号",
        "product": "water_heater",
        "priority": "normal",
    }
    stored = client.post("/requests", json=body, headers=header).json()
    assert (stored["lat"], stored["lon"], stored["branch_id"], stored["location_issue"]) == (
        31.2350,
        121.5050,
        "B01",
        None,
    )
    assert client.post("/requests", json=body, headers=header).status_code == 200
    assert len(provider.calls) == 1


def test_an_address_nobody_knows_waits_with_the_reason(desk: tuple[TestClient, dict[str, str]]) -> None:
    """Stored, open, without coordinates, with the provider's answer as the reason; a later fix places it."""
    client, header = desk
    body = {
        "request_id": "R0301",
        "address": "nowhere street 0",
        "product": "water_heater",
        "priority": "normal",
    }
    stored = client.post("/requests", json=body, headers=header).json()
    assert (
        stored["lat"] is None and "found no place" in stored["location_issue"] and stored["status"] == "new"
    )
    fixed = client.patch(
        "/requests/R0301", json={"version": 1, "lat": 31.11, "lon": 121.38}, headers=header
    ).json()
    assert (fixed["location_issue"], fixed["branch_id"]) == (None, "B02")
