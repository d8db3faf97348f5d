"""``POST /events`` (the day's disruptions) and ``POST /plans/{id}/replan`` (the rest of the day).

Events map onto stored rows: a visit started makes its request ``in_progress``, finished
``done``, a cancellation ``cancelled``, a no-show ``new`` again (to be re-booked); a new
request goes through the intake like ``POST /requests``. Every event is also recorded in
the plans in force on its date (an ``events`` field of the plan document), which is where
a re-plan finds them with their times. A re-plan is stored as a new version in force.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import Coordinator, Planner, SessionDep, SettingsDep, TravelDep, ZoneDep, not_found
from api.routes.params import JobId
from api.schemas.common import Message
from data._tables import Defects, Row
from data.events import cell_text, context_of, diff_to_dict, event_to_dict, events_from_docs, replan_document
from data.plan_io import plan_from_dict
from data.storage.bookings import hold_in_force
from data.storage.cells import cells_of
from data.storage.intake import parse_request, request_context
from data.storage.models import RequestRow
from data.storage.models_ops import PlanJobRow, PlanRow
from data.storage.plans import current_plans, store_plan
from data.storage.problem import build_problem
from data.storage.requests import TRANSITIONS, Status, add_request
from dispatch.errors import InputError, InputProblem
from dispatch.events import Cancellation, Event, NewRequest, NoShow, VisitFinished, VisitStarted, request_of
from dispatch.model import Problem
from dispatch.travel import TravelModel
from solver.replan import ReplanParams, replan

router = APIRouter(tags=["re-planning"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Message}, 403: {"model": Message}}
Events = list[dict[str, Any]]


class EventsCreate(BaseModel):
    """The day's events (the ``events.jsonl`` objects), for the plans in force on ``date``."""

    date: date
    events: Events = Field(min_length=1, max_length=1000)


class EventsAccepted(BaseModel):
    """How many events were applied, and the plans that recorded them."""

    accepted: int
    recorded_in: list[int]


class ReplanCreate(BaseModel):
    """Re-plan from ``now``; ``events`` are added to those recorded in the plan."""

    now: datetime
    events: Events = Field(default_factory=list, max_length=1000)
    time_limit_s: float = Field(default=10.0, gt=0, le=600)
    disruption_budget: int = Field(default=2, ge=0, le=100)


class ReplanPublic(BaseModel):
    """The new plan (stored and in force), its diff and any violation (of reported history)."""

    plan_id: int
    version: int
    plan: dict[str, Any]
    diff: dict[str, Any]
    violations: list[str]


_STATUS = {
    VisitStarted: Status.IN_PROGRESS,
    VisitFinished: Status.DONE,
    Cancellation: Status.CANCELLED,
    NoShow: Status.NEW,
}


def _apply(session: Session, event: Event, zone: ZoneInfo, raw: dict[str, Any]) -> None:
    """The event's effect on the stored request: its lifecycle, or the intake of a new one."""
    if isinstance(event, NewRequest):
        ctx = request_context(session, zone)
        cells = {k: cell_text(v) for k, v in (raw.get("request") or {}).items()}
        values, problems = parse_request(ctx, cells, source="events")
        if values is None:
            raise InputError(problems)
        add_request(session, values, None, zone)
        return
    target = _STATUS.get(type(event))
    row = session.get(RequestRow, getattr(event, "request_id", ""))
    if target is None or row is None or row.status == target.value:
        return
    if target in TRANSITIONS[Status(row.status)]:
        row.status = target.value


