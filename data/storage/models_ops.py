"""The service's own tables: plan jobs, stored plans, the plan in force, API keys, geocodes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from data.storage.models import ID_LENGTH, Base


class PlanJobRow(Base):
    """One run of the planner: what it plans, how far it got, and its plan when there is one."""

    __tablename__ = "plan_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(default="")
    dates: Mapped[list[str]]
    branches: Mapped[list[str] | None]
    time_limit_s: Mapped[float]
    solution_limit: Mapped[int | None]
    error: Mapped[str | None]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    retry_of: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class PlanRow(Base):
    """A stored plan: the contract's plan document, its scope and its version."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version: Mapped[int]
    dates: Mapped[list[str]]
    branches: Mapped[list[str]]
    document: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    created_at: Mapped[datetime]


class PlanRouteRow(Base):
    """One route of a stored plan, kept apart so that reading a route never loads the whole plan."""

    __tablename__ = "plan_routes"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    engineer_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    date: Mapped[date] = mapped_column(primary_key=True)
    route: Mapped[dict[str, Any]]


class CurrentPlanRow(Base):
    """The plan in force for one day and branch."""

    __tablename__ = "current_plans"

    date: Mapped[date] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    version: Mapped[int]


class ApiKeyRow(Base):
    """An API key, stored as its SHA-256 hash, with its role and what it may see."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    branches: Mapped[list[str]]
    engineer_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]


class GeocodeRow(Base):
    """A cached answer of a geocoding provider: WGS-84 coordinates, or why there are none."""

    __tablename__ = "geocodes"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    query_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    query: Mapped[str]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    detail: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime]


class BookingRow(Base):
    """A booked appointment: the promise made to the caller, its work order and the code's secret."""

    __tablename__ = "bookings"

    request_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    work_order: Mapped[str] = mapped_column(String(32), unique=True)
    branch_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    date: Mapped[date]
    slot_start: Mapped[datetime]
    slot_end: Mapped[datetime]
    engineer_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
