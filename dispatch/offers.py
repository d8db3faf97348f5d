"""Graded slot offers for one caller, and why there are none.

A :class:`Board` holds the timelines of one branch's engineers over the offered days, laid
out once per plan version (:mod:`dispatch.booking`). An offer is the best feasible
insertion into a (day, slot) across the engineers; its grade combines the extra travel,
the slack left before the slot closes (the on-time risk), the preferred engineer and the
engineer's load that day, and ``why`` shows each part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dispatch.booking import Insertion, Legs, Reserve, Timeline, gap_of, legs_between, timeline, without
from dispatch.geo import straight_km
from dispatch.model import Branch, Location, Priority, Problem, Request, Shift, TimeWindow
from dispatch.plan import Route
from dispatch.rules import is_eligible, missing_skills

if TYPE_CHECKING:
    from dispatch.displace import Room

#: Service radius of a branch that sets none, in straight-line km; beyond it a surcharge applies.
DEFAULT_SERVICE_RADIUS_KM = 25.0

#: Grade letters by score (0..100): at least 80 is A, at least 60 B, else C.
GRADES = ((80.0, "A"), (60.0, "B"), (0.0, "C"))


@dataclass(frozen=True)
class Offer:
    """One slot the plan can honour, with its engineer, grade and the reasons for the grade;
    ``room`` says which unbooked visit it moves, if any (see :mod:`dispatch.displace`)."""

    day: date
    window: TimeWindow
    engineer_id: str
    grade: str
    score: float
    why: dict[str, Any]
    start: datetime
    insertion: Insertion
    room: Room | None = None


@dataclass(frozen=True)
class Offers:
    """The offers, best first; ``reason`` (and its ``code``) says why there are none."""

    offers: list[Offer]
    reason: str | None = None
    code: str | None = None


@dataclass
class Board:
    """The timelines of a branch's engineers on shift, per day, and their points in one list."""

    problem: Problem
    reserve: Reserve
    days: dict[date, list[Timeline]]
    points: list[Location]
    offsets: dict[tuple[str, date], int]

    def put(self, new: Timeline) -> None:
        """Replace the engineer's timeline of that day by ``new`` (after a booking)."""
        day = new.shift.day
        key = new.engineer.engineer_id
        self.days[day] = [new if tl.engineer.engineer_id == key else tl for tl in self.days[day]]
        self.points, self.offsets = [], {}
        for d in sorted(self.days):
            for tl in self.days[d]:
                self.offsets[(tl.engineer.engineer_id, d)] = len(self.points)
                self.points += tl.points

    def routes(self) -> list[Route]:
        """Every day's routes with at least one visit, on expected times."""
        zone = self.problem.zone
        return [tl.route(zone) for d in sorted(self.days) for tl in self.days[d] if tl.requests]


def build_board(problem: Problem, routes: Iterable[Route], reserve: Reserve | None = None) -> Board:
    """Lay out every shift of the problem's dates with its planned route (an empty day when none)."""
    reserve = reserve or Reserve()
    planned = {(r.engineer_id, r.day): r for r in routes}
    days: dict[date, list[Timeline]] = {d: [] for d in problem.dates}
    points: list[Location] = []
    offsets: dict[tuple[str, date], int] = {}
    for shift in sorted(problem.shifts, key=lambda s: (s.day, s.engineer_id)):
        eng = problem.engineer_by_id.get(shift.engineer_id)
        if eng is None or shift.day not in days:
            continue
        route = planned.get((eng.engineer_id, shift.day))
        visits = [] if route is None else [
            (problem.request_by_id[s.request_id], s.slot) for s in route.stops if s.request_id in problem.request_by_id
        ]  # fmt: skip
        tl = timeline(eng, shift, visits, problem.travel, reserve, None if route is None else gap_of(route))
        days[shift.day].append(tl)
        offsets[(eng.engineer_id, shift.day)] = len(points)
        points += tl.points
    return Board(problem, reserve, days, points, offsets)


