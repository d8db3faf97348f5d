"""Re-timing a hand-edited route (api.edits): whatever the order, the times are physically consistent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.edits import EditError, Move, move_visit, retime
from data.travel import GeodesicTravel
from dispatch.model import Branch, Engineer, Location, Priority, Problem, Request, Shift
from dispatch.plan import Plan, Route
from dispatch.rules import DEFAULT_SLOTS
from dispatch.validate import validate

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)
#: What an order the engineer cannot keep may break; everything else must hold whatever the order.
FIT = {"late", "late_return", "wrong_day", "break_window", "missing_break"}


def _at(hour: float) -> datetime:
    return datetime(2026, 12, 1, tzinfo=ZONE) + timedelta(hours=hour)


def _problem(points: list[tuple[float, float, int, int]]) -> Problem:
    """One engineer (shift 8-18, an hour's break from 11:30 to 13:00) and one request per point."""
    home = Location(31.23, 121.47)
    engineer = Engineer("E1", "Zhang", "B1", frozenset({"water_heater"}), home)
    other = Engineer("E2", "Li", "B1", frozenset({"range_hood"}), home)
    shifts = [
        Shift("E1", DAY, _at(8), _at(18), _at(11.5), _at(13), timedelta(minutes=60)),
        Shift("E2", DAY, _at(8), _at(18)),
    ]
    requests = [
        Request(
            f"R{i}",
            Location(lat, lon),
            "water_heater",
            Priority.NORMAL,
            timedelta(minutes=minutes),
            frozenset({"water_heater"}),
            earliest_date=DAY,
            latest_date=DAY,
        )
        for i, (lat, lon, minutes, _) in enumerate(points)
    ]
    branch = Branch("B1", "Pudong", home)
    return Problem(
        [branch], [engineer, other], shifts, requests, DEFAULT_SLOTS, [DAY], GeodesicTravel(30.0, 1.3), ZONE
    )


POINT = st.tuples(
    st.floats(31.10, 31.35),
    st.floats(121.35, 121.60),
    st.integers(20, 90),
    st.integers(0, len(DEFAULT_SLOTS) - 1),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(POINT, min_size=0, max_size=7))
def test_retime_is_consistent_whatever_the_order(points: list[tuple[float, float, int, int]]) -> None:
    """Legs, arrivals, service and break never contradict each other; only the slot or shift fit may break."""
    problem = _problem(points)
    visits = [(f"R{i}", DEFAULT_SLOTS[slot].on(DAY, ZONE)) for i, (*_, slot) in enumerate(points)]
    route = retime(problem, Route("E1", DAY, [], None, 0.0, 0.0), visits)
    plan = Plan([DAY], [route, Route("E2", DAY, [], None, 0.0, 0.0)], [])
    assert [s.request_id for s in route.stops] == [rid for rid, _ in visits]
    broken = {v.code for v in validate(problem, plan)}
    assert broken <= FIT, broken


def test_a_move_back_to_its_own_place_changes_nothing() -> None:
    """Re-timing a plan's own order at the earliest times gives the same plan again (no drift)."""
    problem = _problem([(31.20, 121.45, 60, 0), (31.25, 121.50, 45, 1), (31.22, 121.40, 30, 2)])
    visits = [(f"R{i}", DEFAULT_SLOTS[i].on(DAY, ZONE)) for i in range(3)]
    route = retime(problem, Route("E1", DAY, [], None, 0.0, 0.0), visits)
    plan = Plan([DAY], [route, Route("E2", DAY, [], None, 0.0, 0.0)], [])
    assert validate(problem, plan) == []
    again = move_visit(problem, plan, Move("R1", "E1", DAY))
    assert again.routes[0] == route


def test_a_move_to_an_engineer_without_the_skills_is_drawn_and_the_validator_names_it() -> None:
    """The move is drawn as asked (the desk shows the check); the validator reports the missing skill."""
    problem = _problem([(31.20, 121.45, 60, 0), (31.25, 121.50, 45, 1)])
    visits = [(f"R{i}", DEFAULT_SLOTS[i].on(DAY, ZONE)) for i in range(2)]
    plan = Plan(
        [DAY],
        [retime(problem, Route("E1", DAY, [], None, 0.0, 0.0), visits), Route("E2", DAY, [], None, 0.0, 0.0)],
        [],
    )
    moved = move_visit(problem, plan, Move("R0", "E2", DAY))
    assert [s.request_id for s in moved.routes[1].stops] == ["R0"]
    assert {(v.code, v.request_id, v.engineer_id) for v in validate(problem, moved)} == {
        ("skills", "R0", "E2")
    }


@pytest.mark.parametrize(
    ("move", "field"),
    [
        (Move("R9", "E1", DAY), "request_id"),
        (Move("R0", "E9", DAY), "engineer_id"),
        (Move("R0", "E1", DAY + timedelta(days=1)), "engineer_id"),
    ],
)
def test_a_move_that_cannot_be_drawn_names_its_field(move: Move, field: str) -> None:
    """Unknown request, unknown engineer, or no shift that day: an EditError naming the field."""
    problem = _problem([(31.20, 121.45, 60, 0)])
    with pytest.raises(EditError) as raised:
        move_visit(problem, Plan([DAY], [], []), move)
    assert raised.value.field == field
