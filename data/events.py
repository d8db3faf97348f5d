"""The day's events as JSON: ``events.jsonl`` (one event per line) and the API's bodies.

Each event is an object with a ``type`` (see :data:`dispatch.events.TYPES`) and its fields;
date-times are ISO 8601, without an offset in the service area's zone. A ``new_request``
carries the contract's request fields under ``request``, checked by the contract's own row
builder. Every defect is raised at once as an :class:`~dispatch.errors.InputError` naming
the line and the field (``events.jsonl row 3 field request.lat``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data._entities import Context
from data._tables import Defects, Row
from data.plan_io import plan_to_dict
from dispatch.errors import InputError
from dispatch.events import (
    TYPES,
    Cancellation,
    EngineerUnavailable,
    Event,
    NewRequest,
    NoShow,
    VisitFinished,
    VisitOverrun,
    VisitStarted,
    type_name,
)
from dispatch.model import Problem, TimeWindow
from dispatch.plan import Plan
from dispatch.replan import Remaining
from dispatch.replan_diff import Change, Diff, Placement

EVENTS_FILE = "events.jsonl"


def context_of(problem: Problem) -> Context:
    """What a new request is checked against: the scenario's branches and engineers, the default catalogue."""
    ids = frozenset(problem.branch_by_id)
    return Context(problem.zone, {}, dict(problem.branch_by_id), ids, frozenset(problem.engineer_by_id))


def read_events(path: Path, ctx: Context) -> list[Event]:
    """The events of the JSON-lines file at ``path``; blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(path.name, None, None, f"cannot read: {exc}") from exc
    defects = Defects()
    docs: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            docs.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            defects.add(path.name, number, None, f"not valid JSON: {exc.msg} at column {exc.colno}")
    events = events_from_docs(docs, ctx, path.name, defects)
    return events


def events_from_docs(
    docs: Iterable[tuple[int, Any]], ctx: Context, source: str = EVENTS_FILE, defects: Defects | None = None
) -> list[Event]:
    """The events of parsed JSON objects, each with its line (or list position) number."""
    defects = defects or Defects()
    events = [
        event for number, doc in docs if (event := _event(doc, ctx, source, number, defects)) is not None
    ]
    defects.raise_if_any()
    return events


def _event(doc: Any, ctx: Context, source: str, number: int, defects: Defects) -> Event | None:
    if not isinstance(doc, Mapping):
        defects.add(source, number, None, "not a JSON object")
        return None
    kind = doc.get("type")
    if kind not in TYPES:
        defects.add(source, number, "type", f"{kind!r} is not one of {', '.join(TYPES)}")
        return None
    if kind == "new_request":
        return _new_request(doc.get("request"), ctx, source, number, defects)
    row = Row(source, number, {k: cell_text(v) for k, v in doc.items()}, defects)
    event = _build(str(kind), row, ctx.zone)
    return event if row.ok else None


def _build(kind: str, row: Row, zone: ZoneInfo) -> Event:
    def when(name: str, required: bool = True) -> datetime:
        moment = row.moment(name, zone)
        if moment is None and required:
            row.error(name, "required, but empty")
        return moment or datetime(2000, 1, 1, tzinfo=zone)

    if kind == "engineer_unavailable":
        return EngineerUnavailable(row.required("engineer_id"), row.moment("from", zone))
    rid = row.required("request_id")
    if kind == "visit_started":
        return VisitStarted(rid, when("at"))
    if kind == "visit_finished":
        return VisitFinished(rid, when("at"))
    if kind == "visit_overrun":
        return VisitOverrun(rid, when("expected_end"))
    if kind == "cancellation":
        return Cancellation(rid, row.moment("at", zone))
    return NoShow(rid, when("at"))


def _new_request(value: Any, ctx: Context, source: str, number: int, defects: Defects) -> Event | None:
    if not isinstance(value, Mapping):
        defects.add(source, number, "request", "required: an object of the contract's request fields")
        return None
    own = Defects()
    request = ctx.request(Row(source, number, {k: cell_text(v) for k, v in value.items()}, own))
    for p in own.problems:
        defects.add(p.file, p.row, f"request.{p.field}" if p.field else "request", p.message)
    return None if own.problems else NewRequest(request)


def cell_text(value: Any) -> str:
    """A JSON value as the CSV cell it stands for: lists of tags joined with ``;``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, list):
        return ";".join(cell_text(v) for v in value)
    return str(value).strip()


