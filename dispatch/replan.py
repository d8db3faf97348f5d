"""The rest of the day: what is frozen, where each engineer sets off again, and what is left to plan.

:func:`remaining_day` folds the events into the current plan at ``now``. Visits done or in
progress are *frozen*: they stay as they happened (actual times where events give them, else
as planned, pushed back by earlier overruns). A visit without events counts as started when
its start, so pushed back, lies before ``now``. Each engineer sets off again from the place
of their last frozen visit at its end, from a no-show's doorstep, or from home, and never
before ``now``; a break that started before ``now`` is taken. The solver plans the
:attr:`Remaining.sub` problem; :func:`merge` puts history and the new suffix back together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from dispatch.errors import InputError, InputProblem
from dispatch.events import (
    Cancellation,
    EngineerUnavailable,
    Event,
    NewRequest,
    NoShow,
    VisitFinished,
    VisitOverrun,
    VisitStarted,
    request_of,
    type_name,
)
from dispatch.model import Appointment, Location, Problem, Request, Shift, TimeWindow
from dispatch.plan import Plan, Reason, Route, Stop, Unassigned

EVENTS = "events"


@dataclass(frozen=True, slots=True)
class Leg:
    """A drive in minutes and km."""

    minutes: float
    km: float


@dataclass(frozen=True, slots=True)
class Restart:
    """Where and when an engineer sets off again; ``detour`` is driven before (to a no-show)."""

    engineer_id: str
    location: Location
    at: datetime
    detour: Leg | None
    break_taken: bool


@dataclass(frozen=True)
class Facts:
    """The events folded per request and engineer (a later event of a kind wins)."""

    started: dict[str, datetime] = field(default_factory=dict)
    finished: dict[str, datetime] = field(default_factory=dict)
    overrun: dict[str, datetime] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    no_show: dict[str, datetime] = field(default_factory=dict)
    unavailable: dict[str, datetime | None] = field(default_factory=dict)
    new: list[Request] = field(default_factory=list)


@dataclass(frozen=True)
class Remaining:
    """The day after ``now``: the full problem, the history, and the problem left to solve."""

    problem: Problem
    sub: Problem
    plan: Plan
    day: date
    now: datetime
    frozen: dict[str, list[Stop]]
    breaks: dict[str, TimeWindow]
    restarts: dict[str, Restart]
    left_out: list[Unassigned]
    facts: Facts
    current_engineer: dict[str, str]

    def frozen_ids(self) -> set[str]:
        """Requests whose visit is history."""
        return {s.request_id for stops in self.frozen.values() for s in stops}


def fold(problem: Problem, plan: Plan, events: Sequence[Event]) -> Facts:
    """The events as facts; an unknown request or engineer is an :class:`InputError` naming the event."""
    facts = Facts()
    known = set(problem.request_by_id)
    problems: list[InputProblem] = []
    for number, event in enumerate(events, start=1):
        rid = request_of(event)
        if isinstance(event, NewRequest):
            rid = event.request.request_id
            if rid in problem.request_by_id:  # recorded in the scenario already (the service stores it)
                facts.new.append(problem.request_by_id[rid])
            elif rid in known:
                problems.append(InputProblem(EVENTS, number, "request.request_id", f"{rid} comes twice"))
            else:
                facts.new.append(event.request)
            known.add(event.request.request_id)
            continue
        if isinstance(event, EngineerUnavailable):
            if event.engineer_id not in problem.engineer_by_id:
                problems.append(
                    InputProblem(EVENTS, number, "engineer_id", f"unknown engineer {event.engineer_id}")
                )
            facts.unavailable[event.engineer_id] = event.start
            continue
        if rid not in known:
            problems.append(
                InputProblem(EVENTS, number, "request_id", f"unknown request {rid} ({type_name(event)})")
            )
            continue
        _note(facts, event)
    if problems:
        raise InputError(problems)
    return facts


def _note(facts: Facts, event: Event) -> None:
    if isinstance(event, VisitStarted):
        facts.started[event.request_id] = event.at
    elif isinstance(event, VisitFinished):
        facts.finished[event.request_id] = event.at
    elif isinstance(event, VisitOverrun):
        facts.overrun[event.request_id] = event.expected_end
    elif isinstance(event, Cancellation):
        facts.cancelled.add(event.request_id)
    elif isinstance(event, NoShow):
        facts.no_show[event.request_id] = event.at


class Legs:
    """Drives between places, from the problem's travel model, computed once per pair."""

    def __init__(self, problem: Problem) -> None:
        self.travel = problem.travel
        self.cache: dict[tuple[Location, Location], Leg] = {}

    def between(self, a: Location, b: Location) -> Leg:
        """The drive from ``a`` to ``b``."""
        if (a, b) not in self.cache:
            m = self.travel.matrix([a, b])
            self.cache[(a, b)] = Leg(m.seconds[0][1] / 60, m.meters[0][1] / 1000)
        return self.cache[(a, b)]


