"""The dispatch desk's HTTP service: ``create_app(settings)`` builds it, its lifespan owns the state.

The lifespan opens the database (migrating it to the newest schema), marks jobs that a
previous run left unfinished as failed, and starts the plan-job runner; it closes them in
reverse. Nothing lives at module level: every app made here has its own.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from api.jobs import PlanJobs
from api.routes import bookings, branches, engineers, imports, plan_edits, plans, replan, requests, web
from api.settings import Settings
from data.generate import generate_city
from data.geocode import Locator, make_geocoder
from data.storage.db import make_engine, make_read_sessions, make_sessions, migrate
from data.storage.imports import Upload, import_files
from data.storage.models import BranchRow
from data.storage.requests import Conflict
from data.travel import GeodesicTravel
from dispatch.errors import InputError

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service over the database of ``settings`` (from the environment when not given)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        migrate(engine)
        _start(app, settings, engine)
        try:
            yield
        finally:
            app.state.jobs.close()
            engine.dispose()

    app = FastAPI(
        title="Dispatch desk",
        summary="Repair requests, engineers, calendars and plans of an after-sales repair network.",
        version="1",
        lifespan=lifespan,
    )
    for module in (imports, requests, plans, plan_edits, engineers, branches, replan, bookings):
        app.include_router(module.router)
    web.install(app)
    _add_handlers(app)
    return app


def _start(app: FastAPI, settings: Settings, engine: Engine) -> None:
    zone = ZoneInfo(settings.zone)
    sessions = make_sessions(engine)
    travel = GeodesicTravel(settings.speed_kmh, settings.circuity)
    app.state.settings, app.state.sessions, app.state.travel = settings, sessions, travel
    app.state.read_sessions = make_read_sessions(engine)
    app.state.locator = make_locator(settings)
    app.state.jobs = PlanJobs(sessions, zone, travel, settings.solver_threads)
    app.state.jobs.recover()
    if settings.demo:
        load_demo(sessions, zone)


def make_locator(settings: Settings) -> Locator:
    """The geocoder the settings ask for, rate-limited, or one that places nothing."""
    if settings.geocoder == "none":
        return Locator("none", None)
    geocoder = make_geocoder(
        settings.geocoder, settings.geocoder_url, settings.geocoder_key, settings.geocoder_timeout_s,
        settings.geocoder_user_agent,
    )  # fmt: skip
    return Locator(
        settings.geocoder, geocoder, settings.geocoder_datum or None, settings.geocoder_min_delay_s
    )


def load_demo(sessions: sessionmaker[Session], zone: ZoneInfo, seed: int = 7) -> bool:
    """Import the seeded demo network (work for tomorrow) into an empty database; whether it did."""
    with sessions.begin() as session:
        if session.scalar(select(BranchRow).limit(1)) is not None:
            return False
        tables = generate_city(seed, date.today() + timedelta(days=1))
        uploads = []
        for name, frame in tables.items():
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False)
            uploads.append(Upload(f"{name}.csv", buffer.getvalue().encode("utf-8")))
        import_files(session, uploads, zone)
    log.info("loaded the demo network")
    return True


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def unusable_input(_: Request, exc: InputError) -> JSONResponse:
        detail = [
            {"file": p.file, "row": p.row, "field": p.field, "message": p.message} for p in exc.problems
        ]
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status.HTTP_409_CONFLICT)

    @app.exception_handler(StaleDataError)
    async def stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            {"detail": "changed by someone else meanwhile; reload it"}, status.HTTP_409_CONFLICT
        )

    @app.exception_handler(OperationalError)
    async def busy(_: Request, exc: OperationalError) -> JSONResponse:
        """SQLite's write lock not granted within its busy timeout: an overload, said as one."""
        if "database is locked" not in str(exc.orig):
            raise exc
        log.warning("database busy: %s", exc.orig)
        return JSONResponse(
            {"detail": "the database is busy with other writes; try again"},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"Retry-After": "1"},
        )

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        """Whether the service is up (no key needed)."""
        return {"status": "ok"}
