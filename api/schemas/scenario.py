"""Branches, engineers, calendars and routes on the wire."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BranchPublic(BaseModel):
    """A service outlet."""

    branch_id: str
    name: str
    lat: float
    lon: float


class EngineerPublic(BaseModel):
    """An engineer: branch, skills, where the day starts."""

    engineer_id: str
    name: str
    branch_id: str
    skills: list[str]
    home_lat: float
    home_lon: float
    max_jobs: int | None
    phone: str | None


class ShiftPublic(BaseModel):
    """One working day, with its break window when it has one."""

    date: date
    start: time
    end: time
    break_earliest: time | None
    break_latest: time | None
    break_minutes: float | None


class AbsencePublic(BaseModel):
    """A day off from the HR calendar."""

    date: date
    summary: str


class CalendarPublic(BaseModel):
    """An engineer's shifts and days off in a period; a day off cancels that day's shift."""

    engineer_id: str
    shifts: list[ShiftPublic]
    absences: list[AbsencePublic]


class RouteStopPublic(BaseModel):
    """One visit of a route with what the engineer needs there (personal data by role)."""

    request_id: str
    slot_start: str
    slot_end: str
    arrival: str
    start: str
    end: str
    travel_minutes: float
    travel_km: float
    lat: float | None
    lon: float | None
    product: str | None
    fault: str | None
    priority: str | None
    customer: str | None
    phone: str | None
    address: str | None


class RoutePublic(BaseModel):
    """An engineer's day in the plan in force: the break, the visits in order, the way home."""

    engineer_id: str
    date: date
    plan_id: int
    version: int
    home_lat: float
    home_lon: float
    break_: dict[str, Any] | None = Field(None, alias="break")
    stops: list[RouteStopPublic]
    return_travel_minutes: float
    return_travel_km: float

    model_config = ConfigDict(populate_by_name=True)


class BranchReview(BaseModel):
    """One branch's day: its routes in short and the plan's figures for it."""

    branch_id: str
    date: date
    plan_id: int
    version: int
    routes: list[dict[str, Any]]
    kpis: dict[str, Any]
