"""The contract's plan document: to and from JSON, read, and written atomically.

Date-times are written in the service area's zone with their offset and whole seconds
(``2026-12-01T08:41:23+08:00``). Rounding never shortens a leg: ``travel_km`` is rounded
up to the metre. Reading tolerates a hand-edited plan that leaves optional fields out,
and reports every defect of shape with its path, e.g. ``routes[3].stops[2].start``.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data._atomic import write_atomic
from data._tables import Defects
from dispatch.errors import InputError
from dispatch.model import TimeWindow
from dispatch.plan import Plan, Route, Stop, Unassigned

#: The name a plan document goes by in error messages when it has no file name.
PLAN_FILE = "plan.json"

_STAND_IN = datetime(2000, 1, 1, tzinfo=UTC)


def plan_to_dict(plan: Plan, zone: ZoneInfo) -> dict[str, Any]:
    """The plan as the contract's JSON document, ready for ``json.dumps``."""
    return {
        "dates": [d.isoformat() for d in plan.dates],
        "routes": [_route_to_dict(r, zone) for r in plan.routes],
        "unassigned": [
            {"request_id": u.request_id, "reason": u.reason, "detail": u.detail} for u in plan.unassigned
        ],
        "kpis": _plain(plan.kpis),
    }


def write_plan(plan: Plan, path: Path, zone: ZoneInfo) -> None:
    """Write the plan's JSON document to ``path`` atomically (a temporary file, then a rename)."""
    text = json.dumps(plan_to_dict(plan, zone), ensure_ascii=False, indent=2, allow_nan=False)
    write_atomic(path, (text + "\n").encode("utf-8"))


