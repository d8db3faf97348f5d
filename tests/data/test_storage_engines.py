"""Engines for the storage tests: a fresh SQLite file, and a fresh database on a real PostgreSQL.

PostgreSQL is the server at ``DISPATCH_TEST_PG_URL`` (default: trust auth on 127.0.0.1:5432,
as ``.ci/postgres`` sets up). Each test run makes its own database and drops it after; each
test starts from empty tables. Without a server the PostgreSQL cases are skipped, except
under CI, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine, Table, make_url, text
from sqlalchemy.exc import OperationalError

from data.storage import models_ops  # noqa: F401  (registers the service's tables)
from data.storage.db import make_engine, migrate
from data.storage.models import Base

PG_URL = os.environ.get("DISPATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """The URL of a new, migrated PostgreSQL database for this test run (dropped afterwards)."""
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        connection = admin.connect()
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL answers at {PG_URL}: {exc.orig}")
    name = f"dispatch_test_{uuid.uuid4().hex[:12]}"
    connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.close()
        admin.dispose()


def _empty(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: SQLite in a file, or the run's PostgreSQL database."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        migrate(made)
    else:
        made = make_engine(request.getfixturevalue("pg_database"))
        _empty(made)
    try:
        yield made
    finally:
        made.dispose()


def test_migrations_create_every_table_at_head(engine: Engine) -> None:
    """Alembic's migrations alone build every table the models declare, on both databases."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    from data.storage.db import alembic_config

    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_routes_migration_fills_in_the_plans_already_stored(tmp_path: Path) -> None:
    """A database at revision 0001 with a stored plan: upgrading copies its routes into plan_routes."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import insert, select

    from data.storage.db import alembic_config
    from data.storage.models_ops import PlanRouteRow, PlanRow

    made = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    route = {"engineer_id": "E1", "date": "2026-12-01", "stops": []}
    with made.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        plans = cast(Table, PlanRow.__table__)
        stored = {
            "id": 1,
            "version": 1,
            "dates": ["2026-12-01"],
            "branches": ["B1"],
            "document": {"routes": [route]},
        }
        connection.execute(insert(plans).values(**stored, created_at=datetime(2026, 11, 30, tzinfo=UTC)))
    migrate(made)
    with made.connect() as connection:
        rows = connection.execute(select(PlanRouteRow.__table__)).all()
    made.dispose()
    assert [(r.plan_id, r.engineer_id, str(r.date), r.route) for r in rows] == [
        (1, "E1", "2026-12-01", route)
    ]
