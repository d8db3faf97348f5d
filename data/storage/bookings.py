"""Bookings: the plan in force as a board of offers, and a booking written into it atomically.

A booking serialises per branch: it first takes the branch's row for writing (a row lock in
PostgreSQL, the database's write lock in SQLite), then re-reads the plan in force and
re-checks the slot, so any number of coordinators booking at once never store a plan that
breaks a promise. The booked request becomes a promise (``promised_*``, status
``booked``) that every later plan keeps; the plan in force gets a new version with the
visit inserted, and nothing else moves.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data._tables import Defects, Row
from data.plan_io import plan_from_dict, plan_to_dict
from data.storage.intake import request_context
from data.storage.models import AbsenceRow, BranchRow, EngineerRow, RequestRow, ShiftRow
from data.storage.models_ops import BookingRow, CurrentPlanRow, PlanRouteRow, PlanRow
from data.storage.plans import put_in_force
from data.storage.problem import build_problem
from data.storage.scenario import now
from dispatch.booking import Reserve, drop_stop
from dispatch.displace import apply_offer, make_room
from dispatch.errors import InputProblem
from dispatch.model import Location, Problem, Request, TimeWindow
from dispatch.offers import Board, best_for, build_board
from dispatch.plan import Plan, Route
from dispatch.travel import TravelModel
from dispatch.validate import (
    implausible_travel,
    misplaced_break,
    outside_shift_or_out_of_order,
    unfit_engineer,
    unpunctual_or_unbooked_slot,
)

log = logging.getLogger(__name__)

#: The reason of open requests listed in a plan that a booking started on a day without one.
NOT_PLANNED = "not_planned"


class SlotTaken(Exception):
    """The slot can no longer be honoured (someone else booked it, or the plan changed)."""


@dataclass(frozen=True)
class Booked:
    """A stored booking, the engineer in the plan in force, and the plan's new version."""

    row: BookingRow
    engineer_id: str
    code: str
    version: int


