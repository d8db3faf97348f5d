"""Making room: an offer that moves one planned but unbooked visit, never dropping it.

Unbooked work is not a promise, so when a (day, slot) has no room, or an emergency would
be served sooner, one unbooked visit of a nearby engineer's day may be moved: taken off
that day, the caller inserted in its place, and the moved visit re-inserted the same day,
into another engineer's day or the same one, in any slot of the grid it may have. Only when
it lands somewhere is the offer made; booked visits are never moved. A budget bounds the
trials so that offers stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from dispatch.booking import Insertion, Timeline, legs_between, with_visit, without
from dispatch.model import Priority, Request, TimeWindow
from dispatch.offers import Board, Offer, Offers, grade, make_offers, under_way
from dispatch.rules import is_eligible
from dispatch.travel import TravelModel

#: Engineers (nearest first) and their unbooked visits tried per slot, and trials per offer.
NEAREST, PER_DAY, BUDGET = 3, 3, 24

#: Points off an offer that moves someone else's visit.
MOVE_PENALTY = 10.0


@dataclass(frozen=True)
class Room:
    """How room is made: the caller's day without the moved visit, and where the moved visit goes."""

    host: Timeline
    moved: Request
    target: Insertion
    window: TimeWindow


def offers_with_room(
    board: Board, request: Request, days: Sequence[date], now: datetime | None = None
) -> Offers:
    """:func:`~dispatch.offers.make_offers`, plus offers that move one unbooked visit for the slots
    without room (and, for an emergency, any of today's slots it would reach sooner)."""
    plain = make_offers(board, request, days, now)
    have = {(o.day, o.window): o for o in plain.offers}
    budget = [BUDGET]
    found = list(plain.offers)
    urgent = request.priority is Priority.EMERGENCY
    for day in days:
        for window in board.problem.slot_windows(day):
            if now is not None and now >= window.end:
                continue
            if (day, window) in have and not urgent:
                continue
            moved = make_room(board, request, day, window, now, budget)
            old = have.get((day, window))
            if moved is not None and (old is None or (urgent and moved.start < old.start)):
                found = [o for o in found if o is not old] + [moved]
    if len(found) == len(plain.offers) and all(a is b for a, b in zip(found, plain.offers, strict=False)):
        return plain
    if urgent:
        found.sort(key=lambda o: (o.start, -o.score))
    else:
        found.sort(key=lambda o: (-o.score, o.day, o.window.start))
    return Offers(found)


def make_room(
    board: Board,
    request: Request,
    day: date,
    window: TimeWindow,
    now: datetime | None = None,
    budget: list[int] | None = None,
) -> Offer | None:
    """An offer for (day, window) that moves one unbooked visit of a nearby engineer, or ``None``."""
    budget = budget if budget is not None else [BUDGET]
    travel = board.problem.travel
    eligible = [tl for tl in board.days.get(day, []) if tl.ok and is_eligible(tl.engineer, request)]
    if not eligible:
        return None
    home = legs_between(travel, request.location, [tl.engineer.home for tl in eligible])
    order = sorted(range(len(eligible)), key=lambda k: home.out_s[k])
    for tl in [eligible[k] for k in order[:NEAREST]]:
        started = under_way(tl, now)[0]
        for moved in [r for r in tl.requests[started:] if r.promised is None][:PER_DAY]:
            if budget[0] <= 0:
                return None
            budget[0] -= 1
            offer = _try_room(board, tl, moved, request, day, window, now)
            if offer is not None:
                return offer
    return None


def _try_room(
    board: Board,
    tl: Timeline,
    moved: Request,
    request: Request,
    day: date,
    window: TimeWindow,
    now: datetime | None,
) -> Offer | None:
    travel = board.problem.travel
    host = without(tl, moved.request_id, travel)
    legs = legs_between(travel, request.location, host.points)
    spots = list(host.insertions(request, window, legs, 0, *under_way(host, now)))
    if not spots:
        return None
    best = max(spots, key=lambda i: grade(i, request, day, window, board.problem).score)
    after = with_visit(best, request, window, travel)
    target = _land(board, moved, day, tl, after, now)
    if target is None:
        return None
    offer = grade(best, request, day, window, board.problem)
    why = {**offer.why, "moves": {"request_id": moved.request_id, "to_engineer_id": target[0].timeline.engineer.engineer_id,
                                  "to_slot_start": target[1].start.isoformat()}}  # fmt: skip
    score = round(max(0.0, offer.score - MOVE_PENALTY), 1)
    why["score"] = score
    return replace(offer, score=score, why=why, room=Room(host, moved, target[0], target[1]))


def _land(
    board: Board, moved: Request, day: date, left: Timeline, after: Timeline, now: datetime | None
) -> tuple[Insertion, TimeWindow] | None:
    """Where the moved visit fits the same day: another engineer's day, or the host's with the caller."""
    travel = board.problem.travel
    others = [tl for tl in board.days.get(day, []) if tl is not left and is_eligible(tl.engineer, moved)]
    for tl in [after, *others]:
        legs = legs_between(travel, moved.location, tl.points)
        for window in board.problem.slot_windows(day):
            if now is not None and now >= window.end:
                continue
            spot = next(tl.insertions(moved, window, legs, 0, *under_way(tl, now)), None)
            if spot is not None:
                return spot, window
    return None


def apply_offer(offer: Offer, request: Request, window: TimeWindow, travel: TravelModel) -> list[Timeline]:
    """The days an offer changes once booked: the caller's, and the moved visit's when it moved."""
    after = with_visit(offer.insertion, request, window, travel)
    room = offer.room
    if room is None:
        return [after]
    moved = with_visit(room.target, room.moved, room.window, travel)
    if room.target.timeline.engineer.engineer_id == after.engineer.engineer_id:
        return [moved]  # the target is the caller's day with the caller in it (see _land)
    return [after, moved]
