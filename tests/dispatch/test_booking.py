"""Booking offers: every offer, once booked, leaves a plan the validator accepts; reasons when none.

Scenarios are small and made here: one branch in central Shanghai, engineers on an
08:00-18:00 shift with a one-hour lunch starting 12:00-13:30, travel on the geodesic model.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.travel import GeodesicTravel
from dispatch.booking import Reserve, drop_stop, earliest, epoch, legs_between, timeline, with_visit
from dispatch.displace import apply_offer, offers_with_room
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
from dispatch.offers import Board, best_for, build_board, make_offers, offer_days, remoteness
from dispatch.plan import Plan, Unassigned
from dispatch.rules import DEFAULT_SLOTS
from dispatch.validate import validate

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)
DAYS = [DAY, DAY + timedelta(days=1)]
HOME = Location(31.2304, 121.4737)
TRAVEL = GeodesicTravel()


def at(hhmm: str, day: date = DAY) -> datetime:
    """A wall-clock time on ``day``."""
    return datetime.combine(day, time.fromisoformat(hhmm), ZONE)


def shift(eid: str, day: date = DAY, end: str = "18:00") -> Shift:
    """08:00-``end`` with a one-hour lunch starting 12:00-13:30."""
    return Shift(
        eid, day, at("08:00", day), at(end, day), at("12:00", day), at("13:30", day), timedelta(hours=1)
    )


def engineer(eid: str, skills: str = "water_heater", max_jobs: int | None = None) -> Engineer:
    """An engineer living at the branch."""
    return Engineer(eid, eid, "B1", frozenset(skills.split(";")), HOME, max_jobs=max_jobs)


def request(rid: str, dlat: float = 0.01, dlon: float = 0.01, minutes: int = 60, **kw: object) -> Request:
    """A water-heater request near the branch."""
    base = Request(
        rid, Location(HOME.lat + dlat, HOME.lon + dlon), "water_heater", Priority.NORMAL,
        timedelta(minutes=minutes), frozenset({"water_heater"}),
    )  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def problem(engineers: list[Engineer], shifts: list[Shift], requests: list[Request]) -> Problem:
    """The scenario over both days."""
    branch = Branch("B1", "Huangpu", HOME)
    return Problem([branch], engineers, shifts, requests, DEFAULT_SLOTS, DAYS, TRAVEL, ZONE)


def book_all(prob: Problem, callers: list[Request], reserve: Reserve | None = None) -> tuple[Problem, Plan]:
    """Book each caller into their best offer in turn; the final problem (with promises) and plan."""
    board = build_board(prob, [], reserve)
    booked: dict[str, Request] = {}
    left: list[Unassigned] = []
    for caller in callers:
        found = make_offers(board, caller, offer_days(caller, DAY, 2, prob.dates))
        if not found.offers:
            assert found.reason and found.code
            left.append(Unassigned(caller.request_id, found.code, found.reason))
            continue
        best = found.offers[0]
        promised = dataclasses.replace(caller, promised=Appointment(best.day, best.window))
        board.put(with_visit(best.insertion, promised, best.window, TRAVEL))
        booked[caller.request_id] = promised
    final = dataclasses.replace(prob, requests=[booked.get(r.request_id, r) for r in prob.requests])
    return final, Plan(prob.dates, board.routes(), left)


points = st.tuples(st.floats(-0.05, 0.05), st.floats(-0.05, 0.05), st.sampled_from([30, 45, 60, 90]))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(points, min_size=1, max_size=25), st.integers(1, 3))
def test_every_booked_plan_passes_the_validator(spots: list[tuple[float, float, int]], crew: int) -> None:
    """Booking callers one by one into their best offer always leaves a valid plan; each caller is
    booked in the offered slot or explained, exactly once."""
    engineers = [engineer(f"E{i}") for i in range(crew)]
    shifts = [shift(e.engineer_id, d) for e in engineers for d in DAYS]
    callers = [request(f"R{i}", a, b, m, latest_date=DAYS[-1]) for i, (a, b, m) in enumerate(spots)]
    final, plan = book_all(problem(engineers, shifts, callers), callers)
    assert validate(final, plan) == []
    served = {s.request_id for _, s in plan.stops()}
    assert served | {u.request_id for u in plan.unassigned} == {c.request_id for c in callers}


def test_a_full_day_offers_nothing_and_says_so() -> None:
    """With the only engineer at ``max_jobs``, nothing is offered and the reason is capacity."""
    eng = engineer("E1", max_jobs=2)
    callers = [request(f"R{i}", 0.001 * i, 0.0) for i in range(3)]
    prob = problem([eng], [shift("E1")], callers)
    final, plan = book_all(prob, callers)
    assert validate(final, plan) == []
    assert [u.reason for u in plan.unassigned] == ["no_capacity"]
    assert "full" in plan.unassigned[0].detail


def test_reasons_name_the_missing_skill_and_the_missing_shift() -> None:
    """No engineer with gas_cert: the reason names it; with the skill but no shift: no one on shift."""
    gas = request("R1", product="gas_stove", required_skills=frozenset({"gas_stove", "gas_cert"}))
    board = build_board(problem([engineer("E1")], [shift("E1")], [gas]), [])
    none = make_offers(board, gas, [DAY])
    assert (
        none.offers == []
        and none.code == "no_eligible_engineer"
        and none.reason
        and "gas_cert" in none.reason
    )
    board = build_board(problem([engineer("E1", "gas_stove;gas_cert")], [], [gas]), [])
    none = make_offers(board, gas, [DAY])
    assert none.code == "no_engineer_on_shift"


def test_an_address_out_of_reach_is_explained() -> None:
    """A visit 300 km away cannot be reached in a slot: out of reach, not full."""
    far = request("R1", 2.5, 0.5)
    board = build_board(problem([engineer("E1")], [shift("E1")], [far]), [])
    found = make_offers(board, far, [DAY])
    assert found.offers == [] and found.code == "out_of_reach"


def test_offers_keep_the_planners_reserve() -> None:
    """A visit that fits the shift on expected times only is offered without protection, not with it."""
    late = request("R1", 0.08, 0.08, minutes=100)
    prob = problem([engineer("E1")], [shift("E1", end="19:14")], [late])
    window = prob.slot_windows(DAY)[-1]
    plain = best_for(build_board(prob, [], Reserve(protection=0.0)), late, DAY, window)
    guarded = best_for(build_board(prob, [], Reserve()), late, DAY, window)
    assert plain is not None and guarded is None


def test_existing_promises_hold_after_a_booking() -> None:
    """A promised visit keeps its slot when another is booked on the same day, and the plan stays valid."""
    first = request("R1", promised=Appointment(DAY, prob_window(1)))
    prob = problem([engineer("E1")], [shift("E1")], [first])
    board = build_board(prob, [])
    placed = best_for(board, first, DAY, prob_window(1))
    assert placed is not None
    board.put(with_visit(placed.insertion, first, prob_window(1), TRAVEL))
    caller = request("R2", -0.01, 0.01)
    found = make_offers(board, caller, [DAY])
    for offer in found.offers:
        trial = _copy(board)
        promised = dataclasses.replace(caller, promised=Appointment(offer.day, offer.window))
        trial.put(with_visit(offer.insertion, promised, offer.window, TRAVEL))
        final = dataclasses.replace(prob, requests=[first, promised])
        plan = Plan(prob.dates, trial.routes(), [])
        assert validate(final, plan) == []
        assert next(s for _, s in plan.stops() if s.request_id == "R1").slot == prob_window(1)


def prob_window(index: int) -> TimeWindow:
    """The grid's slot ``index`` on the planning day."""
    return DEFAULT_SLOTS[index].on(DAY, ZONE)


