"""``/slots/offer`` and ``/bookings``: graded slots for a caller, and bookings that never double-book.

Offers read a board of the branch's plans in force, laid out once per plan version and
kept in the app's state (a few boards, newest first). Bookings lock the branch and check
the slot again against the latest plan; a slot that no longer fits is a 409 with fresh offers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CurrentUser, SessionDep, TravelDep, ZoneDep, allow, not_found
from api.schemas.bookings import (
    BookingConflict,
    BookingCreate,
    BookingPublic,
    OfferCreate,
    OfferPublic,
    OffersPublic,
)
from api.schemas.common import Message
from api.schemas.requests import cells_of_body
from api.security import Principal, Role
from data.storage.bookings import (
    SlotTaken,
    board_key,
    book,
    caller_request,
    engineer_in_force,
    load_board,
    radius_of,
    verification_code,
)
from data.storage.cells import cells_of
from data.storage.models import BranchRow, RequestRow
from data.storage.models_ops import BookingRow
from data.storage.problem import CLOSED
from data.storage.scenario import nearest_branch
from dispatch.booking import Reserve
from dispatch.displace import offers_with_room
from dispatch.model import Request as Visit
from dispatch.model import TimeWindow
from dispatch.offers import Board, Offers, leave_out, offer_days, remoteness
from dispatch.travel import TravelModel

router = APIRouter(tags=["bookings"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Message}, 403: {"model": Message}}

Offerer = Annotated[Principal, Depends(allow(Role.COORDINATOR, Role.PLANNER, Role.BRANCH_MANAGER))]
Booker = Annotated[Principal, Depends(allow(Role.COORDINATOR, Role.BRANCH_MANAGER))]

#: How far from today offers may start, in days.
MAX_DAYS_AWAY = 366

#: Boards kept per app: one per branch and horizon is the common case.
BOARDS_KEPT = 16


class BoardCache:
    """The newest boards by what they depend on (:func:`data.storage.bookings.board_key`)."""

    def __init__(self) -> None:
        self._boards: OrderedDict[tuple[Any, ...], Board] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[[], Board]) -> Board:
        """The board under ``key``, made when missing."""
        with self._lock:
            if key in self._boards:
                self._boards.move_to_end(key)
                return self._boards[key]
        board = make()
        with self._lock:
            self._boards[key] = board
            while len(self._boards) > BOARDS_KEPT:
                self._boards.popitem(last=False)
        return board


def get_boards(request: Request) -> BoardCache:
    """The app's board cache, made on first use."""
    state = request.app.state
    if getattr(state, "boards", None) is None:
        state.boards = BoardCache()
    boards: BoardCache = state.boards
    return boards


class BranchLocks:
    """One lock per branch: this process's bookings of a branch queue here, fairly, rather than
    in the database's busy wait (which may starve a writer on SQLite); the database lock still
    serialises them across processes."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def of(self, branch_id: str) -> threading.Lock:
        """The branch's lock."""
        with self._guard:
            return self._locks.setdefault(branch_id, threading.Lock())


def get_locks(request: Request) -> BranchLocks:
    """The app's branch locks, made on first use."""
    state = request.app.state
    if getattr(state, "branch_locks", None) is None:
        state.branch_locks = BranchLocks()
    locks: BranchLocks = state.branch_locks
    return locks


