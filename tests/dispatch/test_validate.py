"""The validator against the contract's rules: each rule satisfied, and each way to break it.

Each test breaks the valid hand-built plan (or its scenario) in one place and asserts the
exact violation codes of the one rule function concerned.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import dispatch.validate
from dispatch.geo import straight_km
from dispatch.model import Priority, Problem, TimeWindow
from dispatch.plan import Plan, Route, Stop, Unassigned
from dispatch.validate import (
    RULES,
    Violation,
    every_request_once,
    implausible_travel,
    misplaced_break,
    outside_shift_or_out_of_order,
    unfit_engineer,
    unpunctual_or_unbooked_slot,
    validate,
)
from tests.dispatch.conftest import NEXT_DAY, Clock

Rule = Callable[[Problem, Plan], Iterator[Violation]]


def codes(rule: Rule, problem: Problem, plan: Plan) -> set[str]:
    """The violation codes one rule function finds."""
    return {v.code for v in rule(problem, plan)}


def with_route(plan: Plan, engineer_id: str, /, **changes: Any) -> Plan:
    """The plan with the engineer's route changed."""
    routes = [replace(r, **changes) if r.engineer_id == engineer_id else r for r in plan.routes]
    return replace(plan, routes=routes)


def with_stop(plan: Plan, request_id: str, /, **changes: Any) -> Plan:
    """The plan with one stop changed."""

    def edit(route: Route) -> Route:
        stops = [replace(s, **changes) if s.request_id == request_id else s for s in route.stops]
        return replace(route, stops=stops)

    return replace(plan, routes=[edit(r) for r in plan.routes])


def stop_of(plan: Plan, request_id: str) -> Stop:
    """The stop serving a request."""
    return next(s for _, s in plan.stops() if s.request_id == request_id)


def with_engineer(problem: Problem, engineer_id: str, /, **changes: Any) -> Problem:
    """The scenario with one engineer changed."""
    engineers = [replace(e, **changes) if e.engineer_id == engineer_id else e for e in problem.engineers]
    return replace(problem, engineers=engineers)


def with_shift(problem: Problem, engineer_id: str, /, **changes: Any) -> Problem:
    """The scenario with the engineer's shifts changed."""
    shifts = [replace(s, **changes) if s.engineer_id == engineer_id else s for s in problem.shifts]
    return replace(problem, shifts=shifts)


def with_request(problem: Problem, request_id: str, /, **changes: Any) -> Problem:
    """The scenario with one request changed."""
    requests = [replace(r, **changes) if r.request_id == request_id else r for r in problem.requests]
    return replace(problem, requests=requests)


# --- the whole validator -------------------------------------------------------------------


def test_valid_plan_has_no_violations(problem: Problem, valid_plan: Plan) -> None:
    """The hand-built plan keeps every rule: the validator finds nothing."""
    assert validate(problem, valid_plan) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_each_rule_accepts_the_valid_plan(rule: Rule, problem: Problem, valid_plan: Plan) -> None:
    """No single rule function objects to the valid plan."""
    assert codes(rule, problem, valid_plan) == set()


def test_validate_reports_violations_of_every_rule_function(
    problem: Problem, valid_plan: Plan, clock: Clock
) -> None:
    """``validate`` gathers the findings of all rule functions, not just the first."""
    plan = with_stop(valid_plan, "R1", travel_km=1.0, end=clock("09:00"))
    plan = replace(plan, unassigned=[])
    found = {v.code for v in validate(problem, plan)}
    assert {"missing_request", "short_service", "short_leg"} <= found


def test_violation_names_engineer_and_request() -> None:
    """A violation reads as ``[code] engineer request: message``."""
    v = Violation("skills", "lacks gas_cert", "R2", "E1")
    assert str(v) == "[skills] E1 R2: lacks gas_cert"


# --- rule 1: every request exactly once ------------------------------------------------------


def test_unknown_request_is_reported(problem: Problem, valid_plan: Plan) -> None:
    """An id the scenario does not know is not a request of the plan."""
    plan = replace(valid_plan, unassigned=[*valid_plan.unassigned, Unassigned("R9", "x", "y")])
    assert codes(every_request_once, problem, plan) == {"unknown_request"}


def test_request_served_and_unassigned_is_a_duplicate(problem: Problem, valid_plan: Plan) -> None:
    """A request on a route must not also be listed as unassigned."""
    plan = replace(
        valid_plan, unassigned=[*valid_plan.unassigned, Unassigned("R1", "no_capacity", "full day")]
    )
    assert codes(every_request_once, problem, plan) == {"duplicate_request"}


