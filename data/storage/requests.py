"""Stored repair requests: idempotent adds, filtered lists, versioned updates, the lifecycle."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from data.storage.cells import cell
from data.storage.models import BranchRow, RequestRow
from data.storage.scenario import initial_status, nearest_branch, now


class Status(StrEnum):
    """Where a request stands in the desk's lifecycle."""

    NEW = "new"
    BOOKED = "booked"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


#: The moves the lifecycle allows; done and cancelled are final.
TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.BOOKED, Status.PLANNED, Status.IN_PROGRESS, Status.CANCELLED}),
    Status.BOOKED: frozenset({Status.NEW, Status.PLANNED, Status.IN_PROGRESS, Status.CANCELLED}),
    Status.PLANNED: frozenset({Status.NEW, Status.BOOKED, Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.PLANNED, Status.DONE, Status.CANCELLED}),
    Status.DONE: frozenset(),
    Status.CANCELLED: frozenset(),
}


class Conflict(Exception):
    """The stored state forbids the change: another content, version or lifecycle state."""


@dataclass(frozen=True)
class RequestFilter:
    """What ``GET /requests`` narrows the list to; ``visible`` is the caller's branches (None: all)."""

    day: date | None = None
    branch: str | None = None
    status: str | None = None
    priority: str | None = None
    visible: Collection[str] | None = None
    limit: int = 100
    offset: int = 0


def get_request(session: Session, request_id: str) -> RequestRow | None:
    """The stored request, if any."""
    return session.get(RequestRow, request_id)


def list_requests(session: Session, where: RequestFilter) -> list[RequestRow]:
    """The requests matching ``where``, by id, one page of them."""
    query = _filtered(select(RequestRow), where).order_by(RequestRow.request_id)
    return list(session.scalars(query.limit(where.limit).offset(where.offset)))


def _filtered(query: Select[Any], where: RequestFilter) -> Select[Any]:
    if where.visible is not None:
        query = query.where(RequestRow.branch_id.in_(list(where.visible)))
    if where.branch is not None:
        query = query.where(RequestRow.branch_id == where.branch)
    if where.status is not None:
        query = query.where(RequestRow.status == where.status)
    if where.priority is not None:
        query = query.where(RequestRow.priority == where.priority)
    if where.day is not None:
        query = query.where(_may_be_served(where.day))
    return query


def _may_be_served(day: date) -> Any:
    """Promised for ``day``, or unbooked with ``day`` inside its earliest..latest dates."""
    latest = func.coalesce(RequestRow.latest_date, RequestRow.earliest_date)
    return or_(
        RequestRow.promised_date == day,
        and_(
            RequestRow.promised_date.is_(None),
            or_(RequestRow.earliest_date.is_(None), RequestRow.earliest_date <= day),
            or_(latest.is_(None), latest >= day),
        ),
    )


def add_request(
    session: Session, values: Mapping[str, Any], location_issue: str | None, zone: ZoneInfo
) -> tuple[RequestRow, bool]:
    """Store a new request; the same request again is no change. Returns (row, created).

    Raises :class:`Conflict` when a request with this id and other content exists.
    """
    row = session.get(RequestRow, values["request_id"])
    if row is not None:
        if any(cell(getattr(row, k), zone) != cell(v, zone) for k, v in values.items()):
            raise Conflict(f"request {row.request_id} exists with other content; update it with PATCH")
        return row, False
    stamp = now()
    row = RequestRow(**values, status=initial_status(values), location_issue=location_issue)
    row.created_at = row.updated_at = stamp
    row.branch_id = nearest_branch(list(session.scalars(select(BranchRow))), row.lat, row.lon)
    session.add(row)
    session.flush()
    return row, True


def update_request(
    session: Session,
    row: RequestRow,
    version: int,
    values: Mapping[str, Any],
    status: Status | None,
    location_issue: str | None,
) -> RequestRow:
    """Apply an update made on ``version`` of the row; a stale version is a :class:`Conflict`."""
    if row.version != version:
        raise Conflict(f"request {row.request_id} is at version {row.version}, not {version}; reload it")
    branches = list(session.scalars(select(BranchRow)))  # before any change: a query autoflushes
    if status is not None and status != row.status:
        if status not in TRANSITIONS[Status(row.status)]:
            raise Conflict(f"request {row.request_id} cannot go from {row.status} to {status.value}")
        row.status = status.value
    for name, value in values.items():
        setattr(row, name, value)
    row.location_issue = location_issue
    row.branch_id = nearest_branch(branches, row.lat, row.lon)
    row.updated_at = now()
    session.flush()
    return row


def count_requests(session: Session) -> int:
    """How many requests are stored."""
    return int(session.scalar(select(func.count()).select_from(RequestRow)) or 0)
