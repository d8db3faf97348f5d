"""One domain value from one row of a contract file, every defect of the row recorded.

Each builder reads every field of its row, so that all of a row's defects are reported;
the caller keeps the value only when the row is ``ok``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from data._tables import Row
from dispatch.model import (
    Appointment,
    Branch,
    Engineer,
    Location,
    Priority,
    Request,
    Shift,
    SlotTemplate,
    TimeWindow,
)
from dispatch.rules import ProductSpec, product_spec

Ordered = TypeVar("Ordered", date, time)

_BREAK = ("break_earliest", "break_latest", "break_minutes")
PROMISE = ("promised_date", "promised_start", "promised_end")
_PRIORITIES = ", ".join(p.value for p in Priority)
_NO_SITE = "empty; a request needs coordinates"


def location(row: Row, lat: str, lon: str, empty: str = "required, but empty") -> Location:
    """The point of two required coordinate cells, each within its range."""
    return Location(row.number(lat, -90, 90, empty), row.number(lon, -180, 180, empty))


def branch(row: Row) -> Branch:
    """A row of ``branches.csv``; an empty ``service_radius_km`` takes the default radius."""
    radius = row.optional_number("service_radius_km", 0, MAX_SERVICE_RADIUS_KM)
    return Branch(row.required("branch_id"), row.text("name"), location(row, "lat", "lon"), radius)


#: The widest service radius a branch may set, in km (a province, not a typo).
MAX_SERVICE_RADIUS_KM = 1000.0


#: The longest visit a row may ask for: a week.
MAX_DURATION_MIN = 7 * 24 * 60


def product(row: Row) -> tuple[str, ProductSpec]:
    """A row of ``products.csv``; an empty cell keeps the default catalogue's value."""
    name = row.required("product")
    default = product_spec(name, {})
    minutes = row.optional_number("duration_min", 0, MAX_DURATION_MIN)
    duration = default.duration if minutes is None else timedelta(minutes=minutes)
    return name, ProductSpec(row.tags("skills") or default.skills, duration)


def slot(row: Row) -> SlotTemplate:
    """A row of ``slots.csv``."""
    start, end = row.clock("start"), row.clock("end")
    check_strict(row, "start", "end", start, end)
    return SlotTemplate(start, end)


def check_order(row: Row, first: str, second: str, low: Ordered | None, high: Ordered | None) -> None:
    """Record a defect of ``second`` when its value comes before ``first``'s (both parsed)."""
    if low is None or high is None or not row.fine(first, second) or low <= high:
        return
    row.error(second, f"{row.text(second)} is before {first} {row.text(first)}")


def check_strict(row: Row, first: str, second: str, low: time, high: time) -> None:
    """Record a defect of ``second`` unless its time comes strictly after ``first``'s."""
    if low == high and row.fine(first, second) and row.text(first):
        row.error(second, f"{row.text(second)} is the same as {first} {row.text(first)}")
    check_order(row, first, second, low, high)


def partial(row: Row, names: tuple[str, ...], what: str) -> bool:
    """Whether all of ``names`` are filled; a defect for each empty one when only some are."""
    given = [n for n in names if row.text(n)]
    if given and len(given) < len(names):
        for name in names:
            if name not in given:
                row.error(name, f"empty, but {', '.join(given)} given; {what}")
    return len(given) == len(names)


