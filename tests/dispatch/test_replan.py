"""The remaining day, without a solver: what is frozen, where engineers restart, what is left, the diff."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.booking import Reserve
from dispatch.events import Cancellation, EngineerUnavailable, Event, NoShow, VisitOverrun, VisitStarted
from dispatch.model import Problem, TimeWindow
from dispatch.plan import Plan, Reason, Route, Stop, Unassigned
from dispatch.replan import remaining_day
from dispatch.replan_diff import diff, earliest_slot, merge
from dispatch.validate import validate
from tests.solver.builders import DAY, at, engineer, near, problem, request, shift


def _stop(rid: str, h: int, m: int, slot: tuple[int, int], km: float) -> Stop:
    """A visit of 60 minutes at h:m, reached by a leg of ``km`` at 30 km/h (generous)."""
    start = at(h, m)
    return Stop(
        rid,
        TimeWindow(at(slot[0]), at(slot[1])),
        start,
        start,
        start + timedelta(minutes=60),
        km * 2 + 5,
        km + 2,
    )


@pytest.fixture
def city() -> Problem:
    """E1 and E2 on 08:00-18:00 with lunch; three requests of E1, R2 promised 10-12."""
    reqs = [
        request("R1", near(0.01, 0.0)),
        request("R2", near(0.02, 0.0), promised=(10, 12)),
        request("R3", near(0.0, 0.02)),
    ]
    return problem([engineer("E1"), engineer("E2")], [shift("E1"), shift("E2")], reqs)


@pytest.fixture
def plan() -> Plan:
    """E1: R1 09:00, R2 11:00, lunch 12:30, R3 15:00; E2 idle."""
    stops = [
        _stop("R1", 9, 0, (8, 10), 1.2),
        _stop("R2", 11, 0, (10, 12), 1.2),
        _stop("R3", 15, 0, (15, 17), 2.5),
    ]
    brk = TimeWindow(at(12, 30), at(13, 30))
    return Plan([DAY], [Route("E1", DAY, stops, brk, 20.0, 8.0), Route("E2", DAY, [], None, 0.0, 0.0)], [])


def test_the_hand_made_plan_is_valid(city: Problem, plan: Plan) -> None:
    """The fixture plan keeps every rule (so the tests below start from a valid day)."""
    assert validate(city, plan) == []


def test_visits_started_before_now_are_frozen_and_the_engineer_restarts_after_them(
    city: Problem, plan: Plan
) -> None:
    """At 10:30 R1 is history; E1 sets off from R1 at 10:30; R2 and R3 are left to plan."""
    rem = remaining_day(city, plan, [], at(10, 30))
    assert [s.request_id for s in rem.frozen["E1"]] == ["R1"]
    restart = rem.restarts["E1"]
    assert restart.location == city.request_by_id["R1"].location and restart.at == at(10, 30)
    assert {r.request_id for r in rem.sub.requests} == {"R2", "R3"}
    assert rem.sub.request_by_id["R2"].preferred_engineer_id == "E1", "the current engineer is preferred"
    sub_shift = rem.sub.shift_by_key[("E1", DAY)]
    assert sub_shift.start == at(10, 30) and sub_shift.start_location == restart.location


def test_an_overrun_moves_the_restart_and_keeps_actual_times(city: Problem, plan: Plan) -> None:
    """R1 started 09:05 and runs to 11:10: frozen with those times, E1 free from 11:10."""
    events: list[Event] = [VisitStarted("R1", at(9, 5)), VisitOverrun("R1", at(11, 10))]
    rem = remaining_day(city, plan, events, at(10, 30))
    (r1,) = rem.frozen["E1"]
    assert (r1.start, r1.end) == (at(9, 5), at(11, 10))
    assert rem.restarts["E1"].at == at(11, 10)


def test_a_sick_engineer_gets_no_shift_and_loses_the_preference(city: Problem, plan: Plan) -> None:
    """E1 off from 10:30: no shift in the rest of the day, R2/R3 open to anyone."""
    rem = remaining_day(city, plan, [EngineerUnavailable("E1", at(10, 30))], at(10, 30))
    assert ("E1", DAY) not in rem.sub.shift_by_key
    assert rem.sub.request_by_id["R2"].preferred_engineer_id is None


def test_cancel_and_no_show_are_left_out_with_their_reasons(city: Problem, plan: Plan) -> None:
    """R3 cancelled, R2 not at home at 11:05: both unassigned with their reasons; E1 leaves from R2's door."""
    events: list[Event] = [Cancellation("R3"), NoShow("R2", at(11, 5))]
    rem = remaining_day(city, plan, events, at(11, 10))
    assert {u.request_id: u.reason for u in rem.left_out} == {"R3": Reason.CANCELLED, "R2": Reason.NO_SHOW}
    restart = rem.restarts["E1"]
    assert restart.location == city.request_by_id["R2"].location and restart.detour is not None
    assert rem.sub.requests == []


