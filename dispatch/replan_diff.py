"""History and new suffix put back together, and what changed for whom.

:func:`merge` joins each engineer's frozen visits to the routes planned for the rest of
the day; :func:`diff` compares the new plan with the one it replaces: who moved to another
slot, who got another engineer, who will see them much later, whose promise could not be
kept (with the earliest slot the new plan still has room for), who was dropped, and so the
customers the desk must call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from dispatch.booking import Reserve, earliest, epoch, gap_of, timeline
from dispatch.model import Problem, Request, TimeWindow
from dispatch.plan import Plan, Route, Stop, Unassigned
from dispatch.replan import Leg, Legs, Remaining

#: A visit pushed back this much inside its slot is "newly late": the customer hears of it.
LATE_NOTICE = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Placement:
    """Who serves a request, in which slot, starting when."""

    engineer_id: str
    slot: TimeWindow
    start: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """One customer's change: before and after (``None``: not served), and a proposal if any."""

    request_id: str
    detail: str
    before: Placement | None = None
    after: Placement | None = None
    proposal: Placement | None = None


@dataclass(frozen=True)
class Diff:
    """The changes by kind; ``notify`` holds every customer the desk must call, once each."""

    moved: list[Change] = field(default_factory=list)
    reassigned: list[Change] = field(default_factory=list)
    newly_late: list[Change] = field(default_factory=list)
    broken_promises: list[Change] = field(default_factory=list)
    dropped: list[Change] = field(default_factory=list)
    booked: list[Change] = field(default_factory=list)
    notify: list[Change] = field(default_factory=list)

    def changed(self) -> set[str]:
        """Requests whose engineer or slot changed, or who lost their visit."""
        kinds = (self.moved, self.reassigned, self.broken_promises, self.dropped)
        return {c.request_id for kind in kinds for c in kind}


def merge(
    rem: Remaining, routes: Sequence[Route], unassigned: Sequence[Unassigned], problem: Problem
) -> Plan:
    """The whole day: frozen visits, then the new routes; other days' routes as they were.

    ``problem`` is the full problem the plan answers (re-promises applied): a stop of a
    promised request takes the promised window as its slot.
    """
    by_engineer = {r.engineer_id: r for r in routes if r.day == rem.day}
    legs = Legs(problem)
    merged: list[Route] = []
    seen: set[str] = set()
    for route in rem.plan.routes:
        if route.day != rem.day:
            merged.append(route)
            continue
        seen.add(route.engineer_id)
        merged.append(_joined(rem, problem, route.engineer_id, by_engineer.get(route.engineer_id), legs))
    for eid, route in sorted(by_engineer.items()):
        if eid not in seen:
            merged.append(_joined(rem, problem, eid, route, legs))
    return Plan(list(rem.plan.dates), merged, [*rem.left_out, *unassigned])


def _joined(rem: Remaining, problem: Problem, eid: str, new: Route | None, legs: Legs) -> Route:
    frozen = rem.frozen.get(eid, [])
    restart = rem.restarts.get(eid)
    detour = restart.detour if restart is not None else None
    suffix = [_promised_slot(problem, s) for s in (new.stops if new is not None else [])]
    if suffix and detour is not None:
        first = suffix[0]
        suffix[0] = replace(
            first, travel_minutes=first.travel_minutes + detour.minutes, travel_km=first.travel_km + detour.km
        )
    home_leg = Leg(0.0, 0.0)
    if new is not None and suffix:
        home_leg = Leg(new.return_travel_minutes, new.return_travel_km)
    elif frozen or detour is not None:
        place = (
            restart.location if restart is not None else problem.request_by_id[frozen[-1].request_id].location
        )
        back = legs.between(place, problem.engineer_by_id[eid].home)
        extra = detour or Leg(0.0, 0.0)
        home_leg = Leg(back.minutes + extra.minutes, back.km + extra.km)
    brk = rem.breaks.get(eid) or (new.break_window if new is not None else None)
    route = Route(eid, rem.day, [*frozen, *suffix], brk, home_leg.minutes, home_leg.km)
    return route if brk is not None else _late_break(problem, route)


def _promised_slot(problem: Problem, stop: Stop) -> Stop:
    req = problem.request_by_id.get(stop.request_id)
    if req is not None and req.promised is not None and req.promised.window.contains(stop.start):
        return replace(stop, slot=req.promised.window)
    return stop


def _late_break(problem: Problem, route: Route) -> Route:
    """A route cut short by history that works into its break window takes the break after its last visit."""
    shift = problem.shift_by_key.get((route.engineer_id, route.day))
    if shift is None or shift.break_starts is None or not route.stops:
        return route
    earliest, latest = shift.break_starts
    last = route.stops[-1]
    depart = route.stops[0].arrival - timedelta(minutes=route.stops[0].travel_minutes)
    back = last.end + timedelta(minutes=route.return_travel_minutes)
    if not (depart < latest + shift.break_duration and back > earliest):
        return route
    start = max(earliest, last.end)
    if start > latest or back + shift.break_duration > shift.end:
        return route
    return replace(route, break_window=TimeWindow(start, start + shift.break_duration))