def offer_days(request: Request, first: date, days: int, horizon: Sequence[date]) -> list[date]:
    """The days to offer: from ``first`` for ``days`` days, inside the request's own window."""
    lo = max(first, request.earliest_date or first)
    hi = request.latest_date or date.max
    chosen = [d for d in horizon if lo <= d <= hi and (d - first).days < days]
    return chosen[:1] if request.priority is Priority.EMERGENCY else chosen


def make_offers(board: Board, request: Request, days: Sequence[date], now: datetime | None = None) -> Offers:
    """The best insertion into each (day, slot) of ``days``, graded, best first; a reason when none.

    On the day of ``now`` only gaps the engineer has not yet passed are used, and no drive
    to the caller starts before ``now``. Emergencies get the earliest start first.
    """
    legs = legs_between(board.problem.travel, request.location, board.points).reserved(board.reserve)
    found: list[Offer] = []
    for day in days:
        windows = board.problem.slot_windows(day)
        eligible = [tl for tl in board.days.get(day, []) if is_eligible(tl.engineer, request)]
        for window in windows:
            best = _best(board, request, day, window, eligible, legs, now)
            if best is not None:
                found.append(best)
    if request.priority is Priority.EMERGENCY:
        found.sort(key=lambda o: (o.start, -o.score))
    else:
        found.sort(key=lambda o: (-o.score, o.day, o.window.start))
    if found:
        return Offers(found)
    code, reason = explain_none(board, request, days, now)
    return Offers([], reason, code)


def _best(
    board: Board,
    request: Request,
    day: date,
    window: TimeWindow,
    eligible: list[Timeline],
    legs: Legs,
    now: datetime | None,
) -> Offer | None:
    if now is not None and now >= window.end:
        return None
    best: Insertion | None = None
    top = -1.0
    for tl in eligible:
        frozen, not_before = under_way(tl, now)
        offset = board.offsets[(tl.engineer.engineer_id, day)]
        for ins in tl.insertions(request, window, legs, offset, frozen, not_before):
            score = _score(ins, request)[0]
            if score > top:
                best, top = ins, score
    return None if best is None else grade(best, request, day, window, board.problem)


def under_way(tl: Timeline, now: datetime | None) -> tuple[int, int]:
    """How many stops of the day are already under way at ``now`` (or past), and ``now`` in seconds."""
    if now is None:
        return 0, 0
    moment = int(now.timestamp())
    if tl.shift.day != now.astimezone(tl.shift.start.tzinfo).date():
        return 0, 0
    started = sum(1 for i in range(len(tl.requests)) if tl.fwd[i] - tl.service[i] <= moment) if tl.ok else 0
    return started, moment


def _score(ins: Insertion, request: Request) -> tuple[float, float, float, bool | None]:
    """The grade's score and its parts: extra minutes, the day's load share, the preferred engineer."""
    tl = ins.timeline
    extra_min = max(0.0, ins.extra_s / 60)
    slack_min = min(ins.slack_s, ins.downstream_s) / 60
    load = tl.load_s() / max(60.0, tl.end - tl.start)
    wanted = request.preferred_engineer_id
    preferred = None if wanted is None else wanted == tl.engineer.engineer_id
    score = 100 - min(40.0, extra_min) - 0.5 * max(0.0, 30 - slack_min) - 20 * min(1.0, load)
    score -= 10 if preferred is False else 0
    return round(max(0.0, score), 1), extra_min, load, preferred


def grade(ins: Insertion, request: Request, day: date, window: TimeWindow, problem: Problem) -> Offer:
    """The offer of an insertion: 100 points less the detour (a point a minute, at most 40), the
    missing slack under 30 minutes (half a point a minute), the day's load (up to 20 points), and
    10 points off when the caller's preferred engineer is someone else."""
    tl = ins.timeline
    score, extra_min, load, preferred = _score(ins, request)
    letter = next(g for floor, g in GRADES if score >= floor)
    why = {
        "score": score,
        "extra_travel_min": round(extra_min, 1),
        "extra_km": round(max(0, ins.extra_m) / 1000, 2),
        "slack_min": round(ins.slack_s / 60, 1),
        "day_slack_min": round(ins.downstream_s / 60, 1),
        "preferred_engineer": preferred,
        "load_share": round(load, 2),
        "visits_that_day": len(tl.requests),
    }
    start = datetime.fromtimestamp(ins.start, problem.zone)
    return Offer(day, window, tl.engineer.engineer_id, letter, score, why, start, ins)