def test_an_event_about_an_unknown_engineer_names_it(city: Problem, plan: Plan) -> None:
    """An unknown engineer is an input error naming the event's row and field."""
    with pytest.raises(ValueError, match="events row 1 field engineer_id: unknown engineer E9"):
        remaining_day(city, plan, [EngineerUnavailable("E9")], at(10))


def test_merging_nothing_new_keeps_history_valid_and_diff_names_the_dropped(
    city: Problem, plan: Plan
) -> None:
    """With no new routes, the merged day is valid and R2/R3 are dropped; R2 is a broken promise with a proposal."""
    rem = remaining_day(city, plan, [EngineerUnavailable("E1", at(10, 30))], at(10, 30))
    left = [Unassigned(r, Reason.NO_CAPACITY.value, "test") for r in ("R2", "R3")]
    merged = merge(rem, [], left, rem.problem)
    assert validate(rem.problem, merged) == []
    changes = diff(rem, merged, rem.problem, {})
    assert [c.request_id for c in changes.broken_promises] == ["R2"]
    assert [c.request_id for c in changes.dropped] == ["R3"]
    assert {c.request_id for c in changes.notify} == {"R2", "R3"}


def test_earliest_slot_finds_room_after_now_with_someone_available(city: Problem, plan: Plan) -> None:
    """E1 off at 10:30: idle E2 takes R3 at once after 10:30; with E2 off as well, nothing today."""
    rem = remaining_day(city, plan, [EngineerUnavailable("E1", at(10, 30))], at(10, 30))
    found = earliest_slot(rem.sub, [], city.request_by_id["R3"], at(10, 30))
    assert found is not None and found.engineer_id == "E2" and found.start >= at(10, 30)
    assert found.slot.start <= found.start <= found.slot.end
    both = [EngineerUnavailable("E1", at(10, 30)), EngineerUnavailable("E2", at(10, 30))]
    rem = remaining_day(city, plan, both, at(10, 30))
    assert earliest_slot(rem.sub, [], city.request_by_id["R3"], at(10, 30)) is None


def test_earliest_slot_sets_off_from_the_restart_on_reserved_drives(city: Problem, plan: Plan) -> None:
    """E2 off: E1 restarts at R1's door at 10:30 and R3, dropped, is proposed no sooner than the
    reserved drive from there allows."""
    rem = remaining_day(city, plan, [EngineerUnavailable("E2", at(8))], at(10, 30))
    found = earliest_slot(rem.sub, [], city.request_by_id["R3"], at(10, 30), Reserve())
    drive = city.travel.matrix([city.request_by_id["R1"].location, city.request_by_id["R3"].location])
    assert found is not None and found.engineer_id == "E1"
    assert found.start >= at(10, 30) + timedelta(seconds=Reserve().drive(drive.seconds[0][1]))


@settings(max_examples=40, deadline=None)
@given(
    minutes=st.integers(min_value=9 * 60 + 1, max_value=19 * 60),
    overrun=st.integers(min_value=0, max_value=120),
)
def test_every_request_is_frozen_left_out_or_open_exactly_once(minutes: int, overrun: int) -> None:
    """At any moment after R1 began, with any overrun, the requests split exactly; nothing open restarts before now."""
    reqs = [
        request("R1", near(0.01, 0.0)),
        request("R2", near(0.02, 0.0), promised=(10, 12)),
        request("R3", near(0.0, 0.02)),
    ]
    city = problem([engineer("E1"), engineer("E2")], [shift("E1"), shift("E2")], reqs)
    stops = [
        _stop("R1", 9, 0, (8, 10), 1.2),
        _stop("R2", 11, 0, (10, 12), 1.2),
        _stop("R3", 15, 0, (15, 17), 2.5),
    ]
    plan = Plan([DAY], [Route("E1", DAY, stops, TimeWindow(at(12, 30), at(13, 30)), 20.0, 8.0)], [])
    now = datetime.combine(DAY, datetime.min.time(), at(0).tzinfo) + timedelta(minutes=minutes)
    events: list[Event] = [VisitStarted("R1", at(9)), VisitOverrun("R1", at(10) + timedelta(minutes=overrun))]
    rem = remaining_day(city, plan, events, now)
    parts = [rem.frozen_ids(), {u.request_id for u in rem.left_out}, {r.request_id for r in rem.sub.requests}]
    assert sum(len(p) for p in parts) == 3 and set().union(*parts) == {"R1", "R2", "R3"}
    assert all(s.start < now for s in rem.frozen["E1"])
    assert all(r.at >= now for r in rem.restarts.values())
