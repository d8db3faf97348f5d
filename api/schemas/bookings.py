"""Slot offers and bookings on the wire; times as in the plan JSON (ISO 8601 with offset)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Id
from api.schemas.requests import RequestCreate


class OfferCreate(BaseModel):
    """A caller's request (the contract's request fields) and how many days to offer from ``start_date``."""

    request: RequestCreate
    days: int = Field(default=7, ge=1, le=14)
    start_date: date | None = Field(default=None, description="The first day to offer; today when left out.")


class OfferPublic(BaseModel):
    """One slot the plan can honour: its engineer, grade and why, and whether a surcharge applies."""

    date: date
    slot_start: str
    slot_end: str
    engineer_id: str
    grade: str
    why: dict[str, Any]
    eta: str = Field(description="The latest the engineer starts the visit, on the planner's reserves.")
    remote_surcharge: bool
    distance_km: float


class OffersPublic(BaseModel):
    """Offers best first; when there are none, ``reason`` says why (and ``reason_code`` in short)."""

    branch_id: str | None
    offers: list[OfferPublic]
    reason: str | None
    reason_code: str | None = None


class BookingCreate(BaseModel):
    """Book a stored request into one offered slot."""

    request_id: Id
    date: date
    slot_start: datetime
    slot_end: datetime


class BookingPublic(BaseModel):
    """A booking: the promise, who comes, the work order and the code on the engineer's badge."""

    request_id: str
    date: date
    slot_start: str
    slot_end: str
    engineer_id: str | None
    work_order: str
    verification_code: str | None
    plan_version: int | None = None


class BookingConflict(BaseModel):
    """The slot can no longer be honoured: why, and fresh offers."""

    detail: str
    offers: list[OfferPublic]
    reason: str | None = None