def explain_none(
    board: Board, request: Request, days: Sequence[date], now: datetime | None
) -> tuple[str, str]:
    """Why nothing can be offered, in terms a coordinator can act on: a code and a sentence."""
    problem = board.problem
    skills = ", ".join(sorted(request.required_skills)) or "no particular skill"
    if not days:
        return (
            "outside_horizon",
            "no day to offer: the request's earliest and latest dates lie outside the days asked for",
        )
    span = (
        f"{days[0]:%a} {days[0]} to {days[-1]:%a} {days[-1]}" if len(days) > 1 else f"{days[0]:%a} {days[0]}"
    )
    qualified = [e for e in problem.engineers if is_eligible(e, request)]
    if not qualified:
        lacking = ", ".join(sorted(missing_skills(problem.engineers, request)))
        return "no_eligible_engineer", f"no engineer of the branch has {lacking} (needed: {skills})"
    shifts = [tl for d in days for tl in board.days.get(d, []) if is_eligible(tl.engineer, request)]
    if not shifts:
        return "no_engineer_on_shift", f"no engineer with {skills} works from {span}"
    if not any(_reachable(board, tl.shift, request) for tl in shifts):
        return (
            "out_of_reach",
            f"none of the {len(qualified)} engineers with {skills} on shift from {span} can reach the "
            "address in a slot and be home by the shift's end",
        )
    return (
        "no_capacity",
        f"every slot of the {len({tl.engineer.engineer_id for tl in shifts})} engineers with {skills} is "
        f"full from {span}; offer later days or ask the planner to re-plan",
    )


def _reachable(board: Board, shift: Shift, request: Request) -> bool:
    """Whether an empty day of this shift could take the visit in some slot."""
    eng = board.problem.engineer_by_id[shift.engineer_id]
    empty = timeline(eng, shift, [], board.problem.travel, board.reserve)
    legs = legs_between(board.problem.travel, request.location, empty.points)
    return any(
        next(empty.insertions(request, w, legs, 0), None) is not None
        for w in board.problem.slot_windows(shift.day)
    )


def remoteness(
    branch: Branch, where: Location, radius_km: float | None = None, planar: bool = False
) -> dict[str, Any]:
    """The remote-area surcharge flag and the straight-line distance from the branch.

    The radius is ``radius_km`` when given (the stored branch's newest), else the branch's
    own, else :data:`DEFAULT_SERVICE_RADIUS_KM`.
    """
    km = straight_km(branch.location, where, planar)
    radius = next(
        (r for r in (radius_km, branch.service_radius_km) if r is not None), DEFAULT_SERVICE_RADIUS_KM
    )
    return {"remote_surcharge": km > radius, "distance_km": round(km, 2), "service_radius_km": radius}


def by_engineer(board: Board, day: date) -> Mapping[str, Timeline]:
    """The day's timelines keyed by engineer id."""
    return {tl.engineer.engineer_id: tl for tl in board.days.get(day, [])}


def best_for(
    board: Board, request: Request, day: date, window: TimeWindow, now: datetime | None = None
) -> Offer | None:
    """The best offer for one (day, slot), or ``None`` when no engineer can honour it."""
    if window not in board.problem.slot_windows(day):
        return None
    legs = legs_between(board.problem.travel, request.location, board.points).reserved(board.reserve)
    eligible = [tl for tl in board.days.get(day, []) if is_eligible(tl.engineer, request)]
    return _best(board, request, day, window, eligible, legs, now)


def leave_out(board: Board, request_id: str) -> Board:
    """The board without one request's visit (to offer again a request already planned); the
    board itself is left as it is."""
    hit = [
        tl
        for tls in board.days.values()
        for tl in tls
        if any(r.request_id == request_id for r in tl.requests)
    ]
    if not hit:
        return board
    out = Board(board.problem, board.reserve, {d: list(tls) for d, tls in board.days.items()}, [], {})
    for tl in hit:
        out.put(without(tl, request_id, board.problem.travel))
    return out
