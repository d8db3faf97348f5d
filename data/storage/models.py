"""The scenario's tables: the contract's files as rows, plus what the desk adds to requests.

Each table keeps the contract's fields under the contract's names, typed; cells left empty
in the contract are ``NULL``. These classes are database rows only: the domain works on
:mod:`dispatch.model` values and the API on its own wire schemas.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: The longest identifier stored (request, engineer, branch ids).
ID_LENGTH = 64


class Base(DeclarativeBase):
    """The declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        str: Text(),
        float: Float(),
        int: Integer(),
        date: Date(),
        time: Time(),
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


def _id(*args: Any, **kwargs: Any) -> Any:
    return mapped_column(String(ID_LENGTH), *args, **kwargs)


class BranchRow(Base):
    """A row of ``branches.csv``."""

    __tablename__ = "branches"

    branch_id: Mapped[str] = _id(primary_key=True)
    name: Mapped[str] = mapped_column(default="")
    lat: Mapped[float]
    lon: Mapped[float]
    #: Beyond this straight-line distance a visit carries the remote-area surcharge (NULL: the default).
    service_radius_km: Mapped[float | None]


class EngineerRow(Base):
    """A row of ``engineers.csv``."""

    __tablename__ = "engineers"

    engineer_id: Mapped[str] = _id(primary_key=True)
    name: Mapped[str] = mapped_column(default="")
    branch_id: Mapped[str] = _id(ForeignKey("branches.branch_id"), index=True)
    skills: Mapped[str] = mapped_column(default="")
    start_lat: Mapped[float | None]
    start_lon: Mapped[float | None]
    max_jobs: Mapped[int | None]
    phone: Mapped[str] = mapped_column(default="")


class ShiftRow(Base):
    """A row of ``shifts.csv``: one engineer's working day."""

    __tablename__ = "shifts"

    engineer_id: Mapped[str] = _id(ForeignKey("engineers.engineer_id"), primary_key=True)
    date: Mapped[date] = mapped_column(primary_key=True)
    start: Mapped[time]
    end: Mapped[time]
    break_earliest: Mapped[time | None]
    break_latest: Mapped[time | None]
    break_minutes: Mapped[float | None]


class AbsenceRow(Base):
    """A day an engineer does not work, from an HR calendar (``.ics``): it cancels the shift."""

    __tablename__ = "absences"

    engineer_id: Mapped[str] = _id(ForeignKey("engineers.engineer_id"), primary_key=True)
    date: Mapped[date] = mapped_column(primary_key=True)
    summary: Mapped[str] = mapped_column(default="")


class ProductRow(Base):
    """A row of ``products.csv``; empty cells keep the default catalogue's value."""

    __tablename__ = "products"

    product: Mapped[str] = _id(primary_key=True)
    skills: Mapped[str] = mapped_column(default="")
    duration_min: Mapped[float | None]


class SlotRow(Base):
    """A row of ``slots.csv``; no rows means the default grid."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    start: Mapped[time]
    end: Mapped[time]


class RequestRow(Base):
    """A row of ``requests.csv`` with the desk's lifecycle.

    ``branch_id`` is the branch nearest to the visit (who plans it), ``location_issue``
    why a request has no coordinates yet; ``version`` rises with every update.
    """

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_status_branch", "status", "branch_id"),
        Index("ix_requests_promised_date", "promised_date"),
    )

    request_id: Mapped[str] = _id(primary_key=True)
    received_at: Mapped[datetime | None]
    customer: Mapped[str] = mapped_column(default="")
    phone: Mapped[str] = mapped_column(default="")
    address: Mapped[str] = mapped_column(default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    product: Mapped[str]
    fault: Mapped[str] = mapped_column(default="")
    priority: Mapped[str] = mapped_column(String(16))
    duration_min: Mapped[float | None]
    required_skills: Mapped[str] = mapped_column(default="")
    promised_date: Mapped[date | None]
    promised_start: Mapped[time | None]
    promised_end: Mapped[time | None]
    earliest_date: Mapped[date | None]
    latest_date: Mapped[date | None]
    preferred_engineer_id: Mapped[str | None] = _id()
    branch_id: Mapped[str | None] = _id(index=True)
    status: Mapped[str] = mapped_column(String(16))
    location_issue: Mapped[str | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy's declared mapping)
