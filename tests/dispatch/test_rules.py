"""The business rules of dispatch.rules, each shown on the smallest scenario that exercises it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.model import Appointment, Engineer, Location, Priority, Problem, Request, TimeWindow
from dispatch.rules import (
    DEFAULT_CATALOGUE,
    ProductSpec,
    allowed_days,
    candidate_windows,
    is_eligible,
    product_spec,
    service_tiers,
    slot_containing,
)
from tests.dispatch.conftest import DAY, at

D1, D2, D3 = DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)


@pytest.fixture
def three_days(problem: Problem) -> Problem:
    """The scenario planned over three consecutive days."""
    return replace(problem, dates=[D1, D2, D3])


@pytest.fixture
def r1(problem: Problem) -> Request:
    """An unbooked normal request (a water heater)."""
    return problem.request_by_id["R1"]


@pytest.fixture
def e1(problem: Problem) -> Engineer:
    """An engineer with water_heater, gas_stove and gas_cert."""
    return problem.engineer_by_id["E1"]


def needing(request: Request, *skills: str) -> Request:
    """The request with other required skills."""
    return replace(request, required_skills=frozenset(skills))


def promised(request: Request, day: date, start: str = "10:00", end: str = "12:00") -> Request:
    """The request with an appointment promised on ``day``."""
    return replace(request, promised=Appointment(day, TimeWindow(at(start, day), at(end, day))))


# --- eligibility -----------------------------------------------------------------------------


def test_subset_of_skills_is_eligible(e1: Engineer, r1: Request) -> None:
    """Required skills that are a proper subset, or equal, make the engineer eligible."""
    assert is_eligible(e1, needing(r1, "gas_stove", "gas_cert"))
    assert is_eligible(e1, needing(r1, "water_heater", "gas_stove", "gas_cert"))


def test_one_missing_skill_makes_ineligible(e1: Engineer, r1: Request) -> None:
    """Lacking any one required skill (height_cert) is enough to be ineligible."""
    assert not is_eligible(e1, needing(r1, "water_heater", "height_cert"))


def test_no_required_skills_anyone_is_eligible(e1: Engineer, r1: Request) -> None:
    """The empty set is a subset of every engineer's skills."""
    assert is_eligible(e1, needing(r1))
    assert is_eligible(replace(e1, skills=frozenset()), needing(r1))


# --- the product catalogue -------------------------------------------------------------------


def test_default_catalogue_as_in_the_contract() -> None:
    """The built-in catalogue matches the contract's table, e.g. a gas water heater needs gas_cert."""
    assert product_spec("gas_water_heater", {}) == ProductSpec(
        frozenset({"water_heater", "gas_cert"}), timedelta(minutes=75)
    )
    assert product_spec("air_conditioner", {}) == ProductSpec(
        frozenset({"air_conditioner", "height_cert"}), timedelta(minutes=90)
    )
    assert {p: s.duration for p, s in DEFAULT_CATALOGUE.items()} == {
        p: timedelta(minutes=m)
        for p, m in {
            "water_heater": 60,
            "gas_water_heater": 75,
            "gas_stove": 50,
            "range_hood": 50,
            "water_purifier": 40,
            "dishwasher": 70,
            "refrigerator": 80,
            "washing_machine": 60,
            "air_conditioner": 90,
        }.items()
    }


def test_catalogue_file_overrides_the_default() -> None:
    """A products.csv entry wins over the built-in one of the same product."""
    own = {"gas_stove": ProductSpec(frozenset({"gas_stove"}), timedelta(minutes=30))}
    assert product_spec("gas_stove", own) == own["gas_stove"]


def test_default_covers_products_the_file_omits() -> None:
    """A products.csv that does not list a product leaves it to the built-in catalogue."""
    own = {"kettle": ProductSpec(frozenset({"kettle"}), timedelta(minutes=10))}
    assert product_spec("range_hood", own) == DEFAULT_CATALOGUE["range_hood"]


def test_unknown_product_needs_its_own_skill_and_has_no_duration() -> None:
    """A product in neither catalogue needs the skill of its name and gives no default."""
    assert product_spec("sauna", {}) == ProductSpec(frozenset({"sauna"}), None)


# --- allowed days ----------------------------------------------------------------------------


def test_promise_on_the_horizon_allows_its_day_only(three_days: Problem, r1: Request) -> None:
    """A promise for the second day allows that day, whatever the earliest/latest dates say."""
    req = replace(promised(r1, D2), earliest_date=D1, latest_date=D3)
    assert allowed_days(req, three_days) == [D2]


def test_promise_off_the_horizon_allows_no_day(three_days: Problem, r1: Request) -> None:
    """A promise for a day not planned cannot be kept by this plan."""
    assert allowed_days(promised(r1, D3 + timedelta(days=1)), three_days) == []


def test_empty_bounds_mean_the_planning_day(three_days: Problem, r1: Request) -> None:
    """Without earliest and latest dates a request is for the planning day alone."""
    assert allowed_days(r1, three_days) == [D1]


def test_empty_earliest_means_the_planning_day(three_days: Problem, r1: Request) -> None:
    """Only a latest date: from the planning day up to it."""
    assert allowed_days(replace(r1, latest_date=D2), three_days) == [D1, D2]


def test_empty_latest_means_the_planning_day(three_days: Problem, r1: Request) -> None:
    """Only an earliest date before the horizon: up to the planning day."""
    assert allowed_days(replace(r1, earliest_date=D1 - timedelta(days=3)), three_days) == [D1]