def get_clock(request: Request) -> Callable[[], datetime]:
    """The app's clock (tests may set ``app.state.clock``)."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock or (lambda: datetime.now().astimezone())


BoardsDep = Annotated[BoardCache, Depends(get_boards)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
LocksDep = Annotated[BranchLocks, Depends(get_locks)]


def _unprocessable(field: str, message: str) -> HTTPException:
    detail = [{"loc": ["body", *field.split(".")], "msg": message, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _offer_list(found: Offers, remote: dict[str, Any], zone: ZoneInfo) -> list[OfferPublic]:
    return [
        OfferPublic(
            date=o.day, slot_start=_when(o.window.start, zone), slot_end=_when(o.window.end, zone),
            engineer_id=o.engineer_id, grade=o.grade, why=o.why, eta=_when(o.start, zone),
            remote_surcharge=remote["remote_surcharge"], distance_km=remote["distance_km"],
        )
        for o in found.offers
    ]  # fmt: skip


def _offers(
    session: Session, boards: BoardCache, visit: Visit, branch_id: str, first: date, days: int,
    zone: ZoneInfo, travel: TravelModel, moment: datetime,
) -> OffersPublic:  # fmt: skip
    """Offers for ``visit`` on its branch from ``first`` over ``days`` days."""
    horizon = [first + timedelta(days=i) for i in range(days)]
    key = board_key(session, branch_id, horizon)
    board = boards.get(key, lambda: load_board(session, branch_id, horizon, zone, travel, Reserve()))
    board = leave_out(board, visit.request_id)
    found = offers_with_room(board, visit, offer_days(visit, first, days, horizon), moment)
    branch = board.problem.branch_by_id[branch_id]
    remote = remoteness(branch, visit.location, radius_of(session, branch_id), board.problem.planar)
    why = None if found.reason is None else f"{found.reason}; {_remote_note(remote)}"
    return OffersPublic(
        branch_id=branch_id, offers=_offer_list(found, remote, zone), reason=why, reason_code=found.code
    )


def _remote_note(remote: dict[str, Any]) -> str:
    where = "beyond" if remote["remote_surcharge"] else "within"
    return f"the address is {remote['distance_km']} km from the branch, {where} its {remote['service_radius_km']} km radius"


@router.post(
    "/slots/offer", responses={404: {"model": Message}, 422: {"description": "Bad request fields"}, **_ERRORS}
)
def offer_slots(
    body: OfferCreate, user: Offerer, session: SessionDep, zone: ZoneDep, travel: TravelDep,
    boards: BoardsDep, clock: ClockDep,
) -> OffersPublic:  # fmt: skip
    """The slots the plan can honour for the caller over the next days, best first (emergencies:
    the earliest start first, today); ``reason`` says why when there are none."""
    cells = cells_of_body(body.request)
    stored = session.get(RequestRow, body.request.request_id)
    if not cells.get("lat") and not cells.get("lon") and stored is not None and stored.lat is not None:
        cells = {**cells, "lat": repr(stored.lat), "lon": repr(stored.lon)}
    visit, problems = caller_request(session, cells, zone)
    if visit is None:
        first = problems[0]
        raise _unprocessable(f"request.{first.field or 'request'}", first.message)
    branch_id = nearest_branch(
        list(session.scalars(select(BranchRow))), visit.location.lat, visit.location.lon
    )
    if branch_id is None or not user.sees_branch(branch_id):
        raise not_found("a branch serving this address")
    moment = clock().astimezone(zone)
    first_day = body.start_date or moment.date()
    if abs((first_day - moment.date()).days) > MAX_DAYS_AWAY:
        raise _unprocessable("start_date", f"more than {MAX_DAYS_AWAY} days from today")
    return _offers(session, boards, visit, branch_id, first_day, body.days, zone, travel, moment)


def _visible(session: Session, request_id: str, user: Principal) -> RequestRow:
    row = session.get(RequestRow, request_id)
    if row is None or not user.sees_branch(row.branch_id):
        raise not_found(f"request {request_id}")
    return row


def _window(body: BookingCreate, zone: ZoneInfo) -> TimeWindow:
    start, end = (t if t.tzinfo else t.replace(tzinfo=zone) for t in (body.slot_start, body.slot_end))
    if start.astimezone(zone).date() != body.date:
        raise _unprocessable("slot_start", f"does not lie on {body.date}")
    if end <= start:
        raise _unprocessable("slot_end", "is not after slot_start")
    return TimeWindow(start.astimezone(zone), end.astimezone(zone))


@router.post(
    "/bookings", status_code=201,
    responses={404: {"model": Message}, 409: {"model": BookingConflict}, 422: {"description": "Bad slot"}, **_ERRORS},
)  # fmt: skip
def create_booking(
    body: BookingCreate, user: Booker, session: SessionDep, zone: ZoneDep, travel: TravelDep,
    boards: BoardsDep, clock: ClockDep, locks: LocksDep,
) -> Any:  # fmt: skip
    """Book a stored request into a slot: it becomes a promise that every later plan keeps.
    409 with fresh offers when the slot can no longer be honoured."""
    row = _visible(session, body.request_id, user)
    window = _window(body, zone)
    if row.status in CLOSED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"request {row.request_id} is {row.status}")
    if row.branch_id is None or row.lat is None or row.lon is None:
        raise _unprocessable("request_id", f"request {row.request_id} has no location yet")
    moment = clock().astimezone(zone)
    try:
        with locks.of(row.branch_id):
            done = book(session, row, body.date, window, zone, travel, Reserve(), moment)
            session.commit()
    except SlotTaken as exc:
        session.rollback()
        return _conflict(session, boards, row.request_id, str(exc), zone, travel, moment, body.date)
    b = done.row
    return BookingPublic(
        request_id=b.request_id, date=b.date, slot_start=_when(window.start, zone), slot_end=_when(window.end, zone),
        engineer_id=done.engineer_id, work_order=b.work_order, verification_code=done.code, plan_version=done.version,
    )  # fmt: skip


def _conflict(
    session: Session, boards: BoardCache, request_id: str, detail: str, zone: ZoneInfo, travel: TravelModel,
    moment: datetime, day: date,
) -> JSONResponse:  # fmt: skip
    row = session.get(RequestRow, request_id)
    assert row is not None and row.branch_id is not None
    visit, _ = caller_request(session, _cells(row, zone), zone)
    offers: list[OfferPublic] = []
    reason = None
    if visit is not None:
        found = _offers(
            session, boards, visit, row.branch_id, min(day, moment.date()), 7, zone, travel, moment
        )
        offers, reason = found.offers, found.reason
    body = BookingConflict(detail=detail, offers=offers, reason=reason)
    return JSONResponse(body.model_dump(mode="json"), status.HTTP_409_CONFLICT)


def _cells(row: RequestRow, zone: ZoneInfo) -> dict[str, str]:
    return cells_of("requests", row, zone)


@router.get("/bookings/{request_id}", responses={404: {"model": Message}, **_ERRORS})
def read_booking(request_id: str, user: CurrentUser, session: SessionDep, zone: ZoneDep) -> BookingPublic:
    """A booking with the engineer the plan in force sends now and their code (it changes with them)."""
    booking = session.get(BookingRow, request_id)
    if booking is None or user.role is Role.PLANNER or not user.sees_branch(booking.branch_id):
        raise not_found(f"booking {request_id}")
    engineer = engineer_in_force(session, booking, zone)
    if user.role is Role.ENGINEER and (engineer is None or engineer != user.engineer_id):
        raise not_found(f"booking {request_id}")
    code = None if engineer is None else verification_code(booking.secret, booking.work_order, engineer)
    start, end = (_aware(t) for t in (booking.slot_start, booking.slot_end))
    return BookingPublic(
        request_id=booking.request_id, date=booking.date, slot_start=_when(start, zone), slot_end=_when(end, zone),
        engineer_id=engineer, work_order=booking.work_order, verification_code=code,
    )  # fmt: skip


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
