"""Where a request could be served at all, or why it cannot: before any search runs.

A request passes when some engineer with its skills works on an allowed day in a shift
that overlaps one of its windows; otherwise it is unassigned with a reason and a detail.
Reachability and capacity depend on travel and on other work: the solver judges those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dispatch.model import Engineer, Problem, Request, Shift, TimeWindow
from dispatch.plan import Reason, Unassigned
from dispatch.rules import allowed_days, candidate_windows, is_eligible, missing_skills


@dataclass(frozen=True, slots=True)
class Candidate:
    """An engineer's shift and the request's windows that overlap it on that day."""

    engineer: Engineer
    shift: Shift
    windows: tuple[TimeWindow, ...]


def _fits(shift: Shift, window: TimeWindow, request: Request) -> bool:
    latest_start = min(window.end, shift.end - request.duration)
    return max(window.start, shift.start) <= latest_start


def _days(days: list[date]) -> str:
    return ", ".join(str(d) for d in days)


def _skills(request: Request) -> str:
    return ";".join(sorted(request.required_skills)) or "no skill"


def candidates(problem: Problem, request: Request) -> list[Candidate] | Unassigned:
    """The shifts that could host the request, or the reason none can."""
    rid = request.request_id
    days = allowed_days(request, problem)
    if not days:
        return _outside(problem, request)
    eligible = [e for e in problem.engineers if is_eligible(e, request)]
    if not eligible:
        lacking = ";".join(sorted(missing_skills(problem.engineers, request)))
        return Unassigned(
            rid,
            Reason.NO_ELIGIBLE_ENGINEER.value,
            f"needs {_skills(request)}; no engineer has {lacking or 'those skills'}",
        )
    windows = candidate_windows(request, problem)
    found: list[Candidate] = []
    on_shift = 0
    for eng in eligible:
        for day in days:
            shift = problem.shift_by_key.get((eng.engineer_id, day))
            if shift is None:
                continue
            on_shift += 1
            fitting = tuple(w for d, w in windows if d == day and _fits(shift, w, request))
            if fitting:
                found.append(Candidate(eng, shift, fitting))
    if found:
        return found
    if on_shift == 0:
        detail = f"{len(eligible)} engineers have {_skills(request)} but none works on {_days(days)}"
    else:
        detail = (
            f"no shift of the {len(eligible)} engineers with {_skills(request)} on {_days(days)} "
            f"leaves {request.duration.total_seconds() / 60:.0f} min inside "
            + ("the promised slot" if request.promised else "a slot of the grid")
        )
    return Unassigned(rid, Reason.NO_ENGINEER_ON_SHIFT.value, detail)


def _outside(problem: Problem, request: Request) -> Unassigned:
    planned = _days(list(problem.dates))
    if request.promised is not None:
        return Unassigned(
            request.request_id,
            Reason.PROMISED_OTHER_DAY.value,
            f"promised for {request.promised.day}; this plan covers {planned}",
        )
    first = problem.dates[0]
    earliest = request.earliest_date or first
    latest = request.latest_date or earliest
    return Unassigned(
        request.request_id,
        Reason.OUTSIDE_HORIZON.value,
        f"may be served {earliest}..{latest}; this plan covers {planned}",
    )
