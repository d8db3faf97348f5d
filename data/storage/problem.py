"""A :class:`~dispatch.model.Problem` from stored rows, through the contract's own builders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data._entities import Context, branch, product, slot
from data._tables import Defects, Row
from data.storage.cells import cells_of
from data.storage.models import AbsenceRow, BranchRow, EngineerRow, ProductRow, RequestRow, ShiftRow, SlotRow
from dispatch.model import Problem
from dispatch.plan import Unassigned
from dispatch.rules import DEFAULT_SLOTS
from dispatch.travel import TravelModel

T = TypeVar("T")

#: Requests in these states need no plan any more.
CLOSED = ("done", "cancelled")

#: The reason a request without coordinates is unassigned.
NEEDS_LOCATION = "needs_location"


@dataclass(frozen=True)
class Scoped:
    """The problem of some days and branches, and the open requests it cannot hold (no location)."""

    problem: Problem
    unplaced: list[Unassigned]


def open_requests(session: Session, branches: Sequence[str] | None) -> list[RequestRow]:
    """Requests not done or cancelled, of the given branches (nearest branch) or of all.

    Requests without a location have no branch yet: every plan lists them.
    """
    query = select(RequestRow).where(RequestRow.status.not_in(CLOSED)).order_by(RequestRow.request_id)
    if branches is not None:
        query = query.where(or_(RequestRow.branch_id.in_(branches), RequestRow.branch_id.is_(None)))
    return list(session.scalars(query))


def build_problem(
    session: Session,
    dates: Sequence[date],
    branches: Sequence[str] | None,
    zone: ZoneInfo,
    travel: TravelModel,
) -> Scoped:
    """The open work of ``branches`` (all when ``None``) on ``dates``, ready to solve or validate."""
    days = sorted(set(dates))
    defects = Defects()
    all_branches = list(session.scalars(select(BranchRow).order_by(BranchRow.branch_id)))
    scope = set(branches) if branches is not None else {b.branch_id for b in all_branches}
    built = _build(defects, "branches", [b for b in all_branches if b.branch_id in scope], zone, branch)
    engineer_rows = list(session.scalars(select(EngineerRow).order_by(EngineerRow.engineer_id)))
    catalogue = dict(_build(defects, "products", session.scalars(select(ProductRow)), zone, product))
    grid = _build(defects, "slots", session.scalars(select(SlotRow)), zone, slot)
    ctx = Context(
        zone, catalogue, {b.branch_id: b for b in built}, frozenset(b.branch_id for b in all_branches),
        frozenset(e.engineer_id for e in engineer_rows),
    )  # fmt: skip
    crew = [e for e in engineer_rows if e.branch_id in scope]
    engineers = _build(defects, "engineers", crew, zone, ctx.engineer)
    shifts = _build(defects, "shifts", _shifts(session, [e.engineer_id for e in crew], days), zone, ctx.shift)
    work = open_requests(session, branches)
    located = [r for r in work if r.lat is not None and r.lon is not None]
    requests = _build(defects, "requests", located, zone, ctx.request)
    defects.raise_if_any()
    unplaced = [
        Unassigned(r.request_id, NEEDS_LOCATION, r.location_issue or "no coordinates; give lat and lon")
        for r in work
        if r.lat is None or r.lon is None
    ]
    slots = tuple(sorted(set(grid), key=lambda s: (s.start, s.end))) or DEFAULT_SLOTS
    problem = Problem(built, engineers, shifts, requests, slots, days, travel, zone, name="stored")
    return Scoped(problem, unplaced)


def _shifts(session: Session, engineer_ids: list[str], days: list[date]) -> list[ShiftRow]:
    """The shifts of the engineers on the days, less the days they are absent."""
    query = select(ShiftRow).where(ShiftRow.engineer_id.in_(engineer_ids), ShiftRow.date.in_(days))
    absent = {
        (engineer_id, day)
        for engineer_id, day in session.execute(
            select(AbsenceRow.engineer_id, AbsenceRow.date).where(
                AbsenceRow.engineer_id.in_(engineer_ids), AbsenceRow.date.in_(days)
            )
        )
    }
    rows = session.scalars(query.order_by(ShiftRow.engineer_id, ShiftRow.date))
    return [s for s in rows if (s.engineer_id, s.date) not in absent]


def _build(
    defects: Defects, table: str, rows: Iterable[Any], zone: ZoneInfo, make: Callable[[Row], T]
) -> list[T]:
    """Domain values of stored rows; a defect names the table and the row's place."""
    items = []
    for number, stored in enumerate(rows, start=1):
        row = Row(f"stored {table}", number, cells_of(table, stored, zone), defects)
        item = make(row)
        if row.ok:
            items.append(item)
    return items