def read_plan(path: Path, zone: ZoneInfo) -> Plan:
    """The plan in the JSON file at ``path``; every defect is raised as one ``InputError``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(path.name, None, None, f"cannot read: {exc}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at column {exc.colno}"
        raise InputError.single(path.name, exc.lineno, None, message) from exc
    return plan_from_dict(doc, zone, source=path.name)


def plan_from_dict(doc: Any, zone: ZoneInfo, *, source: str = PLAN_FILE) -> Plan:
    """The plan of a parsed JSON document; date-times without an offset are in ``zone``.

    Optional fields may be missing: ``routes``, ``unassigned`` and ``stops`` default to
    empty, ``kpis`` to ``{}``, ``break`` to none, a stop's ``arrival`` to its ``start``,
    travel figures and an unassigned ``reason``/``detail`` to zero or empty, ``dates`` to
    the routes' dates. Wrong types and unparsable values raise :class:`InputError`.
    """
    reader = _Reader(source, zone)
    if not isinstance(doc, Mapping):
        raise InputError.single(source, None, None, "not a JSON object")
    routes = [reader.route(x, f"routes[{i}]") for i, x in enumerate(reader.items(doc, "routes", ""))]
    unassigned = [
        reader.unassigned(x, f"unassigned[{i}]") for i, x in enumerate(reader.items(doc, "unassigned", ""))
    ]
    kept = [r for r in routes if r is not None]
    dates = reader.dates(doc, kept)
    kpis = doc.get("kpis")
    if kpis is None:
        kpis = {}
    elif not isinstance(kpis, Mapping):
        reader.fail("kpis", "not an object")
    reader.defects.raise_if_any()
    return Plan(dates, kept, [u for u in unassigned if u is not None], dict(kpis))


def _route_to_dict(route: Route, zone: ZoneInfo) -> dict[str, Any]:
    brk = route.break_window
    return {
        "engineer_id": route.engineer_id,
        "date": route.day.isoformat(),
        "break": None if brk is None else {"start": _when(brk.start, zone), "end": _when(brk.end, zone)},
        "stops": [_stop_to_dict(s, zone) for s in route.stops],
        "return_travel_minutes": _minutes(route.return_travel_minutes),
        "return_travel_km": round_km_up(route.return_travel_km),
    }


def _stop_to_dict(stop: Stop, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "request_id": stop.request_id,
        "slot_start": _when(stop.slot.start, zone),
        "slot_end": _when(stop.slot.end, zone),
        "arrival": _when(stop.arrival, zone),
        "start": _when(stop.start, zone),
        "end": _when(stop.end, zone),
        "travel_minutes": _minutes(stop.travel_minutes),
        "travel_km": round_km_up(stop.travel_km),
    }


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return local.isoformat(timespec="seconds")


def _minutes(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"travel minutes {value} is not a finite number")
    return round(float(value), 4)


def round_km_up(km: float) -> float:
    """``km`` rounded up to whole metres (3 decimals), so that no leg ever gets shorter.

    The float's shortest decimal form is what is rounded, so 9.8 stays 9.8 although its
    binary value is a hair above it; rounding an already rounded value changes nothing.
    """
    if not math.isfinite(km):
        raise ValueError(f"travel km {km} is not a finite number")
    return float(Decimal(repr(float(km))).quantize(Decimal("0.001"), rounding=ROUND_CEILING)) + 0.0


def _plain(value: Any) -> Any:
    """``value`` as plain JSON values; a non-finite float becomes ``null``."""
    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return [_plain(v) for v in sorted(value, key=str)]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if callable(getattr(value, "item", None)):  # a numpy scalar
        return _plain(value.item())
    raise TypeError(f"a KPI value of type {type(value).__name__} is not JSON-serialisable: {value!r}")


class _Reader:
    """Reads the parts of a plan document, recording each defect of shape with its path."""

    def __init__(self, source: str, zone: ZoneInfo) -> None:
        self.source, self.zone, self.defects = source, zone, Defects()

    def fail(self, where: str, message: str) -> None:
        """Record a defect at the path ``where``."""
        self.defects.add(self.source, None, where, message)

    def items(self, parent: Mapping[str, Any], key: str, where: str) -> list[Any]:
        """The list under ``key``; missing or ``null`` is empty."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(_join(where, key), "not a list")
            return []
        return value

    def obj(self, value: Any, where: str) -> Mapping[str, Any] | None:
        """``value`` when it is a JSON object."""
        if isinstance(value, Mapping):
            return value
        self.fail(where, "not an object")
        return None

    def text(self, parent: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
        """A string field; required unless it has a ``default``."""
        value = parent.get(key, default)
        if isinstance(value, str):
            return value
        self.fail(_join(where, key), "missing" if value is None else f"not a string: {value!r}")
        return ""

    def number(self, parent: Mapping[str, Any], key: str, where: str) -> float:
        """A finite number; missing or ``null`` is 0."""
        value = parent.get(key)
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(_join(where, key), f"not a finite number: {value!r}")
            return 0.0
        return float(value)

    def day(self, value: Any, where: str) -> date:
        """A date ``YYYY-MM-DD``."""
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return date.fromisoformat(value)
        self.fail(where, "missing" if value is None else f"not a date YYYY-MM-DD: {value!r}")
        return _STAND_IN.date()

    def moment(self, parent: Mapping[str, Any], key: str, where: str) -> datetime:
        """An ISO 8601 date-time, in the zone; one without an offset is local."""
        value = parent.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                moment = datetime.fromisoformat(value)
                return (
                    moment.replace(tzinfo=self.zone)
                    if moment.tzinfo is None
                    else moment.astimezone(self.zone)
                )
        message = "missing" if value is None else f"not an ISO 8601 date-time: {value!r}"
        self.fail(_join(where, key), message)
        return _STAND_IN

    def window(self, parent: Mapping[str, Any], start: str, end: str, where: str) -> TimeWindow:
        """The window between two date-time fields."""
        return TimeWindow(self.moment(parent, start, where), self.moment(parent, end, where))

    def break_window(self, value: Any, where: str) -> TimeWindow | None:
        """A break ``{start, end}``; missing or ``null`` is no break."""
        if value is None:
            return None
        brk = self.obj(value, where)
        return None if brk is None else self.window(brk, "start", "end", where)

    def route(self, value: Any, where: str) -> Route | None:
        """A route object."""
        route = self.obj(value, where)
        if route is None:
            return None
        engineer_id = self.text(route, "engineer_id", where)
        day = self.day(route.get("date"), _join(where, "date"))
        brk = self.break_window(route.get("break"), _join(where, "break"))
        stops = [self.stop(x, f"{where}.stops[{i}]") for i, x in enumerate(self.items(route, "stops", where))]
        return Route(
            engineer_id,
            day,
            [s for s in stops if s is not None],
            brk,
            self.number(route, "return_travel_minutes", where),
            self.number(route, "return_travel_km", where),
        )

    def stop(self, value: Any, where: str) -> Stop | None:
        """A stop object; a missing ``arrival`` is the ``start``."""
        stop = self.obj(value, where)
        if stop is None:
            return None
        request_id = self.text(stop, "request_id", where)
        slot = self.window(stop, "slot_start", "slot_end", where)
        arrival = None if stop.get("arrival") is None else self.moment(stop, "arrival", where)
        start, end = self.moment(stop, "start", where), self.moment(stop, "end", where)
        return Stop(
            request_id,
            slot,
            start if arrival is None else arrival,
            start,
            end,
            self.number(stop, "travel_minutes", where),
            self.number(stop, "travel_km", where),
        )

    def unassigned(self, value: Any, where: str) -> Unassigned | None:
        """An unassigned object; a missing ``reason`` or ``detail`` is empty."""
        item = self.obj(value, where)
        if item is None:
            return None
        return Unassigned(
            self.text(item, "request_id", where),
            self.text(item, "reason", where, ""),
            self.text(item, "detail", where, ""),
        )

    def dates(self, doc: Mapping[str, Any], routes: list[Route]) -> list[date]:
        """The planned dates; when missing, the routes' dates."""
        value = doc.get("dates")
        if value is None:
            if not routes:
                self.fail("dates", "missing, and no route gives a date")
            return sorted({r.day for r in routes})
        if not isinstance(value, list) or not value:
            self.fail("dates", "empty" if isinstance(value, list) else "not a list")
            return []
        return [self.day(d, f"dates[{i}]") for i, d in enumerate(value)]


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
