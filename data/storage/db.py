"""Engines, sessions and migrations: SQLite embedded by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

#: The folder holding ``alembic.ini`` and ``migrations/``.
ROOT = Path(__file__).resolve().parents[2]


#: Connections kept open: as many as the server's worker threads may use at once.
POOL = {"pool_size": 20, "max_overflow": 30}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        pool = POOL if ":memory:" not in url and "isolation_level" not in kwargs else {}
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **pool, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        with engine.connect() as connection:  # WAL is a property of the file: set once
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    pool = POOL if "isolation_level" not in kwargs else {}
    return create_engine(url, pool_pre_ping=True, **pool, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory the service and the CLI open units of work from."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessions(engine: Engine) -> sessionmaker[Session]:
    """The factory of units of work that only read: autocommit, so no BEGIN and COMMIT round trips.

    They share ``engine``'s pool. PostgreSQL at READ COMMITTED gives each statement its own
    snapshot inside a transaction too, and SQLite's driver opens none for a SELECT, so a
    read sees the same data either way; no autoflush, as nothing is written.
    """
    return sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=False
    )


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of the project, aimed at ``url`` when given."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the database's schema up to the newest migration."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
