"""``/plans``: plan jobs (submit, poll, stop, retry), the plan in force, and plan checks."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import JobsDep, Planner, Reader, SessionDep, SettingsDep, TravelDep, ZoneDep, not_found
from api.jobs import PlanJobs
from api.routes.params import JobId
from api.routes.views import check, restrict
from api.schemas.common import Message
from api.schemas.plans import (
    BranchProgressPublic,
    CheckResult,
    CurrentPlanPublic,
    PlanCheck,
    PlanCreated,
    PlanJobCreate,
    PlanJobPublic,
    ViolationPublic,
)
from api.security import Principal
from data.plan_io import plan_from_dict
from data.storage.models import BranchRow
from data.storage.models_ops import PlanJobRow, PlanRow
from data.storage.plans import FINAL, create_job, current_plans
from data.storage.problem import build_problem

router = APIRouter(prefix="/plans", tags=["plans"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Message}, 403: {"model": Message}}


def _check_branches(session: Session, branches: list[str] | None) -> None:
    known = set(session.scalars(select(BranchRow.branch_id)))
    unknown = sorted(set(branches or ()) - known)
    if unknown:
        detail = [
            {
                "loc": ["body", "branches"],
                "msg": f"unknown branches {', '.join(unknown)}",
                "type": "value_error",
            }
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _job_public(session: Session, job: PlanJobRow, user: Principal, jobs: PlanJobs) -> PlanJobPublic:
    plan = session.get(PlanRow, job.plan_id) if job.plan_id is not None else None
    out = PlanJobPublic.model_validate(job, from_attributes=True)
    visible = user.visible_branches
    parts = [
        BranchProgressPublic(key=p.key, state=p.state, fraction=round(p.fraction, 3), message=p.message)
        for p in jobs.branch_progress(job.id)
        if visible is None or p.key.split("@")[0] in visible
    ]
    out = out.model_copy(update={"backend": jobs.choice(job.id)[0], "branch_progress": parts})
    if plan is not None:
        visible = user.visible_branches
        document = plan.document if visible is None else restrict(session, plan.document, visible)
        out = out.model_copy(update={"version": plan.version, "plan": document})
    return out


def _visible_job(session: Session, job_id: str, user: Principal) -> PlanJobRow:
    job = session.get(PlanJobRow, job_id)
    visible = user.visible_branches
    if job is None or (visible is not None and not visible & set(job.branches or visible)):
        raise not_found(f"plan job {job_id}")
    return job


@router.post(
    "", status_code=202, responses={422: {"description": "Bad dates, branches or budget"}, **_ERRORS}
)
def create_plan(
    body: PlanJobCreate, user: Planner, session: SessionDep, jobs: JobsDep, settings: SettingsDep
) -> PlanCreated:
    """Queue a plan job for the days and branches; poll it at ``/plans/{id}``."""
    _check_branches(session, body.branches)
    budget = min(body.time_limit_s, settings.max_time_limit_s)
    job = create_job(session, body.dates, body.branches, budget, body.solution_limit)
    session.commit()
    jobs.submit(job.id, body.backend, body.workers)
    return PlanCreated(id=job.id)


@router.get("/current", responses=_ERRORS)
def read_current(
    user: Reader, session: SessionDep, date_: Annotated[date, Query(alias="date")]
) -> list[CurrentPlanPublic]:
    """The plans in force on ``date``, one per branch (a manager sees their own branches)."""
    out = []
    for current in current_plans(session, date_, user.visible_branches):
        plan = session.get(PlanRow, current.plan_id)
        assert plan is not None
        document = restrict(session, plan.document, {current.branch_id})
        out.append(
            CurrentPlanPublic(
                date=current.date,
                branch_id=current.branch_id,
                plan_id=plan.id,
                version=current.version,
                plan=document,
            )
        )
    return out


@router.post("/check", responses={422: {"description": "Not a plan document"}, **_ERRORS})
def check_plan(
    body: PlanCheck, user: Planner, session: SessionDep, zone: ZoneDep, travel: TravelDep
) -> CheckResult:
    """Check a plan (hand-edited, say) against the stored data; no violations means valid."""
    _check_branches(session, body.branches)
    plan = plan_from_dict(body.plan, zone)
    if not plan.dates:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the plan has no dates and no routes")
    scoped = build_problem(session, plan.dates, body.branches, zone, travel)
    found = check(scoped, plan)
    return CheckResult(
        violations=[
            ViolationPublic(
                code=v.code, message=v.message, request_id=v.request_id, engineer_id=v.engineer_id
            )
            for v in found
        ]
    )


@router.get("/{job_id}", responses={404: {"model": Message}, **_ERRORS})
def read_plan(job_id: JobId, user: Reader, session: SessionDep, jobs: JobsDep) -> PlanJobPublic:
    """A job's status and progress (per branch when decomposed), and its plan once done (or stopped)."""
    return _job_public(session, _visible_job(session, job_id, user), user, jobs)


@router.delete("/{job_id}", responses={404: {"model": Message}, **_ERRORS})
def stop_plan(job_id: JobId, user: Planner, session: SessionDep, jobs: JobsDep) -> PlanJobPublic:
    """Stop a job; the best plan found so far is kept (and put in force)."""
    job = _visible_job(session, job_id, user)
    if job.status not in FINAL and not jobs.stop(job.id):
        job.status, job.error = "failed", "no worker holds this job; retry it"
    return _job_public(session, job, user, jobs)


@router.post(
    "/{job_id}/retry",
    status_code=202,
    responses={404: {"model": Message}, 409: {"model": Message}, **_ERRORS},
)
def retry_plan(job_id: JobId, user: Planner, session: SessionDep, jobs: JobsDep) -> PlanCreated:
    """Run a finished job again with the same days, branches and budget."""
    job = _visible_job(session, job_id, user)
    if job.status not in FINAL:
        raise HTTPException(status.HTTP_409_CONFLICT, f"plan job {job_id} is still {job.status}")
    dates = [date.fromisoformat(d) for d in job.dates]
    again = create_job(session, dates, job.branches, job.time_limit_s, job.solution_limit, retry_of=job.id)
    session.commit()
    jobs.submit(again.id, *jobs.choice(job.id))
    return PlanCreated(id=again.id)