def _started(
    facts: Facts, stop: Stop, earliest: datetime, now: datetime, stop_at: datetime | None
) -> datetime | None:
    """When the visit began, or ``None`` when it has not (yet) by ``now``."""
    rid = stop.request_id
    if rid in facts.started:
        return facts.started[rid]
    if rid in facts.finished:
        return min(facts.finished[rid], max(stop.start, earliest))
    if rid in facts.cancelled or rid in facts.no_show:
        return None
    start = max(stop.start, earliest)
    limit = now if stop_at is None else min(now, stop_at)
    return start if start < limit else None


def _history(problem: Problem, route: Route, facts: Facts, now: datetime, legs: Legs) -> list[Stop]:
    """The route's visits that are done or in progress at ``now``, legs recomputed between them."""
    shift = problem.shift_by_key[(route.engineer_id, route.day)]
    home = problem.engineer_by_id[route.engineer_id].home
    stop_at = None
    if route.engineer_id in facts.unavailable:
        stop_at = facts.unavailable[route.engineer_id] or shift.start
    here, free = home, shift.start
    frozen: list[Stop] = []
    for stop in route.stops:
        req = problem.request_by_id[stop.request_id]
        leg = legs.between(here, req.location)
        earliest = free + timedelta(minutes=leg.minutes)
        begun = _started(facts, stop, earliest, now, stop_at)
        if begun is None:
            continue
        end = (
            facts.finished.get(stop.request_id)
            or facts.overrun.get(stop.request_id)
            or begun + (stop.end - stop.start)
        )
        arrival = min(begun, max(stop.arrival, earliest))
        frozen.append(
            replace(stop, arrival=arrival, start=begun, end=end, travel_minutes=leg.minutes, travel_km=leg.km)
        )
        here, free = req.location, end
    return frozen


def _break_taken(route: Route, frozen: list[Stop], now: datetime) -> TimeWindow | None:
    """The route's break when it began before ``now``, moved past any visit that overran into it."""
    brk = route.break_window
    if brk is None or brk.start >= now:
        return None
    length = brk.end - brk.start
    start = brk.start
    for stop in frozen:
        if stop.start < start + length and start < stop.end:
            start = stop.end
    return TimeWindow(start, start + length)


def _restart(
    problem: Problem, eid: str, shift: Shift, frozen: list[Stop], facts: Facts, now: datetime, legs: Legs,
    no_show_here: list[tuple[datetime, str]], taken: TimeWindow | None,
) -> Restart:  # fmt: skip
    """Where the engineer sets off again and when."""
    home = problem.engineer_by_id[eid].home
    here, free = home, shift.start
    if frozen:
        here, free = problem.request_by_id[frozen[-1].request_id].location, frozen[-1].end
    if taken is not None and taken.start >= free:
        free = taken.end
    detour = None
    for at, rid in sorted(no_show_here):
        if at < free:
            continue
        place = problem.request_by_id[rid].location
        leg = legs.between(here, place)
        detour = leg if detour is None else Leg(detour.minutes + leg.minutes, detour.km + leg.km)
        here, free = place, max(at, free + timedelta(minutes=leg.minutes))
    return Restart(eid, here, max(now, free), detour, taken is not None)


def remaining_day(problem: Problem, plan: Plan, events: Sequence[Event], now: datetime) -> Remaining:
    """The history and the rest of the day of ``now``'s date in ``plan``, after ``events``."""
    day = now.astimezone(problem.zone).date()
    if day not in plan.dates:
        raise InputError.single("plan", None, "dates", f"the plan does not cover {day}, the day of --now")
    facts = fold(problem, plan, events)
    full = with_promises(
        replace(
            problem,
            requests=[
                *problem.requests,
                *(r for r in facts.new if r.request_id not in problem.request_by_id),
            ],
        ),
        repromised_in(problem, plan),
    )
    legs = Legs(full)
    frozen: dict[str, list[Stop]] = {}
    breaks: dict[str, TimeWindow] = {}
    restarts: dict[str, Restart] = {}
    owner = {s.request_id: r.engineer_id for r in plan.routes if r.day == day for s in r.stops}
    for route in (r for r in plan.routes if r.day == day and (r.engineer_id, day) in full.shift_by_key):
        eid = route.engineer_id
        frozen[eid] = _history(full, route, facts, now, legs)
        taken = _break_taken(route, frozen[eid], now)
        if taken is not None:
            breaks[eid] = taken
        mine = [(at, rid) for rid, at in facts.no_show.items() if owner.get(rid) == eid]
        shift = full.shift_by_key[(eid, day)]
        restarts[eid] = _restart(full, eid, shift, frozen[eid], facts, now, legs, mine, taken)
    left_out = _left_out(facts, {s.request_id for stops in frozen.values() for s in stops}, plan)
    remaining = Remaining(full, full, plan, day, now, frozen, breaks, restarts, left_out, facts, owner)
    return replace(remaining, sub=_sub_problem(remaining))


