"""Between the contract's text cells and typed columns, parsing with the contract's own rows.

Parsing stays in :mod:`data._tables`: a cell becomes a column value through the same
:class:`~data._tables.Row` methods that read CSV files, and a stored value becomes a cell
in the contract's format again, so that stored rows rebuild the domain through the same
builders (:mod:`data._entities`) as files do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from data._tables import Defects, Row
from data.contract import ALL_COLUMNS

#: How each typed column of each table parses; every other contract column is text.
KINDS: Mapping[str, Mapping[str, str]] = {
    "branches": {"lat": "number", "lon": "number", "service_radius_km": "number"},
    "engineers": {"start_lat": "number", "start_lon": "number", "max_jobs": "count"},
    "shifts": {
        "date": "day", "start": "clock", "end": "clock", "break_earliest": "clock",
        "break_latest": "clock", "break_minutes": "number",
    },
    "requests": {
        "received_at": "moment", "lat": "number", "lon": "number", "duration_min": "number",
        "promised_date": "day", "promised_start": "clock", "promised_end": "clock",
        "earliest_date": "day", "latest_date": "day",
    },
    "products": {"duration_min": "number"},
    "slots": {"start": "clock", "end": "clock"},
}  # fmt: skip

#: The contract's columns of each table and ours, as stored.
FIELDS = ALL_COLUMNS

#: Columns that are ``NULL`` rather than ``""`` when their cell is empty.
NULLABLE_TEXT = frozenset({"preferred_engineer_id"})


def columns_of(table: str, cells: Mapping[str, str], zone: ZoneInfo) -> dict[str, Any]:
    """The typed column values of a row whose cells the contract's builders accepted."""
    row = Row(table, 0, dict(cells), Defects())
    kinds = KINDS[table]
    values: dict[str, Any] = {}
    for name in FIELDS[table]:
        kind = kinds.get(name)
        if kind is None:
            text = row.text(name)
            values[name] = None if (name in NULLABLE_TEXT and not text) else text
        elif kind == "number":
            values[name] = row.optional_number(name, -math.inf, math.inf)
        elif kind == "count":
            values[name] = row.count(name)
        elif kind == "day":
            values[name] = row.optional_day(name)
        elif kind == "clock":
            values[name] = row.optional_clock(name)
        else:
            values[name] = row.moment(name, zone)
    return values


def cells_of(table: str, values: Any, zone: ZoneInfo) -> dict[str, str]:
    """The contract's cells of a stored row (any object with the table's columns)."""
    return {name: cell(getattr(values, name), zone) for name in FIELDS[table]}


def cell(value: Any, zone: ZoneInfo) -> str:
    """One value as the contract writes it in CSV."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
        return local.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, float):
        return repr(value)
    return str(value)
