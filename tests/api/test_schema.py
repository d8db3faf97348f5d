"""Schemathesis against ``/openapi.json``: no input, however odd, makes the service answer 500.

Every operation is called with generated inputs as a coordinator (who may do everything)
on the small scenario; jobs get a one-second budget at most.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.security import Role, create_key
from api.settings import Settings
from tests.api.conftest import SMALL, bearer, upload

FOLDER = Path(tempfile.mkdtemp(prefix="dispatch-schema-"))
APP = create_app(Settings(database_url=f"sqlite:///{FOLDER / 'desk.db'}", max_time_limit_s=1.0))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def started() -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The service started on the small scenario, and a coordinator's header."""
    try:
        with TestClient(APP) as client:
            with APP.state.sessions.begin() as session:
                header = bearer(create_key(session, Role.COORDINATOR))
            assert client.post("/imports", files=upload(SMALL), headers=header).status_code == 201
            yield client, header
    finally:
        shutil.rmtree(FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(
    case: schemathesis.Case[Any], started: tuple[TestClient, dict[str, str]]
) -> None:
    """Whatever the body, path or query, the answer is below 500."""
    response = case.call(headers=started[1])
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