def verification_code(secret: str, work_order: str, engineer_id: str) -> str:
    """Six digits the customer checks against the engineer's badge: an HMAC of the work order and
    the engineer, so that it changes when someone else is sent."""
    digest = hmac.new(bytes.fromhex(secret), f"{work_order}|{engineer_id}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def lock_branches(session: Session, branches: Collection[str]) -> None:
    """Take the branches for writing until the transaction ends, in order so that locks never
    cross (bookings, plan installs, edits and re-plans serialise on them)."""
    for branch_id in sorted(set(branches)):
        session.execute(update(BranchRow).where(BranchRow.branch_id == branch_id).values(name=BranchRow.name))


#: The plan in force per (day, branch) that a change was drawn from (absent: none was).
Seen = dict[tuple[date, str], int]


def in_force_ids(session: Session, days: Collection[date], branches: Collection[str]) -> Seen:
    """The ids of the plans in force on ``days`` for ``branches``, read afresh."""
    query = select(CurrentPlanRow).where(
        CurrentPlanRow.date.in_(list(days)), CurrentPlanRow.branch_id.in_(list(branches))
    )
    rows = session.scalars(query.execution_options(populate_existing=True))
    return {(c.date, c.branch_id): c.plan_id for c in rows}


def hold_in_force(
    session: Session, days: Collection[date], branches: Collection[str], seen: Seen
) -> str | None:
    """Take ``branches`` for writing (in order) and say what changed since ``seen`` was read.

    A plan edit or re-plan drawn from ``seen`` may only be stored when the plans in force are
    still those: a booking made meanwhile would otherwise be overwritten. Once this returns
    ``None``, no booking can slip in before the transaction ends.
    """
    lock_branches(session, branches)
    now_in_force = in_force_ids(session, days, branches)
    for key in sorted(set(seen) | set(now_in_force)):
        if seen.get(key) != now_in_force.get(key):
            day, branch_id = key
            return f"the plan in force for {branch_id} on {day} changed meanwhile (a booking or another edit); reload it"
    return None


def board_key(session: Session, branch_id: str, days: Sequence[date]) -> tuple[Any, ...]:
    """What a cached board depends on: the plans in force, and the newest change of work and shifts."""
    plans = session.execute(
        select(CurrentPlanRow.date, CurrentPlanRow.plan_id).where(
            CurrentPlanRow.branch_id == branch_id, CurrentPlanRow.date.in_(list(days))
        )
    ).all()
    work = session.execute(
        select(func.count(), func.max(RequestRow.updated_at)).where(RequestRow.branch_id == branch_id)
    ).one()
    shifts = session.scalar(select(func.count()).select_from(ShiftRow).where(ShiftRow.date.in_(list(days))))
    absent = session.scalar(
        select(func.count()).select_from(AbsenceRow).where(AbsenceRow.date.in_(list(days)))
    )
    return (branch_id, tuple(days), tuple(sorted(plans)), tuple(work), shifts, absent)


def routes_in_force(session: Session, branch_id: str, days: Collection[date], zone: ZoneInfo) -> list[Route]:
    """The routes of the plans in force for the branch on ``days`` (every engineer's in them)."""
    rows = session.execute(
        select(PlanRouteRow.route)
        .join(
            CurrentPlanRow,
            (CurrentPlanRow.plan_id == PlanRouteRow.plan_id) & (CurrentPlanRow.date == PlanRouteRow.date),
        )
        .where(CurrentPlanRow.branch_id == branch_id, CurrentPlanRow.date.in_(list(days)))
    ).all()
    if not rows:
        return []
    return list(plan_from_dict({"routes": [r for (r,) in rows]}, zone).routes)


def covered_branches(session: Session, branch_id: str, days: Collection[date]) -> list[str]:
    """The branch and every branch its plans in force on ``days`` cover, sorted.

    A route of those plans may hold work of any of them: a booking reads and locks them all.
    """
    covered = session.scalars(
        select(PlanRow.branches)
        .join(CurrentPlanRow, CurrentPlanRow.plan_id == PlanRow.id)
        .where(CurrentPlanRow.branch_id == branch_id, CurrentPlanRow.date.in_(list(days)))
    )
    return sorted({branch_id, *(b for branches in covered for b in branches)})


def load_board(
    session: Session,
    branch_id: str,
    days: Sequence[date],
    zone: ZoneInfo,
    travel: TravelModel,
    reserve: Reserve,
) -> Board:
    """The branch's board over ``days`` from the stored plans in force (empty days where none).

    Its engineers are the branch's; its work is that of every branch those plans cover, since
    a route may serve work nearer another branch, and a visit left out of the board would
    show room that a booking then cannot take.
    """
    problem = build_problem(session, days, covered_branches(session, branch_id, days), zone, travel).problem
    mine = {e.engineer_id for e in problem.engineers if e.branch_id == branch_id}
    problem = replace(
        problem,
        engineers=[e for e in problem.engineers if e.engineer_id in mine],
        shifts=[s for s in problem.shifts if s.engineer_id in mine],
    )
    routes = [r for r in routes_in_force(session, branch_id, days, zone) if r.engineer_id in mine]
    return build_board(problem, routes, reserve)


def caller_request(
    session: Session, cells: dict[str, str], zone: ZoneInfo
) -> tuple[Request | None, list[InputProblem]]:
    """The caller's request as the domain sees it, or every defect of its fields."""
    defects = Defects()
    request = request_context(session, zone).request(Row("request", 1, dict(cells), defects))
    return (None, defects.problems) if defects.problems else (request, [])


def radius_of(session: Session, branch_id: str) -> float | None:
    """The branch's service radius, if it sets one."""
    return session.scalar(select(BranchRow.service_radius_km).where(BranchRow.branch_id == branch_id))


def _places(session: Session, ids: Collection[str]) -> dict[str, Location]:
    rows = session.execute(
        select(RequestRow.request_id, RequestRow.lat, RequestRow.lon).where(
            RequestRow.request_id.in_(list(ids))
        )
    )
    return {rid: Location(lat, lon) for rid, lat, lon in rows if lat is not None and lon is not None}


def _home(session: Session, engineer_id: str) -> Location:
    """Where an engineer of another branch starts the day (their start, else their branch)."""
    row = session.execute(
        select(EngineerRow.start_lat, EngineerRow.start_lon, BranchRow.lat, BranchRow.lon)
        .join(BranchRow, BranchRow.branch_id == EngineerRow.branch_id)
        .where(EngineerRow.engineer_id == engineer_id)
    ).one()
    return Location(row[0], row[1]) if row[0] is not None and row[1] is not None else Location(row[2], row[3])


def _without(
    session: Session, doc: dict[str, Any], request_id: str, problem: Problem, zone: ZoneInfo
) -> tuple[dict[str, Any], bool]:
    """The document with the request off every route (times kept), and whether it was on one.

    Only the routes holding it are read; the document itself is left as it is."""
    routes = list(doc.get("routes", []))
    hit = [
        i for i, r in enumerate(routes) if any(s.get("request_id") == request_id for s in r.get("stops", []))
    ]
    if not hit:
        return doc, False
    parsed = plan_from_dict({"routes": [routes[i] for i in hit]}, zone).routes
    places = _places(session, {s.request_id for r in parsed for s in r.stops})
    homes = problem.engineer_by_id
    for i, route in zip(hit, parsed, strict=True):
        home = (
            homes[route.engineer_id].home if route.engineer_id in homes else _home(session, route.engineer_id)
        )
        shorter = drop_stop(route, request_id, places, home, problem.travel)
        routes[i] = plan_to_dict(Plan([shorter.day], [shorter], []), zone)["routes"][0]
    return {**doc, "routes": routes}, True


def _install(
    session: Session, doc: dict[str, Any], replaced: PlanRow | None, day: date, branch_id: str
) -> PlanRow:
    """Store ``doc`` as a new plan, in force wherever ``replaced`` was (or on the day and branch)."""
    if replaced is None:
        return put_in_force(session, doc, [day], [branch_id], [(day, branch_id)], [], 1)
    pairs = list(session.scalars(select(CurrentPlanRow).where(CurrentPlanRow.plan_id == replaced.id)))
    dates = [date.fromisoformat(d) for d in replaced.dates]
    version = 1 + max(c.version for c in pairs)
    keys = [(c.date, c.branch_id) for c in pairs]
    return put_in_force(session, doc, dates, list(replaced.branches), keys, pairs, version)


def _other_days(
    session: Session,
    request_id: str,
    branch_id: str,
    keep: int,
    problem: Problem,
    zone: ZoneInfo,
    since: date,
) -> None:
    """Take the request off the plans in force on other days from ``since``; they list it as promised another day."""
    ids = set(
        session.scalars(
            select(CurrentPlanRow.plan_id).where(
                CurrentPlanRow.branch_id == branch_id,
                CurrentPlanRow.plan_id != keep,
                CurrentPlanRow.date >= since,
            )
        )
    )
    for plan in session.scalars(select(PlanRow).where(PlanRow.id.in_(ids))):
        doc, hit = _without(session, plan.document, request_id, problem, zone)
        if not hit:
            continue
        doc["unassigned"] = [u for u in doc.get("unassigned", []) if u.get("request_id") != request_id]
        doc["unassigned"].append(
            {
                "request_id": request_id,
                "reason": "promised_other_day",
                "detail": "booked for a day outside this plan",
            }
        )
        first = min(date.fromisoformat(d) for d in plan.dates)
        _install(session, doc, plan, first, branch_id)


def _fresh_document(
    problem: Problem, unplaced: Sequence[Any], request_id: str, day: date, zone: ZoneInfo
) -> dict[str, Any]:
    """A plan of one day with no plan yet: the open work is listed for the next plan run."""
    detail = f"no plan for {day} yet; the next plan run places it"
    rest = [
        {"request_id": r.request_id, "reason": NOT_PLANNED, "detail": detail}
        for r in problem.requests
        if r.request_id != request_id
    ]
    rest += [{"request_id": u.request_id, "reason": u.reason, "detail": u.detail} for u in unplaced]
    return {"dates": [day.isoformat()], "routes": [], "unassigned": rest, "kpis": {}}


def book(
    session: Session,
    row: RequestRow,
    day: date,
    window: TimeWindow,
    zone: ZoneInfo,
    travel: TravelModel,
    reserve: Reserve,
    at: datetime | None = None,
) -> Booked:
    """Book ``row`` on ``day`` in ``window``: lock the branch, re-check the slot against the plan in
    force, store the plan with the visit inserted and the promise; :class:`SlotTaken` when it no
    longer fits (nothing is written then: the caller rolls back)."""
    assert row.branch_id is not None
    branch_id = row.branch_id
    scope = _lock_scope(session, day, branch_id)
    session.refresh(row)
    local = (window.start.astimezone(zone).time(), window.end.astimezone(zone).time())
    row.promised_date, row.promised_start, row.promised_end = day, local[0], local[1]
    row.status = "booked"
    row.updated_at = now()
    session.flush()
    replaced = _in_force(session, day, branch_id)
    if replaced is not None and not set(replaced.branches) <= set(scope):
        raise SlotTaken("the plan in force changed meanwhile; offer again")
    scoped = build_problem(session, [day], scope, zone, travel)
    problem = scoped.problem
    request = problem.request_by_id.get(row.request_id)
    if request is None:
        raise SlotTaken(f"request {row.request_id} cannot be planned (no location)")
    doc = (
        _fresh_document(problem, scoped.unplaced, row.request_id, day, zone)
        if replaced is None
        else dict(replaced.document)
    )
    doc, _ = _without(session, doc, row.request_id, problem, zone)
    mine = set(problem.engineer_by_id)
    day_routes = [r for r in plan_from_dict(doc, zone).routes if r.day == day and r.engineer_id in mine]
    board = build_board(problem, day_routes, reserve)
    offer = best_for(board, request, day, window, at) or make_room(board, request, day, window, at)
    if offer is None:
        raise SlotTaken(f"no engineer can honour {window.start:%H:%M}-{window.end:%H:%M} on {day} any more")
    changed = [tl.route(zone) for tl in apply_offer(offer, request, window, travel)]
    route = next(r for r in changed if any(s.request_id == row.request_id for s in r.stops))
    for each in changed:
        _check(problem, each)
        doc = _put_route(doc, each, row.request_id, zone)
    installed = _install(session, doc, replaced, day, branch_id)
    today = (at or now()).astimezone(zone).date()
    _other_days(session, row.request_id, branch_id, installed.id, problem, zone, min(day, today))
    booking = _record(session, row, branch_id, day, window, route.engineer_id)
    code = verification_code(booking.secret, booking.work_order, route.engineer_id)
    return Booked(booking, route.engineer_id, code, installed.version)


def _in_force(session: Session, day: date, branch_id: str) -> PlanRow | None:
    """The plan in force for the day and branch, read afresh."""
    query = select(CurrentPlanRow).where(CurrentPlanRow.date == day, CurrentPlanRow.branch_id == branch_id)
    current = session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    return None if current is None else session.get(PlanRow, current.plan_id)


def _lock_scope(session: Session, day: date, branch_id: str) -> list[str]:
    """Lock the branch and every branch its plan in force covers (in order, so locks never cross):
    that plan's routes may hold any of their work, which must stay on them."""
    scope = covered_branches(session, branch_id, [day])
    lock_branches(session, scope)
    return scope


def _check(problem: Problem, route: Route) -> None:
    """The new route against the validator's rules; a broken one is never stored."""
    plan = Plan([route.day], [route], [])
    rules = (
        unfit_engineer,
        outside_shift_or_out_of_order,
        unpunctual_or_unbooked_slot,
        misplaced_break,
        implausible_travel,
    )
    found = [v for rule in rules for v in rule(problem, plan)]
    if found:
        log.error("booking refused: the new route breaks %s", "; ".join(map(str, found)))
        raise SlotTaken("the slot would break the engineer's day: " + str(found[0]))


def _put_route(doc: dict[str, Any], route: Route, request_id: str, zone: ZoneInfo) -> dict[str, Any]:
    new = plan_to_dict(Plan([route.day], [route], []), zone)["routes"][0]
    routes = [
        r for r in doc.get("routes", []) if (r["engineer_id"], r["date"]) != (new["engineer_id"], new["date"])
    ]
    out = dict(doc)
    out["routes"] = [*routes, new]
    out["unassigned"] = [u for u in doc.get("unassigned", []) if u.get("request_id") != request_id]
    if route.day.isoformat() not in out.get("dates", []):
        out["dates"] = sorted([*out.get("dates", []), route.day.isoformat()])
    return out


def _record(
    session: Session, row: RequestRow, branch_id: str, day: date, window: TimeWindow, engineer_id: str
) -> BookingRow:
    booking = session.get(BookingRow, row.request_id)
    if booking is None:
        booking = BookingRow(
            request_id=row.request_id,
            work_order=f"WO-{day:%y%m%d}-{uuid.uuid4().hex[:8].upper()}",
            secret=secrets.token_hex(32),
            created_at=now(),
        )
        session.add(booking)
    booking.branch_id, booking.date, booking.engineer_id = branch_id, day, engineer_id
    booking.slot_start, booking.slot_end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    booking.created_at = now()
    session.flush()
    return booking


def engineer_in_force(session: Session, booking: BookingRow, zone: ZoneInfo) -> str | None:
    """Who the plan in force sends to a booking now (``None`` when nobody is)."""
    for route in routes_in_force(session, booking.branch_id, [booking.date], zone):
        if any(s.request_id == booking.request_id for s in route.stops):
            return route.engineer_id
    return None


def broken_bookings(
    session: Session,
    document: dict[str, Any],
    dates: Sequence[date],
    branches: Sequence[str],
    since: datetime | None,
) -> list[str]:
    """Bookings made since ``since`` on these days and branches that ``document`` does not keep.

    Takes the branches for writing first, so that no booking slips in before the plan is stored.
    """
    lock_branches(session, branches)
    query = select(BookingRow).where(
        BookingRow.date.in_(list(dates)), BookingRow.branch_id.in_(list(branches))
    )
    kept = {
        (s["request_id"], r["date"], s["slot_start"])
        for r in document.get("routes", [])
        for s in r.get("stops", [])
    }
    broken = []
    for booking in session.scalars(query):
        if since is not None and _aware(booking.created_at) < _aware(since):
            continue
        start = _aware(booking.slot_start)
        if not any(
            rid == booking.request_id
            and day == booking.date.isoformat()
            and datetime.fromisoformat(at) == start
            for rid, day, at in kept
        ):
            broken.append(booking.request_id)
    return sorted(broken)


def _aware(moment: datetime) -> datetime:
    """A stored moment with its zone (SQLite hands them back as naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