def _copy(board: Board) -> Board:
    return Board(
        board.problem,
        board.reserve,
        {d: list(t) for d, t in board.days.items()},
        list(board.points),
        dict(board.offsets),
    )


def test_emergencies_get_the_earliest_start_today() -> None:
    """An emergency is offered on the first day only, earliest start first; nothing before ``now``."""
    urgent = request("R1", priority=Priority.EMERGENCY, latest_date=DAYS[-1])
    prob = problem([engineer("E1")], [shift("E1", d) for d in DAYS], [urgent])
    days = offer_days(urgent, DAY, 2, prob.dates)
    assert days == [DAY]
    found = make_offers(build_board(prob, []), urgent, days, now=at("10:30"))
    starts = [o.start for o in found.offers]
    assert starts == sorted(starts) and starts[0] >= at("10:30")
    assert all(o.window.end > at("10:30") for o in found.offers)


def test_the_preferred_engineer_ranks_first() -> None:
    """Two equal engineers: the caller's preferred one gets the better grade."""
    caller = request("R1", preferred_engineer_id="E2")
    prob = problem([engineer("E1"), engineer("E2")], [shift("E1"), shift("E2")], [caller])
    best = make_offers(build_board(prob, []), caller, [DAY]).offers[0]
    assert best.engineer_id == "E2" and best.why["preferred_engineer"] is True