def test_both_bounds_give_the_planned_days_between(three_days: Problem, r1: Request) -> None:
    """Both dates: the planned days between them, both included."""
    assert allowed_days(replace(r1, earliest_date=D2, latest_date=D3), three_days) == [D2, D3]


def test_bounds_before_the_horizon_allow_no_day(three_days: Problem, r1: Request) -> None:
    """A request due before the first planned day has no allowed day left."""
    before = D1 - timedelta(days=1)
    assert allowed_days(replace(r1, earliest_date=before, latest_date=before), three_days) == []


def test_emergency_only_on_its_first_allowed_day(three_days: Problem, r1: Request) -> None:
    """An emergency is served the same day: of three allowed days only the first counts."""
    urgent = replace(r1, priority=Priority.EMERGENCY, latest_date=D3)
    assert allowed_days(urgent, three_days) == [D1]
    assert allowed_days(replace(urgent, earliest_date=D2), three_days) == [D2]


# --- candidate windows -----------------------------------------------------------------------


def test_candidates_of_a_promise_are_its_window(three_days: Problem, r1: Request) -> None:
    """A promised request may start only in its promised window, even one off the grid."""
    req = promised(r1, D2, "09:30", "11:30")
    assert candidate_windows(req, three_days) == [(D2, TimeWindow(at("09:30", D2), at("11:30", D2)))]


def test_candidates_of_a_promise_off_the_horizon(three_days: Problem, r1: Request) -> None:
    """A promise outside the horizon offers no window at all."""
    assert candidate_windows(promised(r1, D3 + timedelta(days=1)), three_days) == []


def test_candidates_of_an_unbooked_request_are_the_grid(three_days: Problem, r1: Request) -> None:
    """An unbooked request may take any of the five default slots on each allowed day, in order."""
    req = replace(r1, latest_date=D2)
    found = candidate_windows(req, three_days)
    assert [d for d, _ in found] == [D1] * 5 + [D2] * 5
    assert [(w.start, w.end) for _, w in found[:5]] == [
        (at(a), at(b))
        for a, b in [
            ("08:00", "10:00"),
            ("10:00", "12:00"),
            ("13:00", "15:00"),
            ("15:00", "17:00"),
            ("17:00", "19:00"),
        ]
    ]


# --- the slot a start falls in ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "slot"),
    [
        ("08:00", ("08:00", "10:00")),
        ("09:59", ("08:00", "10:00")),
        ("10:00", ("10:00", "12:00")),
        ("12:00", ("10:00", "12:00")),
        ("19:00", ("17:00", "19:00")),
        ("07:59", None),
        ("12:30", None),
        ("19:01", None),
    ],
)
def test_slot_containing_at_boundaries(
    problem: Problem, r1: Request, start: str, slot: tuple[str, str] | None
) -> None:
    """A start on a boundary belongs to the slot opening there; a slot's end still belongs to it
    when no slot follows; a start in no slot (lunch, before 08:00, after 19:00) has none."""
    expected = None if slot is None else TimeWindow(at(slot[0]), at(slot[1]))
    assert slot_containing(problem, r1, DAY, at(start)) == expected


def test_slot_of_a_promise_is_the_promised_window(problem: Problem, r1: Request) -> None:
    """A promised request is booked into its promise, not into the grid slot around the start."""
    req = promised(r1, DAY, "09:30", "11:30")
    assert slot_containing(problem, req, DAY, at("10:30")) == TimeWindow(at("09:30"), at("11:30"))


# --- service tiers ---------------------------------------------------------------------------


def make_request(i: int, priority: Priority, is_promised: bool) -> Request:
    """A bare request ``Q{i}`` of the given priority, promised on the planning day or not."""
    req = Request(f"Q{i}", Location(31.23, 121.47), "water_heater", priority, timedelta(hours=1), frozenset())
    return promised(req, DAY) if is_promised else req


def test_high_counts_three_normal() -> None:
    """Among unpromised work, and among promised work, a high request is worth three normal ones."""
    reqs = [
        make_request(0, Priority.NORMAL, False),
        make_request(1, Priority.HIGH, False),
        make_request(2, Priority.NORMAL, True),
        make_request(3, Priority.HIGH, True),
    ]
    worth = service_tiers(reqs)
    assert worth["Q1"] == 3 * worth["Q0"]
    assert worth["Q3"] == 3 * worth["Q2"]


def _tier(r: Request) -> int:
    """2 for emergencies, 1 for other promised work, 0 for the rest."""
    if r.priority is Priority.EMERGENCY:
        return 2
    return 1 if r.promised is not None else 0


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Priority)), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_each_tier_outweighs_all_lower_tiers_together(kinds: list[tuple[Priority, bool]]) -> None:
    """One emergency outweighs all other work together; one promise all unpromised work together."""
    reqs = [make_request(i, p, b) for i, (p, b) in enumerate(kinds)]
    worth = service_tiers(reqs)
    assert set(worth) == {r.request_id for r in reqs}
    assert all(w > 0 for w in worth.values())
    for r in reqs:
        below = sum(worth[q.request_id] for q in reqs if _tier(q) < _tier(r))
        assert worth[r.request_id] > below


def test_emergency_outweighs_everything_else() -> None:
    """A concrete case: one emergency against ten high promised and ten high unpromised requests."""
    reqs = [make_request(0, Priority.EMERGENCY, False)]
    reqs += [make_request(i, Priority.HIGH, i % 2 == 0) for i in range(1, 21)]
    worth = service_tiers(reqs)
    assert worth["Q0"] > sum(w for rid, w in worth.items() if rid != "Q0")
