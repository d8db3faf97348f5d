"""Plan jobs and stored plans: versions, the plan in force per day and branch, restarts."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session

from data.storage.models import BranchRow, EngineerRow, RequestRow
from data.storage.models_ops import CurrentPlanRow, PlanJobRow, PlanRouteRow, PlanRow
from data.storage.scenario import now

#: Job states; the last three are final.
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL = frozenset({DONE, FAILED, CANCELLED})


def create_job(
    session: Session,
    dates: Sequence[date],
    branches: Sequence[str] | None,
    time_limit_s: float,
    solution_limit: int | None = None,
    retry_of: str | None = None,
) -> PlanJobRow:
    """A queued job to plan ``dates`` for ``branches`` (all when ``None``)."""
    job = PlanJobRow(
        id=uuid.uuid4().hex,
        status=QUEUED,
        progress=0.0,
        message="",
        dates=[d.isoformat() for d in sorted(set(dates))],
        branches=None if branches is None else sorted(set(branches)),
        time_limit_s=time_limit_s,
        solution_limit=solution_limit,
        retry_of=retry_of,
        created_at=now(),
    )
    session.add(job)
    session.flush()
    return job


def fail_interrupted(session: Session) -> int:
    """Mark the jobs a stopped service left queued or running as failed; how many there were."""
    result = session.execute(
        update(PlanJobRow)
        .where(PlanJobRow.status.in_((QUEUED, RUNNING)))
        .values(status=FAILED, error="interrupted by a restart of the service; retry it", finished_at=now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def store_plan(
    session: Session, document: dict[str, Any], dates: Sequence[date], branches: Sequence[str]
) -> PlanRow:
    """Store a plan and put it in force for each of its days and branches.

    Its version is one more than the newest plan it replaces on any of those; the requests
    it serves that were new or booked become planned.
    """
    pairs = [(d, b) for d in dates for b in branches]
    replaced = list(session.scalars(select(CurrentPlanRow).where(CurrentPlanRow.date.in_(list(dates)))))
    replaced = [c for c in replaced if (c.date, c.branch_id) in set(pairs)]
    version = 1 + max((c.version for c in replaced), default=0)
    plan = put_in_force(session, document, dates, branches, pairs, replaced, version)
    served = [s["request_id"] for r in document.get("routes", []) for s in r.get("stops", [])]
    if served:
        session.execute(
            update(RequestRow)
            .where(RequestRow.request_id.in_(served), RequestRow.status.in_(("new", "booked")))
            .values(status="planned", updated_at=now(), version=RequestRow.version + 1)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return plan


def put_in_force(
    session: Session,
    document: dict[str, Any],
    dates: Sequence[date],
    branches: Sequence[str],
    pairs: Sequence[tuple[date, str]],
    replaced: Sequence[CurrentPlanRow],
    version: int,
) -> PlanRow:
    """Store ``document`` as plan ``version`` with its routes, in force on ``pairs`` in place of ``replaced``."""
    plan = PlanRow(
        version=version,
        dates=[d.isoformat() for d in dates],
        branches=list(branches),
        document=document,
        created_at=now(),
    )
    session.add(plan)
    session.flush()
    for current in replaced:
        session.delete(current)
    session.flush()
    session.add_all(CurrentPlanRow(date=d, branch_id=b, plan_id=plan.id, version=version) for d, b in pairs)
    session.add_all(
        PlanRouteRow(
            plan_id=plan.id, engineer_id=r["engineer_id"], date=date.fromisoformat(r["date"]), route=r
        )
        for r in document.get("routes", [])
    )
    session.flush()
    return plan


def current_plans(session: Session, day: date, branches: Collection[str] | None) -> list[CurrentPlanRow]:
    """The plans in force on ``day``, per branch, for the given branches (all when ``None``)."""
    query = select(CurrentPlanRow).where(CurrentPlanRow.date == day).order_by(CurrentPlanRow.branch_id)
    if branches is not None:
        query = query.where(CurrentPlanRow.branch_id.in_(list(branches)))
    return list(session.scalars(query))


def current_plan(session: Session, day: date, branch_id: str) -> PlanRow | None:
    """The plan in force for one day and branch, if any."""
    current = session.get(CurrentPlanRow, (day, branch_id))
    return None if current is None else session.get(PlanRow, current.plan_id)


@dataclass(frozen=True)
class EngineerDay:
    """An engineer, their branch's location, and their day in the plan in force, read in one query.

    ``plan_id`` and ``version`` are ``None`` when no plan is in force for the day and branch;
    ``route`` is ``None`` when there is none or it gives the engineer no route.
    """

    engineer_id: str
    branch_id: str
    start_lat: float | None
    start_lon: float | None
    branch_lat: float | None
    branch_lon: float | None
    plan_id: int | None
    version: int | None
    route: dict[str, Any] | None


#: One round trip: the engineer, their branch, the plan in force on the day and their route in it.
_ENGINEER_DAY = (
    select(
        EngineerRow.engineer_id,
        EngineerRow.branch_id,
        EngineerRow.start_lat,
        EngineerRow.start_lon,
        BranchRow.lat,
        BranchRow.lon,
        CurrentPlanRow.plan_id,
        CurrentPlanRow.version,
        PlanRouteRow.route,
    )
    .select_from(EngineerRow)
    .outerjoin(BranchRow, BranchRow.branch_id == EngineerRow.branch_id)
    .outerjoin(
        CurrentPlanRow,
        and_(CurrentPlanRow.branch_id == EngineerRow.branch_id, CurrentPlanRow.date == bindparam("day")),
    )
    .outerjoin(
        PlanRouteRow,
        and_(
            PlanRouteRow.plan_id == CurrentPlanRow.plan_id,
            PlanRouteRow.engineer_id == EngineerRow.engineer_id,
            PlanRouteRow.date == bindparam("day"),
        ),
    )
    .where(EngineerRow.engineer_id == bindparam("engineer_id"))
)


def engineer_day(session: Session, engineer_id: str, day: date) -> EngineerDay | None:
    """The engineer and their route on ``day`` in the plan in force, or ``None`` for an unknown engineer.

    One round trip instead of three (engineer, plan in force, route).
    """
    row = session.connection().execute(_ENGINEER_DAY, {"engineer_id": engineer_id, "day": day}).first()
    return None if row is None else EngineerDay(*row)
