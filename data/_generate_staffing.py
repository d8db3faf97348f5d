"""Cross-training: top up engineers' skills to the work a generated scenario asks for.

A dispatcher whose branch keeps getting jobs nobody on shift can do sends someone on a
course. The generator does the same after drawing the requests, so that every skill set
asked for is on shift every day and no skill is so scarce that its work cannot fit.
"""

from __future__ import annotations

import numpy as np

from data._generate_people import GenEngineer, GenShift, working
from data._generate_requests import GenRequest

#: Hours of one skill's daily work that each engineer on shift with it can take on.
HOURS_PER_SKILLED = 5.5


def ensure_coverage(
    rng: np.random.Generator,
    engineers: list[GenEngineer],
    shifts: list[GenShift],
    requests: list[GenRequest],
    days: int,
) -> None:
    """Teach skills so that every skill set asked for has an engineer on shift each day.

    The skills go to a working engineer who already has most of them. Requests unservable
    by design are left out.
    """
    needs = sorted({r.required for r in requests if not r.infeasible}, key=sorted)
    for d in range(days):
        crew = [e for e, _ in working(engineers, shifts, d)]
        for need in needs:
            if crew and not any(need <= e.skills for e in crew):
                _closest(rng, crew, need).skills |= need


def balance_skills(
    rng: np.random.Generator,
    engineers: list[GenEngineer],
    shifts: list[GenShift],
    requests: list[GenRequest],
    days: int,
) -> None:
    """Teach skills until no skill asks more than :data:`HOURS_PER_SKILLED` of its holders.

    A day's share of each skill's work (all requests spread over the days) is divided
    among those on shift who have it. A new holder is one who has most of the skills the
    same jobs need besides (a gas certificate goes to a water-heater or stove fitter).
    """
    hours: dict[str, float] = {}
    partners: dict[str, frozenset[str]] = {}
    for r in requests:
        for tag in r.required if not r.infeasible else ():
            hours[tag] = hours.get(tag, 0.0) + r.minutes / 60 / days
            partners[tag] = partners.get(tag, frozenset()) | (r.required - {tag})
    for d in range(days):
        crew = [e for e, _ in working(engineers, shifts, d)]
        for tag in sorted(hours):
            while sum(tag in e.skills for e in crew) * HOURS_PER_SKILLED < hours[tag] and (
                learners := [e for e in crew if tag not in e.skills]
            ):
                _closest(rng, learners, partners[tag]).skills.add(tag)


def _closest(rng: np.random.Generator, pool: list[GenEngineer], wanted: frozenset[str]) -> GenEngineer:
    """A random one of the engineers in ``pool`` who have most of ``wanted``."""
    best = max(len(wanted & e.skills) for e in pool)
    ties = [e for e in pool if len(wanted & e.skills) == best]
    return ties[int(rng.integers(len(ties)))]
