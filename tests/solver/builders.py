"""Tiny problems for solver tests: one city block, a few engineers, a few requests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from data.travel import GeodesicTravel
from dispatch.model import (
    Appointment,
    Branch,
    Engineer,
    Location,
    Priority,
    Problem,
    Request,
    Shift,
)
from dispatch.rules import DEFAULT_SLOTS

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)
CENTRE = Location(31.23, 121.47)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A wall-clock moment in the service area."""
    return datetime.combine(day, time(hour, minute), ZONE)


def near(dlat: float, dlon: float) -> Location:
    """A point offset from the centre by the given degrees (0.01 is about 1 km)."""
    return Location(CENTRE.lat + dlat, CENTRE.lon + dlon)


def engineer(eid: str, skills: str = "water_heater;gas_stove;gas_cert", **kw: object) -> Engineer:
    """An engineer of branch B1 living at the centre."""
    home = kw.pop("home", CENTRE)
    return Engineer(eid, eid, "B1", frozenset(skills.split(";")), home, **kw)  # type: ignore[arg-type]


def shift(eid: str, day: date = DAY, start: int = 8, end: int = 18, lunch: bool = True) -> Shift:
    """A working day with a 60-minute break to start between 11:30 and 13:30."""
    if not lunch:
        return Shift(eid, day, at(start, day=day), at(end, day=day))
    return Shift(
        eid,
        day,
        at(start, day=day),
        at(end, day=day),
        at(11, 30, day),
        at(13, 30, day),
        timedelta(minutes=60),
    )


def request(
    rid: str,
    where: Location | None = None,
    skills: str = "water_heater",
    minutes: int = 60,
    priority: Priority = Priority.NORMAL,
    promised: tuple[int, int] | None = None,
    day: date = DAY,
    **kw: object,
) -> Request:
    """A request near the centre; ``promised`` is (start hour, end hour) on ``day``."""
    from dispatch.model import TimeWindow

    appointment = None
    if promised is not None:
        appointment = Appointment(day, TimeWindow(at(promised[0], day=day), at(promised[1], day=day)))
    return Request(
        rid,
        where or near(0.01, 0.01),
        "water_heater",
        priority,
        timedelta(minutes=minutes),
        frozenset(skills.split(";")),
        promised=appointment,
        **kw,  # type: ignore[arg-type]
    )


def problem(
    engineers: list[Engineer], shifts: list[Shift], requests: list[Request], dates: list[date] | None = None
) -> Problem:
    """A one-branch problem with the default slot grid."""
    return Problem(
        [Branch("B1", "Branch 1", CENTRE)],
        engineers,
        shifts,
        requests,
        DEFAULT_SLOTS,
        dates or [DAY],
        GeodesicTravel(),
    )
