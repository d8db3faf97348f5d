"""The desk page in a real browser: one service per test module (uvicorn in a thread, SQLite,
the demo network, a short plan in force) and Debian's headless Chromium driven by Playwright.

The browser tests skip, saying why, only when ``/usr/bin/chromium`` or Playwright is missing
(``.ci/run`` installs both). Screenshots go to ``tests/web/screenshots/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn

from api.app import create_app, load_demo
from api.security import Role, create_key
from api.settings import Settings
from data.storage.db import make_engine, make_sessions, migrate

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
#: The demo plan's search budget: short, the tests look at the page, not at the plan's quality.
PLAN_SECONDS = 2.0


@dataclass(frozen=True)
class Desk:
    """A running service with the demo network and a plan in force for ``day``."""

    url: str
    day: date
    keys: dict[str, str]
    database_url: str

    def call(self, method: str, path: str, key: str = "coordinator", **kwargs: Any) -> httpx.Response:
        """One API call as the holder of ``key``."""
        headers = {"Authorization": f"Bearer {self.keys[key]}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=60, **kwargs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare(database_url: str) -> dict[str, str]:
    """Load the demo network and make keys: a coordinator, a planner, the manager of B01."""
    engine = make_engine(database_url)
    migrate(engine)
    sessions = make_sessions(engine)
    load_demo(sessions, ZoneInfo(Settings().zone))
    with sessions.begin() as session:
        keys = {
            "coordinator": create_key(session, Role.COORDINATOR),
            "planner": create_key(session, Role.PLANNER),
            "manager_b01": create_key(session, Role.BRANCH_MANAGER, ("B01",)),
        }
    engine.dispose()
    return keys


def _plan(desk: Desk) -> None:
    answer = desk.call("POST", "/plans", json={"dates": [desk.day.isoformat()], "time_limit_s": PLAN_SECONDS})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = desk.call("GET", f"/plans/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            assert job["status"] == "done", job
            return
        time.sleep(0.3)
    raise AssertionError("the demo plan did not finish in 120 s")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The service on its own port and SQLite file, the demo day planned."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('desk') / 'desk.db'}"
    keys = _prepare(database_url)
    settings = Settings(database_url=database_url, geocoder="none")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    found = Desk(f"http://127.0.0.1:{port}", date.today() + timedelta(days=1), keys, database_url)
    _plan(found)
    yield found
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium under Playwright (no browser download)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, desk: Desk) -> Iterator[Any]:
    """A fresh 1366x768 page that refuses every request leaving the machine (no tiles, no CDN)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(desk.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
    assert not outside, f"the page reached outside the service: {outside[:3]}"


def sign_in(page: Any, desk: Desk, key: str = "coordinator") -> None:
    """Open the desk on the demo day and sign in with ``key`` through the password field."""
    page.goto(f"{desk.url}/desk/?date={desk.day.isoformat()}")
    field = page.locator("#api-key")
    assert field.get_attribute("type") == "password"
    field.fill(desk.keys[key])
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_selector("[data-engineer-id]")


def screenshot(page: Any, name: str) -> Path:
    """Keep a screenshot of the page under ``tests/web/screenshots``; its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path
