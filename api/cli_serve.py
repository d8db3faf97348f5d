"""``dispatch serve`` and ``dispatch apikey create``: the HTTP service from the command line."""

from __future__ import annotations

import sys
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from api.security import Role, create_key
from api.settings import Settings
from data.storage.db import make_engine, make_sessions, migrate

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="DISPATCH_DATABASE_URL",
        help="SQLAlchemy URL of the database (default: SQLite dispatch.db).",
    ),
]


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo network into an empty database.")
    ] = False,
) -> None:
    """Start the dispatch desk's HTTP service (OpenAPI at /docs)."""
    import uvicorn

    from api.app import create_app, load_demo

    settings = _settings(database_url)
    if demo:
        engine = make_engine(settings.database_url)
        migrate(engine)
        sessions = make_sessions(engine)
        load_demo(sessions, ZoneInfo(settings.zone))
        with sessions.begin() as session:
            key = create_key(session, Role.COORDINATOR)
        engine.dispose()
        typer.echo(f"demo coordinator key: {key}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def apikey_create(
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    branch: Annotated[
        list[str] | None, typer.Option(help="A branch a manager's key may read (repeat).")
    ] = None,
    engineer: Annotated[str | None, typer.Option(help="The engineer an engineer's key belongs to.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make an API key; prints the key alone (it is stored hashed and shown only now)."""
    engine = make_engine(_settings(database_url).database_url)
    try:
        migrate(engine)
        with make_sessions(engine).begin() as session:
            key = create_key(session, role, branch or (), engineer)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    typer.echo(key)
