"""``/requests``: the desk's repair requests, idempotent on ``request_id``, versioned updates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, HTTPException, Query, Response, status
from pydantic import Field, TypeAdapter
from sqlalchemy.orm import Session

from api.deps import Coordinator, DeskReader, LocatorDep, SessionDep, ZoneDep, not_found
from api.routes.params import BranchQuery, Limit, Offset, PathId
from api.schemas.common import Message
from api.schemas.requests import RequestCreate, RequestPublic, RequestUpdate, cells_of_body
from api.security import Principal
from data._entities import Context
from data.geocode import Locator
from data.storage.cells import cell, cells_of
from data.storage.intake import parse_request, request_context
from data.storage.models import RequestRow
from data.storage.requests import (
    RequestFilter,
    Status,
    add_request,
    get_request,
    list_requests,
    update_request,
)
from dispatch.errors import InputProblem

router = APIRouter(prefix="/requests", tags=["requests"])

Batch = Annotated[list[RequestCreate], Field(min_length=1, max_length=1000)]
_AS_TEXT = ("received_at", "promised_date", "promised_start", "promised_end", "earliest_date", "latest_date")
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Message}, 403: {"model": Message}}
_STAMPS = ("created_at", "updated_at")
#: The fields copied as stored (the personal ones are then replaced as the caller may see them).
_PLAIN = tuple(k for k in RequestPublic.model_fields if k not in _AS_TEXT and k not in _STAMPS)
_PAGE = TypeAdapter(list[RequestPublic])


def public(row: RequestRow, user: Principal, zone: ZoneInfo) -> RequestPublic:
    """The stored request as ``user`` may see it."""
    values = {k: getattr(row, k) for k in _PLAIN}
    values.update({k: cell(getattr(row, k), zone) or None for k in _AS_TEXT})
    values.update({k: utc(getattr(row, k)) for k in _STAMPS})
    values["phone"], values["address"] = user.mask_phone(row.phone), user.address(row.address)
    return RequestPublic.model_validate(values)


def utc(moment: datetime) -> datetime:
    """A stored timestamp as UTC (SQLite hands them back without their zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _unprocessable(problems: list[tuple[tuple[int | str, ...], InputProblem]]) -> HTTPException:
    detail = [
        {"loc": ["body", *where, p.field or ""], "msg": p.message, "type": "value_error"}
        for where, p in problems
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _intake(
    session: Session, ctx: Context, locator: Locator, cells: dict[str, str]
) -> tuple[dict[str, Any] | None, str | None, list[InputProblem]]:
    """Geocode a request given without coordinates, then check it; (values, location issue, defects)."""
    issue = None
    if not cells.get("lat") and not cells.get("lon"):
        placed = locator.locate(session, cells.get("address", ""))
        if placed.found:
            cells = {**cells, "lat": repr(placed.lat), "lon": repr(placed.lon)}
        else:
            issue = placed.detail
    values, problems = parse_request(ctx, cells, unplaced=issue is not None)
    return values, issue, problems


@router.post(
    "",
    status_code=201,
    responses={200: {"description": "Already stored, unchanged"}, 409: {"model": Message}, **_ERRORS},
)
def create_requests(
    body: Annotated[RequestCreate | Batch, Body()],
    user: Coordinator,
    session: SessionDep,
    locator: LocatorDep,
    zone: ZoneDep,
    response: Response,
) -> RequestPublic | list[RequestPublic]:
    """Store one request or a list; the same request posted again is stored once (200)."""
    items = body if isinstance(body, list) else [body]
    ctx, checked, problems = request_context(session, zone), [], []
    for index, item in enumerate(items):
        values, issue, defects = _intake(session, ctx, locator, cells_of_body(item))
        where: tuple[int | str, ...] = (index,) if isinstance(body, list) else ()
        problems += [(where, p) for p in defects]
        checked.append((values, issue))
    if problems:
        raise _unprocessable(problems)
    stored = [add_request(session, values, issue, zone) for values, issue in checked if values is not None]
    response.status_code = status.HTTP_201_CREATED if any(new for _, new in stored) else status.HTTP_200_OK
    out = [public(row, user, zone) for row, _ in stored]
    return out if isinstance(body, list) else out[0]


@router.get("", response_model=list[RequestPublic], responses=_ERRORS)
def read_requests(
    user: DeskReader,
    session: SessionDep,
    zone: ZoneDep,
    date_: Annotated[date | None, Query(alias="date")] = None,
    branch: BranchQuery = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    priority: Annotated[str | None, Query(max_length=16, pattern=r"^[a-z]+$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Requests that may be served on ``date``, of a branch, in a status, of a priority; by id."""
    where = RequestFilter(
        date_, branch, status_.value if status_ else None, priority, user.visible_branches, limit, offset
    )
    page = [public(row, user, zone) for row in list_requests(session, where)]
    return Response(
        _PAGE.dump_json(page, by_alias=True), media_type="application/json"
    )  # validated: no 2nd pass


@router.get("/{request_id}", responses={404: {"model": Message}, **_ERRORS})
def read_request(request_id: PathId, user: DeskReader, session: SessionDep, zone: ZoneDep) -> RequestPublic:
    """One request; another branch's is not found."""
    row = get_request(session, request_id)
    if row is None or not user.sees_branch(row.branch_id):
        raise not_found(f"request {request_id}")
    return public(row, user, zone)


@router.patch("/{request_id}", responses={404: {"model": Message}, 409: {"model": Message}, **_ERRORS})
def patch_request(
    request_id: PathId,
    body: RequestUpdate,
    user: Coordinator,
    session: SessionDep,
    locator: LocatorDep,
    zone: ZoneDep,
) -> RequestPublic:
    """Change a request made on ``version``: 409 when someone changed it since."""
    row = get_request(session, request_id)
    if row is None:
        raise not_found(f"request {request_id}")
    cells = {
        **cells_of("requests", row, zone),
        **cells_of_body(body, only_set=True),
        "request_id": request_id,
    }
    values, issue, problems = _intake(session, request_context(session, zone), locator, cells)
    if values is None:
        raise _unprocessable([((), p) for p in problems])
    values.pop("request_id")
    updated = update_request(session, row, body.version, values, body.status, issue)
    return public(updated, user, zone)
