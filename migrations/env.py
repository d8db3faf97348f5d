"""Alembic's environment: migrate the connection handed over, or the configured URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from data.storage import models_ops  # noqa: F401  (registers the service's tables)
from data.storage.db import make_engine
from data.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection or on ``DISPATCH_DATABASE_URL``."""
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = os.environ.get("DISPATCH_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    engine = make_engine(str(url))
    with engine.connect() as connection:
        _run(connection)
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
run_migrations_online()
