"""``/desk``: the dispatch desk's web page, its static files, Leaflet, and its settings.

The page is plain HTML, CSS and JavaScript modules in ``api/web``; Leaflet comes from the
``XStatic-Leaflet`` package (installed with the service, no CDN). Map tiles come from
``DISPATCH_TILE_URL`` when set; without it the routes draw over a plain background.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import xstatic.pkg.leaflet as leaflet
from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select

from api.deps import Reader, SessionDep
from data.storage.models_ops import PlanJobRow
from data.storage.plans import DONE

#: The page's own files.
WEB_DIR = Path(__file__).resolve().parents[1] / "web"

router = APIRouter(prefix="/desk", tags=["desk"])


class DeskSettings(BaseSettings):
    """The page's settings from ``DISPATCH_*`` variables: the map's tile source, if any."""

    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    tile_url: str = ""
    tile_attribution: str = ""


class DeskConfig(BaseModel):
    """What the page needs to know before it draws: where map tiles come from (empty: none)."""

    tile_url: str
    tile_attribution: str
    leaflet_version: str


@router.get("", include_in_schema=False)
def desk_root() -> RedirectResponse:
    """The page lives at ``/desk/``."""
    return RedirectResponse("/desk/")


@router.get("/", include_in_schema=False)
def desk_page() -> FileResponse:
    """The dispatch desk page."""
    return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")


@router.get("/config")
def desk_config() -> DeskConfig:
    """The page's settings: the map's tile URL template (empty means draw without tiles)."""
    settings = DeskSettings()
    return DeskConfig(
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        leaflet_version=leaflet.VERSION,
    )


class DayJob(BaseModel):
    """A finished plan job of a day: what a re-plan of that day's branches is asked on."""

    id: str
    branches: list[str] | None
    plan_id: int | None


@router.get("/jobs")
def day_jobs(user: Reader, session: SessionDep, date_: Annotated[date, Query(alias="date")]) -> list[DayJob]:
    """The finished plan jobs that planned ``date``, newest first (a manager's branches only)."""
    query = select(PlanJobRow).where(PlanJobRow.status == DONE).order_by(PlanJobRow.created_at.desc())
    visible = user.visible_branches
    out = []
    for job in session.scalars(query.limit(200)):
        if date_.isoformat() not in job.dates:
            continue
        if visible is not None and not visible & set(job.branches or visible):
            continue
        out.append(DayJob(id=job.id, branches=job.branches, plan_id=job.plan_id))
    return out


def install(app: FastAPI) -> None:
    """Serve the page, its files under ``/desk/static`` and Leaflet under ``/desk/leaflet``."""
    app.include_router(router)
    app.mount("/desk/static", StaticFiles(directory=WEB_DIR), name="desk-static")
    app.mount("/desk/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="desk-leaflet")