@router.post("/events", status_code=201, responses={422: {"description": "A malformed event"}, **_ERRORS})
def post_events(body: EventsCreate, user: Coordinator, session: SessionDep, zone: ZoneDep) -> EventsAccepted:
    """Apply the day's events to the requests and record them in the plans in force on ``date``."""
    ctx = request_context(session, zone)
    events = events_from_docs(list(enumerate(body.events, start=1)), ctx, "events")
    unknown = [
        InputProblem("events", n, "request_id", f"unknown request {rid}")
        for n, e in enumerate(events, start=1)
        if not isinstance(e, NewRequest) and (rid := request_of(e)) and session.get(RequestRow, rid) is None
    ]
    if unknown:
        raise InputError(unknown)
    for event, raw in zip(events, body.events, strict=True):
        _apply(session, event, zone, raw)
    recorded = sorted({c.plan_id for c in current_plans(session, body.date, None)})
    for plan_id in recorded:
        row = session.get(PlanRow, plan_id)
        assert row is not None
        row.document = {
            **row.document,
            "events": [*row.document.get("events", []), *(event_to_dict(e, zone) for e in events)],
        }
    return EventsAccepted(accepted=len(events), recorded_in=recorded)


def _problem(
    session: Session,
    plan_doc: dict[str, Any],
    days: list[date],
    branches: list[str] | None,
    zone: ZoneInfo,
    travel: TravelModel,
) -> Problem:
    """The stored scenario of the plan's days, with the requests its history holds (done ones too)."""
    problem = build_problem(session, days, branches, zone, travel).problem
    wanted = {s["request_id"] for r in plan_doc.get("routes", []) for s in r.get("stops", [])}
    wanted |= {u["request_id"] for u in plan_doc.get("unassigned", [])}
    missing = sorted(wanted - set(problem.request_by_id))
    if not missing:
        return problem
    ctx, defects = request_context(session, zone), Defects()
    rows = [session.get(RequestRow, rid) for rid in missing]
    extra = [
        ctx.request(Row("stored requests", 0, cells_of("requests", r, zone), defects))
        for r in rows
        if r is not None and r.lat is not None
    ]
    defects.raise_if_any()
    return replace(problem, requests=[*problem.requests, *extra])


@router.post(
    "/plans/{job_id}/replan",
    responses={
        404: {"model": Message},
        409: {"model": Message},
        422: {"description": "Bad events"},
        **_ERRORS,
    },
)
def post_replan(
    job_id: JobId,
    body: ReplanCreate,
    user: Planner,
    session: SessionDep,
    zone: ZoneDep,
    travel: TravelDep,
    settings: SettingsDep,
) -> ReplanPublic:
    """Re-plan the rest of the day of ``now`` for the job's branches; store the result in force."""
    job = session.get(PlanJobRow, job_id)
    if job is None or job.plan_id is None:
        raise not_found(f"plan job {job_id} with a plan")
    now = body.now.replace(tzinfo=zone) if body.now.tzinfo is None else body.now.astimezone(zone)
    day = now.date()
    currents = current_plans(session, day, job.branches)
    in_force = {c.plan_id for c in currents}
    row = session.get(PlanRow, in_force.pop() if len(in_force) == 1 else job.plan_id)
    assert row is not None
    plan = plan_from_dict(row.document, zone)
    if day not in plan.dates:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"the plan does not cover {day}, the day of now"
        )
    problem = _problem(session, row.document, list(plan.dates), job.branches, zone, travel)
    docs = [*row.document.get("events", []), *body.events]
    events = events_from_docs(list(enumerate(docs, start=1)), context_of(problem), "events")
    params = ReplanParams(
        time_limit_s=min(body.time_limit_s, settings.max_time_limit_s),
        disruption_budget=body.disruption_budget,
    )
    result = replan(problem, plan, events, now, params)
    document = replan_document(result.plan, result.remaining, result.repromised, events, result.seconds)
    document["events"] = [event_to_dict(e, zone) for e in events]
    scope = sorted(job.branches) if job.branches is not None else sorted(problem.branch_by_id)
    seen = {(c.date, c.branch_id): c.plan_id for c in currents if c.branch_id in scope}
    if (stale := hold_in_force(session, [day], scope, seen)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{stale}; re-plan again")
    stored = store_plan(session, document, list(plan.dates), scope)
    return ReplanPublic(
        plan_id=stored.id,
        version=stored.version,
        plan=document,
        diff=diff_to_dict(result.diff, zone),
        violations=[str(v) for v in result.violations],
    )