def test_request_on_two_routes_is_a_duplicate(problem: Problem, valid_plan: Plan) -> None:
    """A request served twice appears more than once."""
    r3 = stop_of(valid_plan, "R3")
    plan = with_route(valid_plan, "E2", stops=[r3, r3])
    assert codes(every_request_once, problem, plan) == {"duplicate_request"}


def test_missing_request_is_reported(problem: Problem, valid_plan: Plan) -> None:
    """A request neither on a route nor unassigned is missing."""
    plan = replace(valid_plan, unassigned=[])
    assert codes(every_request_once, problem, plan) == {"missing_request"}


@pytest.mark.parametrize(("reason", "detail"), [("", "nobody works"), ("no_capacity", "  ")])
def test_unassigned_needs_reason_and_detail(
    problem: Problem, valid_plan: Plan, reason: str, detail: str
) -> None:
    """An unassigned request without a reason or without a detail is unexplained."""
    plan = replace(valid_plan, unassigned=[Unassigned("R4", reason, detail)])
    assert codes(every_request_once, problem, plan) == {"unexplained"}


# --- rule 2: the engineer fits ---------------------------------------------------------------


def test_two_routes_for_one_engineer_and_day(problem: Problem, valid_plan: Plan) -> None:
    """One route per engineer per day, even when the second one is empty."""
    extra = replace(valid_plan.routes[0], stops=[])
    plan = replace(valid_plan, routes=[*valid_plan.routes, extra])
    assert codes(unfit_engineer, problem, plan) == {"duplicate_route"}


def test_route_of_an_unknown_engineer(problem: Problem, valid_plan: Plan) -> None:
    """A route's engineer must be one of the scenario."""
    plan = with_route(valid_plan, "E2", engineer_id="E9")
    assert codes(unfit_engineer, problem, plan) == {"unknown_engineer"}


def test_route_on_a_day_without_shift(problem: Problem, valid_plan: Plan) -> None:
    """An engineer without a shift row that day does not work it."""
    plan = with_route(valid_plan, "E2", day=NEXT_DAY)
    plan = replace(plan, dates=[*plan.dates, NEXT_DAY])
    assert codes(unfit_engineer, problem, plan) == {"not_on_shift"}


def test_route_on_a_day_the_plan_does_not_cover(problem: Problem, valid_plan: Plan) -> None:
    """A route must fall on one of the plan's dates."""
    plan = replace(
        valid_plan, routes=[*valid_plan.routes, replace(valid_plan.routes[0], day=NEXT_DAY, stops=[])]
    )
    assert "day_not_planned" in codes(unfit_engineer, problem, plan)


def test_empty_route_on_a_day_off_is_harmless(problem: Problem, valid_plan: Plan) -> None:
    """A route without visits asks nothing of the engineer's calendar."""
    plan = with_route(valid_plan, "E2", day=NEXT_DAY, stops=[])
    plan = replace(plan, dates=[*plan.dates, NEXT_DAY])
    assert codes(unfit_engineer, problem, plan) == set()


def test_max_jobs_caps_the_visits(problem: Problem, valid_plan: Plan) -> None:
    """E1 makes two visits: fine at max_jobs 2, a violation at max_jobs 1."""
    assert codes(unfit_engineer, problem, valid_plan) == set()
    capped = with_engineer(problem, "E1", max_jobs=1)
    assert codes(unfit_engineer, capped, valid_plan) == {"max_jobs"}


def test_missing_skill_makes_engineer_ineligible(problem: Problem, valid_plan: Plan) -> None:
    """Without gas_cert E1 may not serve the gas stove R2; the message names the skill."""
    uncertified = with_engineer(problem, "E1", skills=frozenset({"water_heater", "gas_stove"}))
    found = list(unfit_engineer(uncertified, valid_plan))
    assert [(v.code, v.request_id, v.engineer_id) for v in found] == [("skills", "R2", "E1")]
    assert "gas_cert" in found[0].message


def test_capacity_caps_the_load(problem: Problem, valid_plan: Plan) -> None:
    """With one unit of demand per visit, E1's two visits fit capacity 2 but not 1."""
    loaded = with_request(with_request(problem, "R1", demand=1), "R2", demand=1)
    assert codes(unfit_engineer, with_engineer(loaded, "E1", capacity=2), valid_plan) == set()
    assert codes(unfit_engineer, with_engineer(loaded, "E1", capacity=1), valid_plan) == {"capacity"}


