"""Repair requests on the wire: the contract's fields as in CSV, plus the desk's lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Id, Minutes, Number, Text
from data.storage.cells import FIELDS
from data.storage.requests import Status

_EXAMPLE: dict[str, Any] = {
    "request_id": "R9001",
    "received_at": "2026-12-01T08:05:00+08:00",
    "customer": "王女士",
    "phone": "13800138000",
    "address": "上海市徐汇区漕溪北路 88 号",
    "lat": 31.19,
    "lon": 121.44,
    "product": "gas_stove",
    "fault": "igniter clicks, no flame",
    "priority": "normal",
    "earliest_date": "2026-12-01",
    "latest_date": "2026-12-02",
}


class RequestFields(BaseModel):
    """The contract's optional request fields: CSV values, numbers as numbers, tags as ``a;b`` or a list."""

    model_config = ConfigDict(extra="ignore")

    received_at: Text | None = None
    customer: Text = ""
    phone: Text = ""
    address: Text = ""
    lat: Number | None = None
    lon: Number | None = None
    fault: Text = ""
    duration_min: Minutes | None = None
    required_skills: Text | list[Id] | None = None
    promised_date: Text | None = None
    promised_start: Text | None = None
    promised_end: Text | None = None
    earliest_date: Text | None = None
    latest_date: Text | None = None
    preferred_engineer_id: Id | None = None


class RequestCreate(RequestFields):
    """A new repair request; without ``lat``/``lon`` its address is geocoded."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [_EXAMPLE]})

    request_id: Id
    product: Id
    priority: Id


class RequestUpdate(RequestFields):
    """Changes to a request made on ``version``; only the fields sent change."""

    version: int = Field(ge=1, le=2**31 - 1)
    status: Status | None = None
    product: Id | None = None
    priority: Id | None = None


class RequestPublic(BaseModel):
    """A stored request as the caller may see it (phones masked or left out by role)."""

    request_id: str
    received_at: str | None
    customer: str | None
    phone: str | None
    address: str | None
    lat: float | None
    lon: float | None
    product: str
    fault: str
    priority: str
    duration_min: float | None
    required_skills: str
    promised_date: str | None
    promised_start: str | None
    promised_end: str | None
    earliest_date: str | None
    latest_date: str | None
    preferred_engineer_id: str | None
    branch_id: str | None
    status: Status
    version: int
    location_issue: str | None
    created_at: datetime
    updated_at: datetime


def cells_of_body(body: RequestFields, only_set: bool = False) -> dict[str, str]:
    """The body's fields as the contract's CSV cells (only those sent, when ``only_set``)."""
    cells: dict[str, str] = {}
    for name in FIELDS["requests"]:
        if not hasattr(body, name) or (only_set and name not in body.model_fields_set):
            continue
        cells[name] = _cell(getattr(body, name))
    return cells


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)
