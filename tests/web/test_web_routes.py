"""``/desk``: the page, its files and Leaflet served by the app, the tile setting, the day's jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role, create_key
from api.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """A started service on an empty SQLite file."""
    return TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", geocoder="none")))


def test_the_page_and_leaflet_are_served_without_a_cdn(client: TestClient) -> None:
    """The page, its modules and Leaflet come from the app itself; the page names no other host."""
    with client:
        page = client.get("/desk/")
        assert page.status_code == 200 and 'id="board"' in page.text
        assert "http://" not in page.text and "https://" not in page.text
        for path in (
            "/desk/static/app.js",
            "/desk/static/style.css",
            "/desk/leaflet/leaflet.js",
            "/desk/leaflet/leaflet.css",
        ):
            assert client.get(path).status_code == 200, path
        assert client.get("/desk/static/../routes/web.py").status_code == 404


def test_tiles_are_off_unless_configured(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """No tile URL by default (offline sites); DISPATCH_TILE_URL turns tiles on."""
    with client:
        assert client.get("/desk/config").json()["tile_url"] == ""
        monkeypatch.setenv("DISPATCH_TILE_URL", "http://tiles.example/{z}/{x}/{y}.png")
        assert client.get("/desk/config").json()["tile_url"].endswith("{y}.png")


def test_the_days_jobs_need_a_key_and_a_day(client: TestClient) -> None:
    """Without a key a 401; without a date a 422 naming it; with both the (empty) list."""
    with client:
        app = client.app
        with app.state.sessions.begin() as session:  # type: ignore[attr-defined]
            key = create_key(session, Role.PLANNER)
        assert client.get("/desk/jobs?date=2026-12-01").status_code == 401
        missing = client.get("/desk/jobs", headers={"Authorization": f"Bearer {key}"})
        assert missing.status_code == 422 and "date" in missing.json()["detail"][0]["loc"]
        assert (
            client.get("/desk/jobs?date=2026-12-01", headers={"Authorization": f"Bearer {key}"}).json() == []
        )