# --- rules 3 and 4: inside the shift, in time order ------------------------------------------


def test_leaving_before_shift_start(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """Arriving at the first stop sooner than shift start plus travel means leaving too early."""
    plan = with_stop(valid_plan, "R1", arrival=clock("08:05"))
    assert codes(outside_shift_or_out_of_order, problem, plan) == {"early_arrival"}


def test_arrival_before_previous_end_plus_travel(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """The next arrival comes no sooner than the previous end plus the leg's travel."""
    plan = with_stop(valid_plan, "R1", end=clock("13:05"))
    assert codes(outside_shift_or_out_of_order, problem, plan) == {"early_arrival"}


def test_time_tolerance_is_one_second(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """Arriving 1 s short of shift start plus travel passes; 2 s short does not."""
    ok = with_stop(valid_plan, "R1", arrival=clock("08:05:59"))
    bad = with_stop(valid_plan, "R1", arrival=clock("08:05:58"))
    assert codes(outside_shift_or_out_of_order, problem, ok) == set()
    assert codes(outside_shift_or_out_of_order, problem, bad) == {"early_arrival"}


def test_service_starts_before_arrival(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """Service cannot start before the engineer arrives."""
    plan = with_stop(valid_plan, "R1", arrival=clock("08:40"))
    assert codes(outside_shift_or_out_of_order, problem, plan) == {"start_before_arrival"}


def test_service_shorter_than_duration(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """R1 needs 60 minutes on site; 50 are too few, a longer stay is fine."""
    short = with_stop(valid_plan, "R1", end=clock("09:20"))
    long = with_stop(valid_plan, "R1", end=clock("10:00"))
    assert codes(outside_shift_or_out_of_order, problem, short) == {"short_service"}
    assert codes(outside_shift_or_out_of_order, problem, long) == set()


def test_back_after_shift_end(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """E1 is home at 14:11: a shift ending 14:11 is enough, one ending 14:10 is not."""
    assert (
        codes(outside_shift_or_out_of_order, with_shift(problem, "E1", end=clock("14:11")), valid_plan)
        == set()
    )
    late = with_shift(problem, "E1", end=clock("14:10"))
    assert codes(outside_shift_or_out_of_order, late, valid_plan) == {"late_return"}


def test_break_between_visits_comes_on_top_of_travel(
    problem: Problem, valid_plan: Plan, clock: Clock
) -> None:
    """Between R1 ending 11:55 and R2 the gap must hold 12 min travel and 60 min break: 13:07."""
    tight = with_stop(valid_plan, "R1", end=clock("11:55"))
    ok = with_stop(tight, "R2", arrival=clock("13:07"), start=clock("13:07"))
    bad = with_stop(tight, "R2", arrival=clock("13:05"), start=clock("13:05"))
    assert codes(outside_shift_or_out_of_order, problem, ok) == set()
    assert codes(outside_shift_or_out_of_order, problem, bad) == {"break_in_travel"}


def test_declared_break_longer_than_its_minutes_fills_the_gap(
    problem: Problem, valid_plan: Plan, clock: Clock
) -> None:
    """A 90-minute break 12:00-13:30 after R1 ends 11:55 leaves no room for 12 min of travel by 13:35."""
    tight = with_stop(valid_plan, "R1", end=clock("11:55"))
    plan = with_stop(tight, "R2", arrival=clock("13:35"), start=clock("13:35"), end=clock("14:25"))
    plan = with_route(plan, "E1", break_window=TimeWindow(clock("12:00"), clock("13:30")))
    assert codes(outside_shift_or_out_of_order, problem, plan) == {"break_in_travel"}


def test_break_before_first_visit_comes_on_top_of_travel(
    problem: Problem, valid_plan: Plan, clock: Clock
) -> None:
    """With an early break window, E2 can lunch 09:00-10:00 before R3 only if the shift starts by 08:52."""
    early_break = with_shift(problem, "E2", break_earliest=clock("09:00"), break_latest=clock("09:30"))
    plan = with_route(valid_plan, "E2", break_window=TimeWindow(clock("09:00"), clock("10:00")))
    ok = with_shift(early_break, "E2", start=clock("08:52"))
    bad = with_shift(early_break, "E2", start=clock("08:53"))
    assert codes(outside_shift_or_out_of_order, ok, plan) == set()
    assert codes(outside_shift_or_out_of_order, bad, plan) == {"break_in_travel"}
    assert codes(misplaced_break, ok, plan) == set()


def test_break_after_last_visit_comes_on_top_of_the_way_home(
    problem: Problem, valid_plan: Plan, clock: Clock
) -> None:
    """E2 ending R3 at 11:55 and lunching 12:00-13:00 is home 13:03: later than a 13:00 shift end."""
    plan = with_stop(valid_plan, "R3", end=clock("11:55"))
    plan = with_route(plan, "E2", break_window=TimeWindow(clock("12:00"), clock("13:00")))
    assert codes(outside_shift_or_out_of_order, with_shift(problem, "E2", end=clock("13:03")), plan) == set()
    short_day = with_shift(problem, "E2", end=clock("13:00"))
    assert codes(outside_shift_or_out_of_order, short_day, plan) == {"late_return"}
    assert codes(misplaced_break, short_day, plan) == set()


# --- rule 5: punctuality and booking ---------------------------------------------------------


def test_start_after_slot_end_is_late(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """Starting at slot end is punctual; a minute after is late."""
    on_edge = with_stop(valid_plan, "R1", arrival=clock("10:00"), start=clock("10:00"), end=clock("11:00"))
    late = with_stop(valid_plan, "R1", arrival=clock("10:01"), start=clock("10:01"), end=clock("11:01"))
    assert codes(unpunctual_or_unbooked_slot, problem, on_edge) == set()
    assert codes(unpunctual_or_unbooked_slot, problem, late) == {"late"}


def test_start_before_slot_start_is_early(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """Starting before the slot opens is early."""
    plan = with_stop(valid_plan, "R1", arrival=clock("07:59"), start=clock("07:59"))
    assert codes(unpunctual_or_unbooked_slot, problem, plan) == {"early"}


def test_stop_on_another_day_than_its_route(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """A stop starting on the next day does not belong to the planning day's route."""
    nxt = TimeWindow(clock("08:00", day=NEXT_DAY), clock("10:00", day=NEXT_DAY))
    plan = with_stop(valid_plan, "R1", slot=nxt, start=clock("08:30", day=NEXT_DAY))
    assert "wrong_day" in codes(unpunctual_or_unbooked_slot, problem, plan)


def test_day_is_judged_in_the_service_zone(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """08:30 in Shanghai is still the planning day when written in another zone."""
    utc_minus = ZoneInfo("America/Los_Angeles")  # 2026-11-30 16:30 there
    plan = with_stop(valid_plan, "R1", start=clock("08:30").astimezone(utc_minus))
    assert codes(unpunctual_or_unbooked_slot, problem, plan) == set()


def test_promise_keeps_its_slot(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """R3 was promised 10:00-12:00: serving it 13:00-15:00 breaks the promise."""
    plan = with_stop(
        valid_plan,
        "R3",
        slot=TimeWindow(clock("13:00"), clock("15:00")),
        arrival=clock("13:00"),
        start=clock("13:00"),
        end=clock("13:50"),
    )
    assert codes(unpunctual_or_unbooked_slot, problem, plan) == {"broken_promise"}


def test_promise_keeps_its_day(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """R3 was promised for the planning day: the same hours a day later break the promise."""
    nxt = TimeWindow(clock("10:00", day=NEXT_DAY), clock("12:00", day=NEXT_DAY))
    t = clock("10:00", day=NEXT_DAY)
    plan = with_stop(valid_plan, "R3", slot=nxt, arrival=t, start=t, end=t + timedelta(minutes=50))
    plan = with_route(plan, "E2", day=NEXT_DAY)
    assert codes(unpunctual_or_unbooked_slot, problem, plan) == {"broken_promise"}


def test_unbooked_request_outside_its_days(problem: Problem, valid_plan: Plan) -> None:
    """R1 restricted to the next day may not be served on the planning day."""
    later = with_request(problem, "R1", earliest_date=NEXT_DAY, latest_date=NEXT_DAY)
    assert codes(unpunctual_or_unbooked_slot, later, valid_plan) == {"day_not_allowed"}


def test_emergency_only_on_its_first_allowed_day(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """An emergency allowed over two days is still due on the first: the second is not allowed."""
    urgent = with_request(problem, "R1", priority=Priority.EMERGENCY, latest_date=NEXT_DAY)
    t = clock("08:30", day=NEXT_DAY)
    nxt = TimeWindow(clock("08:00", day=NEXT_DAY), clock("10:00", day=NEXT_DAY))
    r1 = replace(stop_of(valid_plan, "R1"), slot=nxt, arrival=t, start=t, end=t + timedelta(hours=1))
    plan = replace(valid_plan, routes=[Route("E1", NEXT_DAY, [r1], None, 6.0, 2.8)])
    assert codes(unpunctual_or_unbooked_slot, urgent, plan) == {"day_not_allowed"}
    assert codes(unpunctual_or_unbooked_slot, urgent, valid_plan) == set()


def test_unbooked_request_needs_a_grid_slot(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """A made-up 08:30-10:30 slot is not one the grid offers."""
    plan = with_stop(valid_plan, "R1", slot=TimeWindow(clock("08:30"), clock("10:30")))
    assert codes(unpunctual_or_unbooked_slot, problem, plan) == {"slot_not_in_grid"}


# --- rule 6: the break -----------------------------------------------------------------------


def test_break_on_a_shift_without_one(problem: Problem, valid_plan: Plan) -> None:
    """A route may not declare a break its shift does not have."""
    no_break = with_shift(problem, "E1", break_earliest=None, break_latest=None, break_duration=timedelta(0))
    assert codes(misplaced_break, no_break, valid_plan) == {"unexpected_break"}


def test_route_working_through_the_window_needs_its_break(problem: Problem, valid_plan: Plan) -> None:
    """E1 works from 08:24 to 14:11, across the break window: the break cannot be left out."""
    plan = with_route(valid_plan, "E1", break_window=None)
    assert codes(misplaced_break, problem, plan) == {"missing_break"}


def test_route_starting_after_the_window_needs_no_break(
    problem: Problem, valid_plan: Plan, clock: Clock
) -> None:
    """E2 leaving at 14:30, after the last possible break, may do without one; at 14:29 not."""

    def r3_at(depart: str) -> Plan:
        t = clock(depart) + timedelta(minutes=8)
        return with_stop(valid_plan, "R3", arrival=t, start=t, end=t + timedelta(minutes=50))

    assert codes(misplaced_break, problem, r3_at("14:30")) == set()
    assert codes(misplaced_break, problem, r3_at("14:29")) == {"missing_break"}


def test_break_shorter_than_its_minutes(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """A 45-minute lunch is shorter than the shift's 60 minutes."""
    plan = with_route(valid_plan, "E1", break_window=TimeWindow(clock("12:00"), clock("12:45")))
    assert codes(misplaced_break, problem, plan) == {"short_break"}


@pytest.mark.parametrize(
    ("start", "ok"), [("11:59", False), ("12:00", True), ("13:30", True), ("13:31", False)]
)
def test_break_starts_inside_its_window(
    problem: Problem, valid_plan: Plan, clock: Clock, start: str, ok: bool
) -> None:
    """The break must start between 12:00 and 13:30, both included (R2 moved out of the way)."""
    plan = with_stop(valid_plan, "R2", arrival=clock("15:00"), start=clock("15:00"), end=clock("15:50"))
    plan = with_stop(plan, "R2", slot=TimeWindow(clock("15:00"), clock("17:00")))
    t = clock(start)
    plan = with_route(plan, "E1", break_window=TimeWindow(t, t + timedelta(hours=1)))
    assert codes(misplaced_break, problem, plan) == (set() if ok else {"break_window"})


def test_break_overlapping_a_visit(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """A lunch 13:00-14:00 overlaps R2's service 13:15-14:05."""
    plan = with_route(valid_plan, "E1", break_window=TimeWindow(clock("13:00"), clock("14:00")))
    assert codes(misplaced_break, problem, plan) == {"break_overlaps"}


def test_break_may_touch_a_visit(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """A lunch 12:15-13:15 ending as R2's service starts overlaps nothing: intervals may touch."""
    plan = with_route(valid_plan, "E1", break_window=TimeWindow(clock("12:15"), clock("13:15")))
    assert codes(misplaced_break, problem, plan) == set()
    overlap = with_route(valid_plan, "E1", break_window=TimeWindow(clock("12:15:02"), clock("13:15:02")))
    assert codes(misplaced_break, problem, overlap) == {"break_overlaps"}


def test_break_outside_the_shift(problem: Problem, valid_plan: Plan, clock: Clock) -> None:
    """A lunch 12:00-13:00 on a shift starting 12:30 leaves the shift and starts before the
    earliest moment the shift allows (its window is clamped into the shift)."""
    late_start = with_shift(problem, "E2", start=clock("12:30"))
    plan = with_route(valid_plan, "E2", break_window=TimeWindow(clock("12:00"), clock("13:00")))
    plan = with_stop(plan, "R3", arrival=clock("13:30"), start=clock("13:30"), end=clock("14:20"))
    assert codes(misplaced_break, late_start, plan) == {"break_overlaps", "break_window"}


# --- rule 7: plausible travel ----------------------------------------------------------------


def test_leg_shorter_than_the_straight_line(problem: Problem, valid_plan: Plan) -> None:
    """R1 lies 2.24 km from the branch as the crow flies: a 2.0 km leg is impossible."""
    plan = with_stop(valid_plan, "R1", travel_km=2.0)
    found = list(implausible_travel(problem, plan))
    assert [(v.code, v.request_id) for v in found] == [("short_leg", "R1")]


def test_way_home_shorter_than_the_straight_line(problem: Problem, valid_plan: Plan) -> None:
    """The return leg from R2 (2.12 km away) is checked too, and names no request."""
    plan = with_route(valid_plan, "E1", return_travel_km=2.0)
    found = list(implausible_travel(problem, plan))
    assert [(v.code, v.request_id, v.engineer_id) for v in found] == [("short_leg", None, "E1")]


def test_distance_tolerance_is_one_metre(problem: Problem, valid_plan: Plan) -> None:
    """Half a metre under the geodesic passes as rounding; two metres under do not."""
    eng = problem.engineer_by_id["E1"]
    floor = straight_km(eng.home, problem.request_by_id["R1"].location)
    assert codes(implausible_travel, problem, with_stop(valid_plan, "R1", travel_km=floor - 0.0005)) == set()
    bad = with_stop(valid_plan, "R1", travel_km=floor - 0.002)
    assert codes(implausible_travel, problem, bad) == {"short_leg"}


def test_leg_faster_than_80_kmh(problem: Problem, valid_plan: Plan) -> None:
    """2.24 km need at least 1.68 min at 80 km/h: 1.7 min pass, 1.5 min do not."""
    ok = with_stop(valid_plan, "R1", travel_minutes=1.7)
    fast = with_stop(valid_plan, "R1", travel_minutes=1.5)
    assert codes(implausible_travel, problem, ok) == set()
    assert codes(implausible_travel, problem, fast) == {"fast_leg"}


def test_short_and_fast_leg_are_both_reported(problem: Problem, valid_plan: Plan) -> None:
    """A leg both too short and too quick is reported for both faults."""
    plan = with_stop(valid_plan, "R1", travel_km=1.0, travel_minutes=1.0)
    assert codes(implausible_travel, problem, plan) == {"short_leg", "fast_leg"}


# --- coverage of the codes -------------------------------------------------------------------

TESTED_CODES = {
    "day_not_planned",
    "unknown_request", "duplicate_request", "missing_request", "unexplained",
    "duplicate_route", "unknown_engineer", "not_on_shift", "max_jobs", "skills", "capacity",
    "early_arrival", "start_before_arrival", "short_service", "break_in_travel", "late_return",
    "late", "early", "wrong_day", "broken_promise", "day_not_allowed", "slot_not_in_grid",
    "unexpected_break", "missing_break", "short_break", "break_window", "break_overlaps",
    "short_leg", "fast_leg",
}  # fmt: skip


def _emitted_codes() -> set[str]:
    """Every string literal the validator can pass as a Violation's code."""
    tree = ast.parse(Path(dispatch.validate.__file__).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Violation":
            first = node.args[0]
            for leaf in ast.walk(first):
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                    found.add(leaf.value)
    return found


def test_every_code_the_validator_emits_is_tested() -> None:
    """A new violation code fails this test until a test above triggers it."""
    assert _emitted_codes() == TESTED_CODES


def test_no_break_required_when_none_fits_in_the_shift(
    problem: Problem, valid_plan: Plan, clock: Clock
) -> None:
    """A shift ending 12:30 cannot hold a 60-minute lunch starting 12:00 or later: a route
    working until 12:15 needs none there, while on the full shift it does need one."""
    plan = with_route(valid_plan, "E2", break_window=None)
    plan = with_stop(plan, "R3", arrival=clock("11:25"), start=clock("11:25"), end=clock("12:15"))
    assert "missing_break" in codes(misplaced_break, problem, plan)
    short = with_shift(problem, "E2", end=clock("12:30"))
    assert "missing_break" not in codes(misplaced_break, short, plan)
