"""``/plans/edits``: hand edits of the plan in force, drawn up, checked and stored as a new version.

``POST /plans/edits/move`` draws up a plan with one visit moved (nothing is stored); the
desk sends it to ``/plans/check`` and then to ``POST /plans/edits``, which checks it again
against the stored data, refuses it with its violations (422) or when the plan in force
changed meanwhile (409), and otherwise puts it in force as a new version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import Reader, SessionDep, TravelDep, ZoneDep, not_found
from api.edits import EditError, Move, move_visit
from api.routes.views import check, owners, restrict
from api.schemas.common import Id, Message
from api.schemas.plans import ViolationPublic
from api.security import Principal
from data.plan_io import plan_from_dict, plan_to_dict
from data.storage.bookings import hold_in_force
from data.storage.models import BranchRow
from data.storage.models_ops import PlanRow
from data.storage.plans import current_plans, store_plan
from data.storage.problem import Scoped, build_problem
from dispatch.kpis import plan_kpis
from dispatch.model import TimeWindow
from dispatch.plan import Plan

router = APIRouter(prefix="/plans/edits", tags=["plans"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Message}, 403: {"model": Message}, 404: {"model": Message},
}  # fmt: skip


class MoveRequest(BaseModel):
    """Move ``request_id`` in ``plan`` (the branches' plan in force) to an engineer, day and slot."""

    plan: dict[str, Any]
    branches: list[Id] = Field(min_length=1, max_length=50)
    request_id: Id
    engineer_id: Id
    date: date
    slot_start: datetime | None = None
    slot_end: datetime | None = None


class MovedPlan(BaseModel):
    """The plan with the visit moved and its routes re-timed; not checked, not stored."""

    plan: dict[str, Any]


class PlanEdit(BaseModel):
    """An edited plan of some branches, and the plan each branch's edit started from."""

    plan: dict[str, Any]
    based_on: dict[Id, int] = Field(min_length=1, max_length=50, description="branch id -> plan id")


class EditSaved(BaseModel):
    """The stored edit: a new plan in force for its days and branches."""

    plan_id: int
    version: int
    dates: list[date]
    branches: list[str]


def _scope(session: Session, branches: list[str], user: Principal) -> list[str]:
    for branch_id in branches:
        if session.get(BranchRow, branch_id) is None or not user.sees_branch(branch_id):
            raise not_found(f"branch {branch_id}")
    return sorted(set(branches))


def _unprocessable(field: str, message: str) -> HTTPException:
    detail = [{"loc": ["body", field], "msg": message, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _with_unplaced(scoped: Scoped, plan: Plan) -> Plan:
    """The plan listing the requests that wait for a location, which every branch's plan must list."""
    listed = {u.request_id for u in plan.unassigned}
    extra = [u for u in scoped.unplaced if u.request_id not in listed]
    return Plan(plan.dates, plan.routes, [*plan.unassigned, *extra], plan.kpis)


@router.post("/move", responses={422: {"description": "A move that cannot be drawn up"}, **_ERRORS})
def draw_move(
    body: MoveRequest, user: Reader, session: SessionDep, zone: ZoneDep, travel: TravelDep
) -> MovedPlan:
    """The plan with one visit moved to an engineer, day and slot, routes re-timed; check it before saving."""
    _scope(session, body.branches, user)
    plan = plan_from_dict(body.plan, zone)
    days = sorted({*plan.dates, body.date})
    # Every branch's work: a route may serve requests nearer to another branch.
    scoped = build_problem(session, days, None, zone, travel)
    slot = None
    if body.slot_start is not None or body.slot_end is not None:
        if body.slot_start is None or body.slot_end is None or body.slot_end <= body.slot_start:
            raise _unprocessable("slot_end", "give slot_start and a later slot_end, or neither")
        slot = TimeWindow(body.slot_start.astimezone(zone), body.slot_end.astimezone(zone))
    try:
        moved = move_visit(scoped.problem, plan, Move(body.request_id, body.engineer_id, body.date, slot))
    except EditError as exc:
        raise _unprocessable(exc.field, str(exc)) from exc
    return MovedPlan(plan=plan_to_dict(moved, zone))


def _stale(session: Session, days: list[date], based_on: dict[str, int]) -> str | None:
    """Lock the edited branches and say whether their plans in force are still those edited."""
    seen = {(day, branch_id): plan_id for day in days for branch_id, plan_id in based_on.items()}
    return hold_in_force(session, days, list(based_on), seen)


def _with_the_rest(
    session: Session, doc: dict[str, Any], days: list[date], branches: list[str]
) -> dict[str, Any]:
    """The edited branches' part joined with the other branches' plans in force on the same days.

    The edit is checked on the whole network, as a route may serve work nearer another branch;
    only the edited part comes from the caller, whose routes must be their branches' engineers'.
    """
    crew, _ = owners(session, doc)
    foreign = sorted(e for e, b in crew.items() if b not in branches)
    if foreign:
        raise _unprocessable("plan", f"routes of engineers outside the edited branches: {', '.join(foreign)}")
    routes, unassigned = list(doc.get("routes", [])), list(doc.get("unassigned", []))
    placed = {s.get("request_id") for r in routes for s in r.get("stops", [])}
    listed = placed | {u.get("request_id") for u in unassigned}
    wanted = {d.isoformat() for d in days}
    for day in days:
        for current in current_plans(session, day, None):
            if current.branch_id in branches:
                continue
            row = session.get(PlanRow, current.plan_id)
            part = restrict(session, row.document if row else {}, {current.branch_id})
            routes += [r for r in part["routes"] if r.get("date") == day.isoformat()]
            unassigned += [u for u in part["unassigned"] if u.get("request_id") not in listed]
            listed |= {u.get("request_id") for u in part["unassigned"]}
    unique: dict[tuple[Any, Any], dict[str, Any]] = {}
    for route in routes:  # the caller's routes first: theirs win
        if route.get("date") in wanted:
            unique.setdefault((route.get("engineer_id"), route.get("date")), route)
    return {"dates": sorted(wanted), "routes": list(unique.values()), "unassigned": unassigned, "kpis": {}}


@router.post(
    "",
    status_code=201,
    responses={409: {"model": Message}, 422: {"description": "The violations of the edit"}, **_ERRORS},
)
def save_edit(
    body: PlanEdit, user: Reader, session: SessionDep, zone: ZoneDep, travel: TravelDep
) -> EditSaved:
    """Check an edited plan against the stored data and, when valid, put it in force as a new version."""
    branches = _scope(session, list(body.based_on), user)
    plan = plan_from_dict(body.plan, zone)
    days = sorted(plan.dates)
    if not days:
        raise _unprocessable("plan", "the plan has no dates and no routes")
    if (stale := _stale(session, days, body.based_on)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, stale)
    network = _with_the_rest(session, body.plan, days, branches)
    plan = plan_from_dict(network, zone)
    scoped = build_problem(session, days, None, zone, travel)
    plan = _with_unplaced(scoped, plan)
    found = check(scoped, plan)
    if found:
        violations = [
            ViolationPublic(
                code=v.code, message=v.message, request_id=v.request_id, engineer_id=v.engineer_id
            )
            for v in found
        ]
        detail = {"message": "the edit breaks the rules", "violations": [v.model_dump() for v in violations]}
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
    kpis = {**plan_kpis(scoped.problem, plan), "needs_location": len(scoped.unplaced)}
    document = plan_to_dict(Plan(days, plan.routes, plan.unassigned, kpis), zone)
    stored = store_plan(session, document, days, branches)
    return EditSaved(plan_id=stored.id, version=stored.version, dates=days, branches=branches)
