"""Load a scenario in the data contract's shape as a :class:`~dispatch.model.Problem`.

A scenario is a folder of CSV files or one ``.xlsx`` workbook with a sheet per file (named
``requests`` or ``requests.csv``). Every defect of every file is collected and raised as
one :class:`~dispatch.errors.InputError`, each naming the file, the spreadsheet row (the
header is row 1) and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from data._entities import Context, branch, product, slot
from data._tables import Defects, Row, Table, read_tables
from data.travel import GeodesicTravel
from dispatch.model import DEFAULT_ZONE, Problem, SlotTemplate
from dispatch.rules import DEFAULT_SLOTS, ProductSpec
from dispatch.travel import TravelModel

T = TypeVar("T")

#: All the contract's columns of each scenario file, in order.
CONTRACT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "branches": ("branch_id", "name", "lat", "lon"),
    "engineers": (
        "engineer_id", "name", "branch_id", "skills", "start_lat", "start_lon", "max_jobs", "phone",
    ),
    "shifts": ("engineer_id", "date", "start", "end", "break_earliest", "break_latest", "break_minutes"),
    "requests": (
        "request_id", "received_at", "customer", "phone", "address", "lat", "lon", "product", "fault",
        "priority", "duration_min", "required_skills", "promised_date", "promised_start",
        "promised_end", "earliest_date", "latest_date", "preferred_engineer_id",
    ),
    "products": ("product", "skills", "duration_min"),
    "slots": ("start", "end"),
}  # fmt: skip

#: Columns we add to the contract's files and store (it allows additions, never renames): optional,
#: read when present, stored, and written back where we export the scenario.
OUR_COLUMNS: Mapping[str, tuple[str, ...]] = {"branches": ("service_radius_km",)}

#: Every column we read of each file: the contract's, then ours.
ALL_COLUMNS: Mapping[str, tuple[str, ...]] = {
    name: columns + OUR_COLUMNS.get(name, ()) for name, columns in CONTRACT_COLUMNS.items()
}

#: The columns each file must have: those the plan cannot do without. The contract's
#: other columns (names, personal data, free text, optional limits and dates) may be
#: absent, which reads as every cell empty.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "branches": ("branch_id", "lat", "lon"),
    "engineers": ("engineer_id", "branch_id", "skills"),
    "shifts": ("engineer_id", "date", "start", "end"),
    "requests": ("request_id", "lat", "lon", "product", "priority"),
    "products": ("product",),
    "slots": ("start", "end"),
}


def load_scenario(
    path: Path, dates: Sequence[date], *, travel: TravelModel | None = None, zone: str = DEFAULT_ZONE
) -> Problem:
    """The scenario at ``path`` (a folder of CSVs or an ``.xlsx`` workbook) to plan on ``dates``.

    Raises :class:`~dispatch.errors.InputError` listing every defect found; raises
    ``ValueError`` when ``dates`` is empty or ``zone`` is not a known time zone.
    """
    path, days, tz = Path(path), sorted(set(dates)), _zone(zone)
    if not days:
        raise ValueError("no dates to plan")
    defects = Defects()
    tables = read_tables(path, defects)
    for name, table in tables.items():
        table.require(COLUMNS[name], defects)
    defects.raise_if_any()
    catalogue = _catalogue(tables.get("products"), defects)
    slots = _slots(tables.get("slots"), defects)
    branches = _build(tables["branches"], defects, branch, lambda b: b.branch_id, ("branch_id",))
    ctx = Context(
        tz, catalogue, {b.branch_id: b for b in branches}, _ids(tables["branches"], "branch_id"),
        _ids(tables["engineers"], "engineer_id"),
    )  # fmt: skip
    engineers = _build(tables["engineers"], defects, ctx.engineer, lambda e: e.engineer_id, ("engineer_id",))
    shift_key = ("engineer_id", "date")
    shifts = _build(tables["shifts"], defects, ctx.shift, lambda s: (s.engineer_id, s.day), shift_key)
    requests = _build(tables["requests"], defects, ctx.request, lambda r: r.request_id, ("request_id",))
    defects.raise_if_any()
    return Problem(
        branches, engineers, shifts, requests, slots, days, travel or GeodesicTravel(), tz, name=path.stem
    )


def _catalogue(table: Table | None, defects: Defects) -> dict[str, ProductSpec]:
    """The products of ``products.csv`` (none when absent); an empty cell keeps the default."""
    if table is None:
        return {}
    products = _build(table, defects, product, lambda p: p[0], ("product",))
    return dict(products)


def _slots(table: Table | None, defects: Defects) -> tuple[SlotTemplate, ...]:
    """The slot grid of ``slots.csv``, or the default grid when the file is absent."""
    if table is None:
        return DEFAULT_SLOTS
    slots = _build(table, defects, slot, None, ())
    if not table.records:
        defects.add(table.file, None, None, "no slots; remove the file to use the default grid")
    return tuple(sorted(set(slots), key=lambda s: (s.start, s.end)))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _ids(table: Table, column: str) -> frozenset[str]:
    return frozenset(cells.get(column, "") for _, cells in table.records)


def _build(
    table: Table,
    defects: Defects,
    make: Callable[[Row], T],
    key: Callable[[T], Hashable] | None,
    fields: tuple[str, ...],
) -> list[T]:
    """The rows of ``table`` that make a value; a key seen before is a defect of ``fields[-1]``."""
    first: dict[Hashable, int] = {}
    items = []
    for row in table.rows(defects):
        item = make(row)
        if key is not None and row.fine(*fields) and all(row.text(f) for f in fields):
            seen = first.setdefault(key(item), row.sheet_row)
            if seen != row.sheet_row:
                ident = " on ".join(row.text(f) for f in fields)
                row.error(fields[-1], f"duplicate {ident}, first at row {seen}")
        if row.ok:
            items.append(item)
    return items