@dataclass(frozen=True)
class Context:
    """What the rows of one file need to know of the files read before it."""

    zone: ZoneInfo
    catalogue: Mapping[str, ProductSpec]
    branches: Mapping[str, Branch]
    branch_ids: frozenset[str]
    engineer_ids: frozenset[str]

    def at(self, day: date, clock: time) -> datetime:
        """The wall-clock time ``clock`` on ``day`` in the service area's zone."""
        return datetime.combine(day, clock, self.zone)

    def known(self, row: Row, name: str, ids: frozenset[str], what: str) -> str:
        """The cell, which must be empty or one of ``ids``."""
        value = row.text(name)
        if value and value not in ids:
            row.error(name, f"unknown {what} {value}")
        return value

    def engineer(self, row: Row) -> Engineer:
        """A row of ``engineers.csv``; an empty start location is the branch's."""
        branch_id = self.known(row, "branch_id", self.branch_ids, "branch")
        row.required("branch_id")
        return Engineer(
            engineer_id=row.required("engineer_id"),
            name=row.text("name"),
            branch_id=branch_id,
            skills=row.tags("skills"),
            home=self._home(row, self.branches.get(branch_id)),
            max_jobs=row.count("max_jobs"),
            phone=row.text("phone"),
            capacity=row.count("capacity"),
        )

    def _home(self, row: Row, home_branch: Branch | None) -> Location:
        if partial(row, ("start_lat", "start_lon"), "give both or neither"):
            return location(row, "start_lat", "start_lon")
        # No branch: a defect of this row or of branches.csv is recorded already.
        return home_branch.location if home_branch is not None else Location(0.0, 0.0)

    def shift(self, row: Row) -> Shift:
        """A row of ``shifts.csv``, with its break when the break columns are filled."""
        engineer_id = self.known(row, "engineer_id", self.engineer_ids, "engineer")
        row.required("engineer_id")
        day, start, end = row.day("date"), row.clock("start"), row.clock("end")
        check_strict(row, "start", "end", start, end)
        shift = Shift(engineer_id, day, self.at(day, start), self.at(day, end))
        if not partial(row, _BREAK, "a break needs its earliest and latest start and its minutes"):
            return shift
        return self._with_break(row, shift)

    def _with_break(self, row: Row, shift: Shift) -> Shift:
        earliest = self.at(shift.day, row.clock("break_earliest"))
        latest = self.at(shift.day, row.clock("break_latest"))
        check_order(row, "break_earliest", "break_latest", earliest, latest)
        minutes = timedelta(minutes=row.number("break_minutes", 0, 24 * 60))
        first = max(earliest, shift.start)
        if row.ok and (first > latest or first + minutes > shift.end):
            text = row.text
            row.error(
                "break_minutes",
                f"a {text('break_minutes')} min break starting {text('break_earliest')}-{text('break_latest')}"
                f" does not fit in the shift {text('start')}-{text('end')}",
            )
        return replace(shift, break_earliest=earliest, break_latest=latest, break_duration=minutes)

    def request(self, row: Row) -> Request:
        """A row of ``requests.csv``; empty duration and skills come from the catalogue."""
        name = row.required("product")
        spec = product_spec(name, self.catalogue)
        earliest, latest = row.optional_day("earliest_date"), row.optional_day("latest_date")
        check_order(row, "earliest_date", "latest_date", earliest, latest)
        preferred = self.known(row, "preferred_engineer_id", self.engineer_ids, "engineer")
        return Request(
            request_id=row.required("request_id"),
            location=location(row, "lat", "lon", _NO_SITE),
            product=name,
            priority=_priority(row),
            duration=_duration(row, name, spec),
            required_skills=row.tags("required_skills") or spec.skills,
            received_at=row.moment("received_at", self.zone),
            promised=self._promise(row),
            earliest_date=earliest,
            latest_date=latest,
            preferred_engineer_id=preferred or None,
            demand=row.count("demand") or 0,
            customer=row.text("customer"),
            phone=row.text("phone"),
            address=row.text("address"),
            fault=row.text("fault"),
        )

    def _promise(self, row: Row) -> Appointment | None:
        if not partial(row, PROMISE, "a promise needs its date, start and end"):
            return None
        day, start, end = row.day("promised_date"), row.clock("promised_start"), row.clock("promised_end")
        check_strict(row, "promised_start", "promised_end", start, end)
        return Appointment(day, TimeWindow(self.at(day, start), self.at(day, end)))


def _priority(row: Row) -> Priority:
    text = row.required("priority", f"required, but empty; one of {_PRIORITIES}")
    try:
        return Priority(text.lower())
    except ValueError:
        if text:
            row.error("priority", f"unknown priority {text}; one of {_PRIORITIES}")
        return Priority.NORMAL


def _duration(row: Row, name: str, spec: ProductSpec) -> timedelta:
    minutes = row.optional_number("duration_min", 0, MAX_DURATION_MIN)
    if minutes is not None:
        return timedelta(minutes=minutes)
    if spec.duration is None:
        if name and not row.text("duration_min"):
            row.error("duration_min", f"empty, and product {name} has no default duration")
        return timedelta(0)
    return spec.duration