def test_dropping_a_stop_keeps_the_route_valid() -> None:
    """Taking a visit off a route (times kept, the bridging drive recomputed) leaves a valid day."""
    callers = [request(f"R{i}", 0.01 * i, -0.01 * i, latest_date=DAY) for i in range(4)]
    prob = problem([engineer("E1")], [shift("E1")], callers)
    final, plan = book_all(prob, callers)
    route = plan.routes[0]
    gone = route.stops[1].request_id
    places = {r.request_id: r.location for r in callers}
    shorter = drop_stop(route, gone, places, HOME, TRAVEL)
    rest = [u for u in plan.unassigned] + [Unassigned(gone, "cancelled", "test")]
    assert validate(final, Plan(plan.dates, [shorter], rest)) == []


def test_remote_addresses_carry_the_surcharge_flag() -> None:
    """Beyond the radius the flag is set and the distance given; inside it is not."""
    branch = Branch("B1", "Huangpu", HOME)
    far = remoteness(branch, Location(HOME.lat + 0.3, HOME.lon), None)
    near = remoteness(branch, Location(HOME.lat + 0.01, HOME.lon), 10.0)
    assert far["remote_surcharge"] and far["distance_km"] > 30
    assert not near["remote_surcharge"] and near["service_radius_km"] == 10.0


def test_room_is_made_by_moving_unbooked_work_never_dropping_it() -> None:
    """E1 (the only gas engineer, one visit a day) holds an unbooked water-heater visit: the gas caller
    gets E1 by moving that visit to E2; both stay planned and the plan is valid. A booked visit never moves."""
    caller = request(
        "R2", -0.01, 0.01, product="gas_stove", required_skills=frozenset({"gas_stove", "gas_cert"})
    )
    held = request("R1", latest_date=DAY)
    engineers = [engineer("E1", "water_heater;gas_stove;gas_cert", max_jobs=1), engineer("E2")]
    prob = problem(engineers, [shift("E1"), shift("E2")], [held, caller])
    board = build_board(prob, [])
    first = best_for(board, held, DAY, prob_window(0))
    assert first is not None and first.engineer_id == "E1"
    board.put(with_visit(first.insertion, held, prob_window(0), TRAVEL))
    assert make_offers(board, caller, [DAY]).offers == []
    found = offers_with_room(board, caller, [DAY])
    assert found.offers and found.offers[0].why["moves"]["request_id"] == "R1"
    offer = found.offers[0]
    promised = dataclasses.replace(caller, promised=Appointment(DAY, offer.window))
    for changed in apply_offer(offer, promised, offer.window, TRAVEL):
        board.put(changed)
    final = dataclasses.replace(prob, requests=[held, promised])
    plan = Plan(prob.dates, board.routes(), [])
    assert validate(final, plan) == []
    assert {s.request_id: r.engineer_id for r, s in plan.stops()} == {"R1": "E2", "R2": "E1"}
    booked = dataclasses.replace(held, promised=Appointment(DAY, prob_window(0)))
    board = build_board(dataclasses.replace(prob, requests=[booked, caller]), [])
    board.put(with_visit(first.insertion, booked, prob_window(0), TRAVEL))
    assert offers_with_room(board, caller, [DAY]).offers == []


def test_a_day_that_sets_off_elsewhere_drives_from_there_and_home_at_the_end() -> None:
    """A re-plan's restart: the first drive leaves the shift's start location, the last goes home,
    and an insertion into the empty rest of the day counts its detour against the drive home."""
    elsewhere = Location(HOME.lat + 0.05, HOME.lon)
    caller = request("R1", 0.04, 0.0)
    base = dataclasses.replace(shift("E1"), start=at("10:30"), start_location=elsewhere)
    tl = timeline(engineer("E1"), base, [(caller, prob_window(1))], TRAVEL, Reserve())
    m = TRAVEL.matrix([elsewhere, caller.location, HOME])
    assert tl.ok and tl.points == [elsewhere, caller.location, HOME]
    assert tl.raw_s == [m.seconds[0][1], m.seconds[1][2]]
    empty = timeline(engineer("E1"), base, [], TRAVEL, Reserve())
    legs = legs_between(TRAVEL, caller.location, empty.points)
    best = earliest([empty], caller, [slot.on(DAY, ZONE) for slot in DEFAULT_SLOTS], TRAVEL)
    assert best is not None
    found, window = best
    assert window.start <= datetime.fromtimestamp(found.start, ZONE) <= window.end
    assert found.extra_s == m.seconds[1][0] + m.seconds[1][2] - m.seconds[0][2]
    assert found.start >= epoch(at("10:30")) + Reserve().drive(legs.in_s[0])
