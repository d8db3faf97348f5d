"""``/engineers``: the crew, their calendars (absences from ``.ics``) and their routes."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Coordinator, CurrentUser, DeskReader, SessionDep, ZoneDep, not_found
from api.routes.params import BranchQuery, PathId
from api.routes.route_view import geojson, ics, route_of
from api.schemas.common import Message
from api.schemas.scenario import AbsencePublic, CalendarPublic, EngineerPublic, RoutePublic, ShiftPublic
from api.security import Principal, Role
from data.ics import read_absences
from data.storage.models import AbsenceRow, BranchRow, EngineerRow, ShiftRow

router = APIRouter(prefix="/engineers", tags=["engineers"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Message},
    403: {"model": Message},
    404: {"model": Message},
}


class RouteFormat(StrEnum):
    """How a route is delivered."""

    JSON = "json"
    GEOJSON = "geojson"
    ICS = "ics"


def visible_engineer(session: Session, engineer_id: str, user: Principal) -> EngineerRow:
    """The engineer, if the caller may see them: managers their branches', engineers themselves."""
    row = session.get(EngineerRow, engineer_id)
    if row is None or not user.sees_engineer(engineer_id, row.branch_id):
        raise not_found(f"engineer {engineer_id}")
    return row


def _public(session: Session, row: EngineerRow, user: Principal) -> EngineerPublic:
    branch = session.get(BranchRow, row.branch_id)
    home = (
        (row.start_lat, row.start_lon)
        if row.start_lat is not None
        else (branch.lat, branch.lon)
        if branch
        else (0.0, 0.0)
    )
    skills = sorted(t.strip() for t in row.skills.split(";") if t.strip())
    phone = row.phone if user.role is not Role.PLANNER else None
    return EngineerPublic(engineer_id=row.engineer_id, name=row.name, branch_id=row.branch_id, skills=skills,
                          home_lat=float(home[0] or 0.0), home_lon=float(home[1] or 0.0), max_jobs=row.max_jobs, phone=phone)  # fmt: skip


@router.get("", responses=_ERRORS)
def read_engineers(user: DeskReader, session: SessionDep, branch: BranchQuery = None) -> list[EngineerPublic]:
    """The engineers (of a branch), a manager's own branches only."""
    query = select(EngineerRow).order_by(EngineerRow.engineer_id)
    if branch is not None:
        query = query.where(EngineerRow.branch_id == branch)
    if user.visible_branches is not None:
        query = query.where(EngineerRow.branch_id.in_(sorted(user.visible_branches)))
    return [_public(session, row, user) for row in session.scalars(query)]


@router.get("/{engineer_id}", responses=_ERRORS)
def read_engineer(engineer_id: PathId, user: CurrentUser, session: SessionDep) -> EngineerPublic:
    """One engineer: branch, skills, home."""
    return _public(session, visible_engineer(session, engineer_id, user), user)


@router.get("/{engineer_id}/calendar", responses=_ERRORS)
def read_calendar(
    engineer_id: PathId, user: CurrentUser, session: SessionDep,
    start: Annotated[date, Query()], end: Annotated[date | None, Query()] = None,
) -> CalendarPublic:  # fmt: skip
    """Shifts (with breaks) and days off from ``start`` to ``end`` (both included, 366 days at most)."""
    row = visible_engineer(session, engineer_id, user)
    last = end or start
    if last < start or (last - start) > timedelta(days=366):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "end must be 0 to 366 days after start")
    shifts = session.scalars(
        select(ShiftRow)
        .where(ShiftRow.engineer_id == row.engineer_id, ShiftRow.date.between(start, last))
        .order_by(ShiftRow.date)
    )
    off = session.scalars(
        select(AbsenceRow)
        .where(AbsenceRow.engineer_id == row.engineer_id, AbsenceRow.date.between(start, last))
        .order_by(AbsenceRow.date)
    )
    return CalendarPublic(
        engineer_id=row.engineer_id,
        shifts=[ShiftPublic.model_validate(s, from_attributes=True) for s in shifts],
        absences=[AbsencePublic.model_validate(a, from_attributes=True) for a in off],
    )


@router.post(
    "/{engineer_id}/absences",
    status_code=201,
    responses={**_ERRORS, 422: {"description": "Not a usable .ics"}},
)
def import_absences(
    engineer_id: PathId, file: Annotated[UploadFile, File(description="An HR calendar export (.ics)")],
    user: Coordinator, session: SessionDep, zone: ZoneDep,
) -> list[AbsencePublic]:  # fmt: skip
    """Store the days off of an ``.ics`` file; each cancels the engineer's shift that day."""
    row = visible_engineer(session, engineer_id, user)
    absences = read_absences(file.file.read(5 * 1024 * 1024), zone, file.filename or "absences.ics")
    for absence in absences:
        session.merge(
            AbsenceRow(engineer_id=row.engineer_id, date=absence.day, summary=absence.summary[:500])
        )
    return [AbsencePublic(date=a.day, summary=a.summary) for a in absences]


@router.get(
    "/{engineer_id}/route",
    response_model=RoutePublic,
    responses={**_ERRORS, 200: {"content": {"application/geo+json": {}, "text/calendar": {}}}},
)
def read_route(
    engineer_id: PathId, user: CurrentUser, session: SessionDep, date_: Annotated[date, Query(alias="date")],
    format_: Annotated[RouteFormat, Query(alias="format")] = RouteFormat.JSON,
) -> Response:  # fmt: skip
    """The engineer's day in the plan in force: JSON, GeoJSON (``format=geojson``) or iCalendar (``format=ics``)."""
    route = route_of(session, engineer_id, date_, user)
    if format_ is RouteFormat.JSON:  # already validated: serialised here, in this worker thread
        return Response(route.model_dump_json(by_alias=True), media_type="application/json")
    if format_ is RouteFormat.GEOJSON:
        return JSONResponse(geojson(route), media_type="application/geo+json")
    name = f"{engineer_id}-{date_.isoformat()}.ics"
    return Response(
        ics(route),
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
