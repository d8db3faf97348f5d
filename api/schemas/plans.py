"""Plan jobs, stored plans and plan checks on the wire."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Id

#: The most days one job plans, and the widest span between its first and last day.
MAX_DAYS = 14


class PlanJobCreate(BaseModel):
    """What to plan: days, branches (all when left out) and the search budget."""

    dates: list[date] = Field(min_length=1, max_length=MAX_DAYS)
    branches: list[Id] | None = Field(None, min_length=1, max_length=500)
    time_limit_s: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False)
    solution_limit: int | None = Field(None, ge=1, le=100_000)
    backend: Literal["auto", "single", "process", "ray"] = Field(
        "auto",
        description="single: one model; process / ray: one sub-problem per branch and day on the "
        "service's process pool / the Ray cluster of DISPATCH_RAY_ADDRESS; auto: one model up to "
        "1,000 requests, else process",
    )
    workers: int = Field(2, ge=1, le=64, description="Sub-problems solved at once (process, ray)")

    @field_validator("dates")
    @classmethod
    def _span(cls, dates: list[date]) -> list[date]:
        days = sorted(set(dates))
        if (days[-1] - days[0]).days >= MAX_DAYS:
            raise ValueError(f"the dates must lie within {MAX_DAYS} consecutive days")
        return days


class PlanCreated(BaseModel):
    """The id of a queued job, to poll with ``GET /plans/{id}``."""

    id: str


class BranchProgressPublic(BaseModel):
    """One branch and day of a decomposed job (``key`` ``BRANCH@DATE``, ``/2`` for the second pass)."""

    key: str
    state: str
    fraction: float
    message: str


class PlanJobPublic(BaseModel):
    """A job's state; ``plan`` (the contract's plan JSON) once it is done or was stopped.

    ``branch_progress`` lists each branch and day of a decomposed job, kept in memory by the
    running service (empty after a restart, and for one-model jobs).
    """

    id: str
    status: str
    progress: float
    message: str
    dates: list[date]
    branches: list[str] | None
    time_limit_s: float
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    retry_of: str | None
    plan_id: int | None = None
    version: int | None = None
    plan: dict[str, Any] | None = None
    backend: str | None = None
    branch_progress: list[BranchProgressPublic] = []


class CurrentPlanPublic(BaseModel):
    """The plan in force for one day and branch (its routes and unassigned work of that branch)."""

    date: date
    branch_id: str
    plan_id: int
    version: int
    plan: dict[str, Any]


class PlanCheck(BaseModel):
    """A plan to check against the stored data, for some branches (all when left out)."""

    plan: dict[str, Any]
    branches: list[Id] | None = Field(None, min_length=1, max_length=500)


class ViolationPublic(BaseModel):
    """One broken rule of the contract."""

    code: str
    message: str
    request_id: str | None = None
    engineer_id: str | None = None


class CheckResult(BaseModel):
    """Every violation found; empty when the plan is valid."""

    violations: list[ViolationPublic]
