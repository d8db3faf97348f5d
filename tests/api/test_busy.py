"""A database too busy to take a write answers 503 with Retry-After, never a 500."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError


def _raising(app: FastAPI, error: Exception) -> TestClient:
    @app.get("/test-only/raise")
    def raise_it() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def test_a_locked_sqlite_database_is_a_503(app: FastAPI) -> None:
    """SQLite's busy timeout running out is an overload: 503, a retry hint, a plain reason."""
    locked = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))
    answer = _raising(app, locked).get("/test-only/raise")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert "busy" in answer.json()["detail"]


def test_other_operational_errors_stay_server_errors(app: FastAPI) -> None:
    """Only the lock is an overload; any other database failure is still a 500."""
    broken = OperationalError("SELECT ...", {}, sqlite3.OperationalError("no such table: x"))
    assert _raising(app, broken).get("/test-only/raise").status_code == 500
