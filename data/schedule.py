"""The day's schedules as a branch manager reads them: one CSV, and a workbook with a sheet per branch.

One row per visit, in time order, route after route (branch, day, engineer); a ``BREAK``
row where the break falls and a ``RETURN`` row with the way home close each route. Times
are local ``HH:MM``. Text a customer typed cannot turn into a spreadsheet formula.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from data._atomic import write_atomic
from dispatch.model import Problem
from dispatch.plan import Plan, Route, Stop

#: The schedule's columns, in order.
COLUMNS = (
    "branch_id", "branch", "engineer_id", "engineer", "date", "seq", "request_id", "customer",
    "address", "phone", "product", "priority", "promised", "slot_start", "slot_end", "arrival",
    "start", "end", "travel_minutes", "travel_km",
)  # fmt: skip

BREAK, RETURN = "BREAK", "RETURN"

_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_FORMULA = re.compile(r"[=@\t\r]|[+-](?![\d\s().-]*$)")  # "+86 138…" is a phone, "+cmd|…" is not


def write_schedules(problem: Problem, plan: Plan, stem: Path) -> list[Path]:
    """Write ``<stem>.schedule.csv`` and ``<stem>.schedule.xlsx`` atomically; the paths written."""
    frame = pd.DataFrame(schedule_rows(problem, plan), columns=list(COLUMNS))
    csv_path = stem.with_name(stem.name + ".schedule.csv")
    xlsx_path = stem.with_name(stem.name + ".schedule.xlsx")
    defused = frame.map(lambda v: "'" + v if isinstance(v, str) and _FORMULA.match(v) else v)
    write_atomic(csv_path, defused.to_csv(index=False).encode("utf-8-sig"))  # the BOM tells Excel UTF-8
    write_atomic(xlsx_path, _workbook(frame))
    return [csv_path, xlsx_path]


def schedule_rows(problem: Problem, plan: Plan) -> list[dict[str, Any]]:
    """The schedule's rows: routes with visits by branch, day and engineer, each in time order."""
    routes = [r for r in plan.routes if r.stops]
    routes.sort(key=lambda r: (_branch_id(problem, r), r.day, r.engineer_id))
    rows = [row for route in routes for row in _route_rows(problem, route)]
    return [{c: row.get(c, "") for c in COLUMNS} for row in rows]


def sheet_name(name: str, taken: set[str]) -> str:
    """``name`` as a sheet name Excel accepts (31 characters, no ``[]:*?/\\``), unique in ``taken``."""
    base = _SHEET_BAD.sub("_", name).strip("'")[:31] or "unknown"
    if base.lower() == "history":  # reserved by Excel
        base += "_"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"~{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _branch_id(problem: Problem, route: Route) -> str:
    engineer = problem.engineer_by_id.get(route.engineer_id)
    return engineer.branch_id if engineer is not None else ""


def _route_rows(problem: Problem, route: Route) -> list[dict[str, Any]]:
    engineer = problem.engineer_by_id.get(route.engineer_id)
    branch = problem.branch_by_id.get(_branch_id(problem, route))
    head = {
        "branch_id": _branch_id(problem, route),
        "branch": branch.name if branch is not None else "",
        "engineer_id": route.engineer_id,
        "engineer": engineer.name if engineer is not None else "",
        "date": route.day.isoformat(),
    }
    zone = problem.zone
    rows = [head | _visit(problem, i, stop) for i, stop in enumerate(route.stops, start=1)]
    back = route.stops[-1].end + timedelta(minutes=route.return_travel_minutes)
    brk = route.break_window
    if brk is not None:
        before = sum(1 for s in route.stops if s.start < brk.start)
        pause = {"request_id": BREAK, "start": _hhmm(brk.start, zone), "end": _hhmm(brk.end, zone)}
        rows.insert(before, head | pause)
        if route.stops[-1].end <= brk.start < back:  # taken on the way home
            back += brk.end - brk.start
    way_home = {"request_id": RETURN, "arrival": _hhmm(back, zone)}
    return [*rows, head | way_home | _travel(route.return_travel_minutes, route.return_travel_km)]


def _visit(problem: Problem, seq: int, stop: Stop) -> dict[str, Any]:
    zone = problem.zone
    row: dict[str, Any] = {"seq": seq, "request_id": stop.request_id}
    request = problem.request_by_id.get(stop.request_id)
    if request is not None:
        row |= {
            "customer": request.customer,
            "address": request.address,
            "phone": request.phone,
            "product": request.product,
            "priority": request.priority.value,
            "promised": "yes" if request.promised is not None else "no",
        }
    row |= {
        "slot_start": _hhmm(stop.slot.start, zone),
        "slot_end": _hhmm(stop.slot.end, zone),
        "arrival": _hhmm(stop.arrival, zone),
        "start": _hhmm(stop.start, zone),
        "end": _hhmm(stop.end, zone),
    }
    return row | _travel(stop.travel_minutes, stop.travel_km)


def _hhmm(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def _travel(minutes: float, km: float) -> dict[str, float]:
    return {"travel_minutes": round(minutes, 1), "travel_km": round(km, 2)}


def _workbook(frame: pd.DataFrame) -> bytes:
    """One sheet per branch (an empty ``schedule`` sheet when there is no route)."""
    clean = frame.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
    groups = list(clean.groupby("branch_id", sort=True)) or [("schedule", clean)]
    buffer, taken = io.BytesIO(), set[str]()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for branch_id, group in groups:
            name = sheet_name(str(branch_id), taken)
            group.to_excel(writer, sheet_name=name, index=False)
            _tidy(writer.sheets[name])
    return buffer.getvalue()


def _tidy(sheet: Any) -> None:
    """Header frozen, columns wide enough, and no text read as a formula."""
    sheet.freeze_panes = "A2"
    for column in sheet.iter_cols():
        for cell in column:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 6), 50)
