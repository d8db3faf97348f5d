"""The stored scenario: rows to and from the contract's cells, upserts, the nearest branch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.storage.cells import FIELDS, cell, cells_of, columns_of
from data.storage.models import (
    Base,
    BranchRow,
    EngineerRow,
    ProductRow,
    RequestRow,
    ShiftRow,
    SlotRow,
)
from dispatch.geo import straight_km
from dispatch.model import Location

#: The row class of each contract table.
ROWS: Mapping[str, type[Base]] = {
    "branches": BranchRow,
    "engineers": EngineerRow,
    "shifts": ShiftRow,
    "requests": RequestRow,
    "products": ProductRow,
    "slots": SlotRow,
}

#: The key of each table's rows; slots have none (an import replaces the grid).
KEYS: Mapping[str, tuple[str, ...]] = {
    "branches": ("branch_id",),
    "engineers": ("engineer_id",),
    "shifts": ("engineer_id", "date"),
    "requests": ("request_id",),
    "products": ("product",),
    "slots": (),
}

#: The order in which tables are written, referenced ones first.
ORDER = ("branches", "engineers", "products", "slots", "shifts", "requests")


def now() -> datetime:
    """The current moment, in UTC."""
    return datetime.now(UTC)


def key_of(table: str, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """The key of a row given as column values."""
    return tuple(values[k] for k in KEYS[table])


def stored_cells(session: Session, table: str, zone: ZoneInfo) -> list[dict[str, str]]:
    """Every stored row of ``table`` as the contract's cells; unlocated requests left out."""
    query = select(ROWS[table])
    if table == "requests":
        query = query.where(RequestRow.lat.is_not(None), RequestRow.lon.is_not(None))
    return [cells_of(table, row, zone) for row in session.scalars(query)]


def nearest_branch(branches: Sequence[BranchRow], lat: float | None, lon: float | None) -> str | None:
    """The id of the branch nearest to the point (who plans a visit there), if any."""
    if lat is None or lon is None or not branches:
        return None
    here = Location(lat, lon)
    return min(branches, key=lambda b: straight_km(Location(b.lat, b.lon), here)).branch_id


def initial_status(values: Mapping[str, Any]) -> str:
    """A new request is ``booked`` when it comes with a promise, ``new`` otherwise."""
    return "booked" if values.get("promised_date") is not None else "new"


def upsert(session: Session, table: str, rows: Iterable[Mapping[str, Any]], zone: ZoneInfo) -> int:
    """Insert or update rows given as column values, by key; slots replace the grid.

    Returns how many rows were written. Requests get their lifecycle fields (status,
    nearest branch, timestamps) here; an update keeps the status and bumps the version.
    """
    cls, rows = ROWS[table], list(rows)
    if table == "slots":
        session.execute(delete(SlotRow))
        session.add_all(SlotRow(**r) for r in rows)
        return len(rows)
    existing = {key_of(table, vars(o)): o for o in session.scalars(select(cls))}
    branches = list(session.scalars(select(BranchRow))) if table == "requests" else []
    for values in rows:
        row = existing.get(key_of(table, values))
        changed = row is None
        if row is None:
            row = cls(**values)
            if isinstance(row, RequestRow):
                row.status, row.created_at = initial_status(values), now()
            session.add(row)
        else:
            for name, value in values.items():
                if cell(getattr(row, name), zone) != cell(value, zone):
                    setattr(row, name, value)
                    changed = True
        if isinstance(row, RequestRow) and changed:
            row.branch_id = nearest_branch(branches, row.lat, row.lon)
            row.location_issue = None
            row.updated_at = now()
    session.flush()
    return len(rows)


def reassign_branches(session: Session) -> None:
    """Give every located request the branch nearest to it (after the branches changed)."""
    branches = list(session.scalars(select(BranchRow)))
    for row in session.scalars(select(RequestRow).where(RequestRow.lat.is_not(None))):
        nearest = nearest_branch(branches, row.lat, row.lon)
        if row.branch_id != nearest:
            row.branch_id = nearest


def rows_from_cells(table: str, records: Iterable[Mapping[str, str]], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Column values of rows the contract's builders accepted, one dict per row."""
    return [columns_of(table, cells, zone) for cells in records]


__all__ = [
    "FIELDS",
    "KEYS",
    "ORDER",
    "ROWS",
    "initial_status",
    "key_of",
    "nearest_branch",
    "now",
    "reassign_branches",
    "rows_from_cells",
    "stored_cells",
    "upsert",
]