def _left_out(facts: Facts, frozen: set[str], plan: Plan) -> list[Unassigned]:
    """Cancelled and no-show requests: those of the events, and those an earlier re-plan left out."""
    out = {
        rid: Unassigned(rid, Reason.CANCELLED.value, "cancelled by the customer")
        for rid in sorted(facts.cancelled - frozen)
    }
    for rid, at in sorted(facts.no_show.items()):
        if rid not in frozen and rid not in out:
            out[rid] = Unassigned(
                rid, Reason.NO_SHOW.value, f"nobody at home at {at:%H:%M}; book a new visit"
            )
    for u in plan.unassigned:
        if u.reason in (Reason.CANCELLED, Reason.NO_SHOW) and u.request_id not in frozen:
            out.setdefault(u.request_id, u)
    return list(out.values())


def _sub_problem(rem: Remaining) -> Problem:
    """The rest of the day as a problem of its own: shifts from each restart, open work only.

    An open request keeps its current engineer as its preferred one: changing it costs what
    a re-repair by someone else costs (the stability cost). Caps count frozen visits.
    """
    full, day = rem.problem, rem.day
    done = rem.frozen_ids() | {u.request_id for u in rem.left_out}
    other_days = {s.request_id for r in rem.plan.routes if r.day != day for s in r.stops}
    engineers, shifts = [], []
    for eng in full.engineers:
        frozen = rem.frozen.get(eng.engineer_id, [])
        load = sum(full.request_by_id[s.request_id].demand for s in frozen)
        engineers.append(
            replace(
                eng,
                max_jobs=None if eng.max_jobs is None else max(0, eng.max_jobs - len(frozen)),
                capacity=None if eng.capacity is None else max(0, eng.capacity - load),
            )
        )
        shift = _sub_shift(rem, eng.engineer_id)
        if shift is not None and (eng.max_jobs is None or eng.max_jobs > len(frozen)):
            shifts.append(shift)
    requests = []
    for req in full.requests:
        if req.request_id in done or req.request_id in other_days:
            continue
        keep = rem.current_engineer.get(req.request_id)
        if keep is not None and keep not in rem.facts.unavailable:
            req = replace(req, preferred_engineer_id=keep)
        requests.append(req)
    return replace(
        full,
        engineers=engineers,
        shifts=shifts,
        requests=requests,
        dates=[day],
        name=f"{full.name} rest of {day}",
    )


def _sub_shift(rem: Remaining, eid: str) -> Shift | None:
    shift = rem.problem.shift_by_key.get((eid, rem.day))
    if shift is None or (eid in rem.facts.unavailable):
        return None
    restart = rem.restarts.get(eid)
    start = restart.at if restart is not None else max(rem.now, shift.start)
    if start >= shift.end:
        return None
    home = rem.problem.engineer_by_id[eid].home
    where = None if restart is None or restart.location == home else restart.location
    out = replace(shift, start=start, start_location=where)
    if restart is not None and restart.break_taken:
        out = replace(out, break_earliest=None, break_latest=None, break_duration=timedelta(0))
    return out


def repromised_in(problem: Problem, plan: Plan) -> dict[str, TimeWindow]:
    """Promised requests that ``plan`` serves in another window: re-promised by an earlier re-plan."""
    out = {}
    for _, stop in plan.stops():
        req = problem.request_by_id.get(stop.request_id)
        if req is not None and req.promised is not None and stop.slot != req.promised.window:
            out[stop.request_id] = stop.slot
    return out


def with_promises(problem: Problem, promises: Mapping[str, TimeWindow]) -> Problem:
    """The problem with the given requests promised the given windows (re-promised)."""
    if not promises:
        return problem
    requests = [
        replace(r, promised=Appointment(_day_of(problem, promises[r.request_id]), promises[r.request_id]))
        if r.request_id in promises
        else r
        for r in problem.requests
    ]
    return replace(problem, requests=requests)


def _day_of(problem: Problem, window: TimeWindow) -> date:
    return window.start.astimezone(problem.zone).date()
