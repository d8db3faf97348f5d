"""Tiny named scenarios for the domain tests.

One branch in central Shanghai, two engineers on an 08:00-18:00 shift whose 60-minute
lunch break must start between 12:00 and 13:30, four requests a few km apart, and a
hand-built plan that keeps every rule of the contract.

Legs of the plan (geodesic distance, km; plan figures are generous but plausible):
branch->R1 2.24, R1->R2 4.34, R2->branch 2.12, branch->R3 3.14.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.model import (
    Appointment,
    Branch,
    Engineer,
    Location,
    Priority,
    Problem,
    Request,
    Shift,
    TimeWindow,
)
from dispatch.plan import Plan, Route, Stop, Unassigned
from dispatch.rules import DEFAULT_SLOTS
from dispatch.travel import TravelMatrix

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)
NEXT_DAY = date(2026, 12, 2)

Clock = Callable[..., datetime]


def at(hhmm: str, day: date = DAY) -> datetime:
    """``"HH:MM"`` (or ``"HH:MM:SS"``) on ``day`` in the service area's zone."""
    return datetime.combine(day, time.fromisoformat(hhmm), ZONE)


class NoTravel:
    """A travel model the domain tests never ask; the validator reads only the plan."""

    def matrix(self, points: Sequence[Location]) -> TravelMatrix:
        """Refuse: nothing under test should compute a matrix."""
        raise AssertionError("the domain tests compute no travel matrix")


@pytest.fixture
def clock() -> Clock:
    """``clock("08:30")``: a wall-clock time on the planning day (or ``day=``)."""
    return at


@pytest.fixture
def branch() -> Branch:
    """The one service outlet, at People's Square."""
    return Branch("B1", "Huangpu", Location(31.2304, 121.4737))


@pytest.fixture
def engineers(branch: Branch) -> list[Engineer]:
    """E1 does water heaters and gas stoves (at most two visits), E2 hoods and purifiers."""
    return [
        Engineer(
            "E1",
            "Wang",
            "B1",
            frozenset({"water_heater", "gas_stove", "gas_cert"}),
            branch.location,
            max_jobs=2,
        ),
        Engineer("E2", "Li", "B1", frozenset({"range_hood", "water_purifier"}), branch.location),
    ]


def day_shift(engineer_id: str, day: date = DAY) -> Shift:
    """08:00-18:00 with a 60-minute break that must start between 12:00 and 13:30."""
    return Shift(
        engineer_id,
        day,
        at("08:00", day),
        at("18:00", day),
        break_earliest=at("12:00", day),
        break_latest=at("13:30", day),
        break_duration=timedelta(minutes=60),
    )


@pytest.fixture
def shifts() -> list[Shift]:
    """Both engineers work the planning day only."""
    return [day_shift("E1"), day_shift("E2")]


@pytest.fixture
def requests() -> list[Request]:
    """R1 and R2 unbooked, R3 promised 10:00-12:00, R4 only possible on the next day."""
    return [
        Request(
            "R1",
            Location(31.2450, 121.4900),
            "water_heater",
            Priority.NORMAL,
            timedelta(minutes=60),
            frozenset({"water_heater"}),
        ),
        Request(
            "R2",
            Location(31.2200, 121.4550),
            "gas_stove",
            Priority.HIGH,
            timedelta(minutes=50),
            frozenset({"gas_stove", "gas_cert"}),
        ),
        Request(
            "R3",
            Location(31.2380, 121.4420),
            "range_hood",
            Priority.NORMAL,
            timedelta(minutes=50),
            frozenset({"range_hood"}),
            promised=Appointment(DAY, TimeWindow(at("10:00"), at("12:00"))),
        ),
        Request(
            "R4",
            Location(31.2150, 121.4950),
            "water_purifier",
            Priority.NORMAL,
            timedelta(minutes=40),
            frozenset({"water_purifier"}),
            earliest_date=NEXT_DAY,
            latest_date=NEXT_DAY,
        ),
    ]


@pytest.fixture
def problem(
    branch: Branch, engineers: list[Engineer], shifts: list[Shift], requests: list[Request]
) -> Problem:
    """The scenario, planned over two days with the default slot grid."""
    return Problem(
        branches=[branch],
        engineers=engineers,
        shifts=shifts,
        requests=requests,
        slots=DEFAULT_SLOTS,
        dates=[DAY, NEXT_DAY],
        travel=NoTravel(),
        zone=ZONE,
    )


@pytest.fixture
def valid_plan() -> Plan:
    """A plan keeping every rule.

    E1: leaves 08:24, R1 08:30-09:30, lunch 12:00-13:00 between the visits, R2 13:15-14:05
    (arrived 13:12, after lunch and the 12-minute leg), home 14:11. E2: R3 in its promised
    slot 10:00-10:50, home 10:58, before the break window opens, so no break is due.
    R4 cannot be served on the planning day and is unassigned with a reason.
    """
    e1 = Route(
        "E1",
        DAY,
        stops=[
            Stop("R1", TimeWindow(at("08:00"), at("10:00")), at("08:30"), at("08:30"), at("09:30"), 6.0, 3.0),
            Stop(
                "R2", TimeWindow(at("13:00"), at("15:00")), at("13:12"), at("13:15"), at("14:05"), 12.0, 5.7
            ),
        ],
        break_window=TimeWindow(at("12:00"), at("13:00")),
        return_travel_minutes=6.0,
        return_travel_km=2.8,
    )
    e2 = Route(
        "E2",
        DAY,
        stops=[
            Stop("R3", TimeWindow(at("10:00"), at("12:00")), at("10:00"), at("10:00"), at("10:50"), 8.0, 4.1),
        ],
        break_window=None,
        return_travel_minutes=8.0,
        return_travel_km=4.1,
    )
    return Plan(
        dates=[DAY],
        routes=[e1, e2],
        unassigned=[
            Unassigned("R4", "no_engineer_on_shift", "R4 may only be served on 2026-12-02; nobody works then")
        ],
    )
