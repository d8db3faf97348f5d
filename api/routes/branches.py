"""``/branches``: the outlets, and each one's review of a day: routes and figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import Reader, SessionDep, not_found
from api.routes.params import PathId
from api.routes.views import restrict
from api.schemas.common import Message
from api.schemas.scenario import BranchPublic, BranchReview
from data.storage.models import BranchRow
from data.storage.plans import current_plan

router = APIRouter(prefix="/branches", tags=["branches"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Message},
    403: {"model": Message},
    404: {"model": Message},
}


@router.get("", responses=_ERRORS)
def read_branches(user: Reader, session: SessionDep) -> list[BranchPublic]:
    """The branches the caller may see."""
    query = select(BranchRow).order_by(BranchRow.branch_id)
    if user.visible_branches is not None:
        query = query.where(BranchRow.branch_id.in_(sorted(user.visible_branches)))
    return [BranchPublic.model_validate(b, from_attributes=True) for b in session.scalars(query)]


def _summary(route: dict[str, Any]) -> dict[str, Any]:
    stops = route.get("stops", [])
    km = sum(s.get("travel_km", 0.0) for s in stops) + route.get("return_travel_km", 0.0)
    minutes = sum(s.get("travel_minutes", 0.0) for s in stops) + route.get("return_travel_minutes", 0.0)
    return {"engineer_id": route.get("engineer_id"), "visits": len(stops), "km": round(km, 1), "travel_minutes": round(minutes, 1),
            "first_start": stops[0]["start"] if stops else None, "last_end": stops[-1]["end"] if stops else None}  # fmt: skip


@router.get("/{branch_id}/review", responses=_ERRORS)
def review_branch(
    branch_id: PathId, user: Reader, session: SessionDep, date_: Annotated[date, Query(alias="date")]
) -> BranchReview:
    """The branch's day in the plan in force: routes in short; km, travel per visit, utilisation,
    punctuality (on-time share), emergencies served and workload spread."""
    if session.get(BranchRow, branch_id) is None or not user.sees_branch(branch_id):
        raise not_found(f"branch {branch_id}")
    plan = current_plan(session, date_, branch_id)
    if plan is None:
        raise not_found(f"a plan in force on {date_} for branch {branch_id}")
    mine = restrict(session, plan.document, {branch_id})
    routes = [_summary(r) for r in mine["routes"] if r.get("date") == date_.isoformat()]
    kpis = mine["kpis"]["branches"].get(branch_id, {})
    return BranchReview(
        branch_id=branch_id, date=date_, plan_id=plan.id, version=plan.version, routes=routes, kpis=kpis
    )