def event_to_dict(event: Event, zone: ZoneInfo) -> dict[str, Any]:
    """The event as the JSON object it is read from (a new request with its key fields)."""

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")

    out: dict[str, Any] = {"type": type_name(event)}
    if isinstance(event, EngineerUnavailable):
        return out | {"engineer_id": event.engineer_id, "from": iso(event.start)}
    if isinstance(event, NewRequest):
        return out | {"request": request_to_dict(event, zone)}
    out["request_id"] = event.request_id
    if isinstance(event, VisitOverrun):
        return out | {"expected_end": iso(event.expected_end)}
    return out | {"at": iso(event.at)}


def request_to_dict(event: NewRequest, zone: ZoneInfo) -> dict[str, Any]:
    """A new request's contract fields, enough to read it back."""
    r = event.request
    out: dict[str, Any] = {
        "request_id": r.request_id, "lat": r.location.lat, "lon": r.location.lon, "product": r.product,
        "priority": r.priority.value, "duration_min": r.duration.total_seconds() / 60,
        "required_skills": ";".join(sorted(r.required_skills)), "customer": r.customer, "phone": r.phone,
        "address": r.address, "fault": r.fault, "preferred_engineer_id": r.preferred_engineer_id,
    }  # fmt: skip
    if r.received_at is not None:
        out["received_at"] = r.received_at.astimezone(zone).isoformat(timespec="seconds")
    if r.promised is not None:
        w = r.promised.window
        out |= {
            "promised_date": r.promised.day.isoformat(),
            "promised_start": f"{w.start:%H:%M}",
            "promised_end": f"{w.end:%H:%M}",
        }
    for name in ("earliest_date", "latest_date"):
        if (day := getattr(r, name)) is not None:
            out[name] = day.isoformat()
    return out


def diff_to_dict(diff: Diff, zone: ZoneInfo) -> dict[str, Any]:
    """The re-plan's diff as JSON: each kind a list of changes with request id and details."""

    def placed(p: Placement | None) -> dict[str, Any] | None:
        if p is None:
            return None
        return {
            "engineer_id": p.engineer_id,
            "slot_start": p.slot.start.astimezone(zone).isoformat(timespec="seconds"),
            "slot_end": p.slot.end.astimezone(zone).isoformat(timespec="seconds"),
            "start": p.start.astimezone(zone).isoformat(timespec="seconds"),
        }

    def change(c: Change) -> dict[str, Any]:
        out = {
            "request_id": c.request_id,
            "detail": c.detail,
            "before": placed(c.before),
            "after": placed(c.after),
        }
        if c.proposal is not None or c in diff.broken_promises or c in diff.dropped:
            out["proposal"] = placed(c.proposal)
        return out

    kinds = ("moved", "reassigned", "newly_late", "broken_promises", "dropped", "booked", "notify")
    return {kind: [change(c) for c in getattr(diff, kind)] for kind in kinds}


def replan_document(
    plan: Plan, rem: Remaining, repromised: Mapping[str, TimeWindow], events: Sequence[Event], seconds: float
) -> dict[str, Any]:
    """The new plan's JSON document plus a ``replan`` field: moment, events, frozen visits, re-promises."""
    zone = rem.problem.zone
    doc = plan_to_dict(plan, zone)
    doc["replan"] = {
        "now": rem.now.astimezone(zone).isoformat(timespec="seconds"),
        "events": [event_to_dict(e, zone) for e in events],
        "frozen": sorted(rem.frozen_ids()),
        "repromised": {
            rid: {
                "slot_start": w.start.isoformat(timespec="seconds"),
                "slot_end": w.end.isoformat(timespec="seconds"),
            }
            for rid, w in sorted(repromised.items())
        },
        "seconds": round(seconds, 2),
    }
    return doc