def _placements(plan: Plan, day: object) -> dict[str, Placement]:
    return {
        s.request_id: Placement(r.engineer_id, s.slot, s.start)
        for r in plan.routes
        if r.day == day
        for s in r.stops
    }


def diff(
    rem: Remaining,
    new: Plan,
    problem: Problem,
    repromised: Mapping[str, TimeWindow],
    reserve: Reserve | None = None,
) -> Diff:
    """What changed between the plan in force and ``new`` for each customer not yet visited;
    a customer who loses their visit gets the earliest slot left today as a proposal
    (:func:`earliest_slot` on ``reserve``, the planner's protection)."""
    before, after = _placements(rem.plan, rem.day), _placements(new, rem.day)
    out = Diff()
    frozen = rem.frozen_ids()
    left = {u.request_id for u in rem.left_out}
    propose = _proposals(rem, new, reserve)
    original = {
        r.request_id: r.promised.window
        for r in rem.problem.requests
        if r.promised is not None and r.promised.day == rem.day
    }
    for rid in sorted((set(before) | set(after) | set(original)) - frozen - left):
        b, a = before.get(rid), after.get(rid)
        if rid in original and b is None and a is None:
            continue  # a promise the plan in force could not keep either: nothing new to say
        if rid in original and (a is None or rid in repromised):
            proposal = a or propose(problem.request_by_id[rid])
            what = "re-promised" if a is not None else "cannot be kept"
            out.broken_promises.append(
                Change(rid, f"promised {_window(original[rid])}: {what}", b, a, proposal)
            )
        elif b is not None and a is None:
            out.dropped.append(
                Change(
                    rid,
                    "no room left today",
                    b,
                    None,
                    propose(problem.request_by_id[rid]),
                )
            )
        if b is None or a is None:
            continue
        if b.engineer_id != a.engineer_id:
            out.reassigned.append(Change(rid, f"{b.engineer_id} -> {a.engineer_id}", b, a))
        if b.slot != a.slot and rid not in repromised:
            out.moved.append(Change(rid, f"{_window(b.slot)} -> {_window(a.slot)}", b, a))
        elif a.start - b.start >= LATE_NOTICE:
            out.newly_late.append(Change(rid, f"{b.start:%H:%M} -> {a.start:%H:%M}", b, a))
    for req in rem.facts.new:
        if req.request_id in after:
            out.booked.append(Change(req.request_id, "new request booked", None, after[req.request_id]))
    calls: dict[str, Change] = {}
    for kind in (out.broken_promises, out.dropped, out.moved, out.reassigned, out.newly_late, out.booked):
        for change in kind:
            calls.setdefault(change.request_id, change)
    out.notify.extend(calls[rid] for rid in sorted(calls))
    return out


def _proposals(rem: Remaining, new: Plan, reserve: Reserve | None) -> Callable[[Request], Placement | None]:
    """The earliest slot left today for a request, on the rest of the day's shifts and routes."""
    routes = _still_to_come(rem, new)

    def propose(request: Request) -> Placement | None:
        return earliest_slot(rem.sub, routes, request, rem.now, reserve)

    return propose


def _window(w: TimeWindow) -> str:
    return f"{w.start:%H:%M}-{w.end:%H:%M}"


def earliest_slot(
    problem: Problem, routes: Sequence[Route], request: Request, now: datetime, reserve: Reserve | None = None
) -> Placement | None:
    """The earliest grid slot today where ``request`` fits between two visits of ``routes``
    without moving anyone, starting no drive before ``now``: booking's insertion
    (:func:`dispatch.booking.earliest`) on the planner's reserves, so the proposal is one
    the plan can honour. ``problem`` gives each engineer's shift of the rest of the day
    (where and when they set off again; none for an engineer who is away) and ``routes``
    the visits still to come; ``None`` when no engineer has room."""
    day = now.astimezone(problem.zone).date()
    planned = {r.engineer_id: r for r in routes if r.day == day}
    timelines = []
    for shift in problem.shifts:
        eng = problem.engineer_by_id.get(shift.engineer_id)
        if shift.day != day or eng is None:
            continue
        route = planned.get(shift.engineer_id)
        stops = [] if route is None else route.stops
        visits = [(problem.request_by_id[s.request_id], s.slot) for s in stops]
        gap = None if route is None else gap_of(route)
        timelines.append(timeline(eng, shift, visits, problem.travel, reserve or Reserve(), gap))
    found = earliest(timelines, request, problem.slot_windows(day), problem.travel, epoch(now))
    if found is None:
        return None
    insertion, window = found
    start = datetime.fromtimestamp(insertion.start, problem.zone)
    return Placement(insertion.timeline.engineer.engineer_id, window, start)


def _still_to_come(rem: Remaining, new: Plan) -> list[Route]:
    """The new plan's routes of the day without the visits already made, as the rest of the
    day's problem (:attr:`Remaining.sub`) sees them: a break already taken is left out."""
    frozen = rem.frozen_ids()
    return [
        replace(
            r,
            stops=[s for s in r.stops if s.request_id not in frozen],
            break_window=None if r.engineer_id in rem.breaks else r.break_window,
        )
        for r in new.routes
        if r.day == rem.day
    ]
