"""Repair requests of a generated scenario: where, what, how urgent, and when.

Requests are drawn first, then engineers' skills are topped up to the work asked for
(:mod:`data._generate_staffing`), then promises are booked only into slots that some
eligible engineer's shift can serve (:func:`book`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from data import _generate_text as text
from data._generate_cities import KM_PER_DEG, City
from data._generate_people import GenBranch, GenEngineer, GenShift, working
from data.travel import GeodesicTravel
from dispatch.model import DEFAULT_ZONE
from dispatch.rules import DEFAULT_CATALOGUE, DEFAULT_SLOTS

#: Share of requests per product: water heaters, kitchen gas and hoods dominate.
PRODUCT_MIX: dict[str, float] = {
    "water_heater": 0.22,
    "gas_water_heater": 0.16,
    "range_hood": 0.15,
    "gas_stove": 0.14,
    "water_purifier": 0.13,
    "washing_machine": 0.06,
    "dishwasher": 0.05,
    "air_conditioner": 0.05,
    "refrigerator": 0.04,
}
#: A product no engineer services, used for deliberately unservable requests.
UNSERVED_PRODUCT = "wall_boiler"
#: How customers pick promised slots of the default grid: few want 17:00-19:00.
SLOT_WEIGHTS = np.array([0.22, 0.27, 0.24, 0.19, 0.08])
_SLOTS = [(s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute) for s in DEFAULT_SLOTS]
#: Minutes of driving per straight-line km, as the default travel model drives.
_MIN_PER_KM = 60 * GeodesicTravel().circuity / GeodesicTravel().speed_kmh


@dataclass(slots=True)
class GenRequest:
    """A generated request; ``required`` and ``minutes`` are the effective values."""

    lat: float
    lon: float
    product: str
    priority: str
    required: frozenset[str]
    minutes: int
    skills_text: str = ""
    duration_text: str = ""
    fault: str = ""
    customer: str = ""
    phone: str = ""
    address: str = ""
    infeasible: bool = False
    promised: tuple[int, int] | None = None
    window: tuple[int, int] = (0, 0)
    preferred: str = ""
    received_at: str = ""


def skill_text(skills: frozenset[str] | set[str]) -> str:
    """Tags joined by ``;``: products first, certificates last."""
    return ";".join(sorted(skills, key=lambda s: (s.endswith("_cert"), s)))


def _location(rng: np.random.Generator, city: City, branches: list[GenBranch]) -> tuple[float, float]:
    """A customer: 30 % around the centre, the rest around a branch, within 24 km."""
    for _ in range(100):
        north, east = rng.normal(0, 4.5, 2)
        if rng.random() >= 0.3:
            b = branches[int(rng.integers(len(branches)))]
            bn, be = city.offset_km(b.lat, b.lon)
            north, east = bn + rng.normal(0, 3.5), be + rng.normal(0, 3.5)
        lat, lon = city.point(float(north), float(east))
        if math.hypot(north, east) <= 24.0 and city.on_land(lat):
            return lat, lon
    return city.lat, city.lon


def _draw_one(rng: np.random.Generator, product: str, infeasible: bool) -> GenRequest:
    """Product, priority, skills and duration of one request (location comes later)."""
    spec = DEFAULT_CATALOGUE.get(product)
    minutes = int(spec.duration.total_seconds() // 60) if spec and spec.duration else 90
    required = spec.skills if spec else frozenset({product})
    u = rng.random()
    severity = 2 if u < 0.034 and text.FAULTS[product][2] else 1 if u < 0.154 else 0
    r = GenRequest(0.0, 0.0, product, ("normal", "high", "emergency")[severity], required, minutes)
    r.fault, r.infeasible = text.fault(rng, product, severity), infeasible
    if infeasible or rng.random() < 0.15:
        options = [m for m in (30, 45, 60, 75, 90, 120) if 0.5 * minutes <= m <= 1.5 * minutes]
        r.minutes = 90 if infeasible else int(rng.choice(options))
        r.duration_text = str(r.minutes)
    if product == "range_hood" and severity == 0 and rng.random() < 0.05:
        r.required = frozenset({"range_hood", "gas_stove", "gas_cert"})
        r.fault, r.skills_text = "烟灶联动失灵，需同时检修燃气灶", skill_text(r.required)
    elif rng.random() < 0.04:
        r.skills_text = skill_text(r.required)
    return r


def draw_requests(
    rng: np.random.Generator, city: City, branches: list[GenBranch], n: int, infeasible_share: float
) -> list[GenRequest]:
    """``n`` requests with products by :data:`PRODUCT_MIX` and customers near branches."""
    names = list(PRODUCT_MIX)
    shares = np.array(list(PRODUCT_MIX.values()))
    products = rng.choice(len(names), n, p=shares / shares.sum())
    unserved = set(rng.choice(n, round(n * infeasible_share), replace=False).tolist())
    out: list[GenRequest] = []
    for i in range(n):
        bad = i in unserved
        r = _draw_one(rng, UNSERVED_PRODUCT if bad else names[int(products[i])], bad)
        r.lat, r.lon = _location(rng, city, branches)
        r.customer, r.phone = text.customer_name(rng), text.mobile(rng)
        r.address = text.address(rng, city.district_at(r.lat, r.lon))
        out.append(r)
    return out


def _drive(e: GenEngineer, r: GenRequest) -> float:
    """Minutes from the engineer's start location to the customer, a little generously."""
    lat, lon = e.home or (e.branch.lat, e.branch.lon)
    north, east = (lat - r.lat) * KM_PER_DEG, (lon - r.lon) * KM_PER_DEG * math.cos(math.radians(lat))
    return 1.1 * _MIN_PER_KM * math.hypot(north, east) + 1


def _coverable(r: GenRequest, slot: tuple[int, int], crew: list[tuple[GenEngineer, GenShift]]) -> bool:
    """Whether someone eligible on shift could drive out, serve in the slot and get home."""
    return any(
        r.required <= e.skills
        and s.start + _drive(e, r) <= slot[1]
        and max(slot[0], s.start + _drive(e, r)) + r.minutes + _drive(e, r) <= s.end
        for e, s in crew
    )


def book(
    rng: np.random.Generator,
    requests: list[GenRequest],
    engineers: list[GenEngineer],
    shifts: list[GenShift],
    days: int,
) -> None:
    """Promise 36-44 % of the requests a slot; give the rest a window of 1-3 days.

    A promise goes only into a slot some eligible engineer on shift can serve, unless the
    request is unservable by design. Emergencies are unbooked and due on the first day;
    more unbooked work is due early in the horizon than late.
    """
    calm = [i for i, r in enumerate(requests) if r.priority != "emergency"]
    share = round(len(requests) * rng.uniform(0.36, 0.44))
    promise = set(rng.choice(calm, min(share, len(calm)), replace=False).tolist()) if calm else set()
    crews = [working(engineers, shifts, d) for d in range(days)]
    first_day_bias = np.linspace(2.0, 1.0, days) / np.linspace(2.0, 1.0, days).sum()
    for i, r in enumerate(requests):
        if i in promise:
            d = int(rng.integers(days))
            ok = [i for i, slot in enumerate(_SLOTS) if r.infeasible or _coverable(r, slot, crews[d])]
            weights = SLOT_WEIGHTS[ok] / SLOT_WEIGHTS[ok].sum()
            r.promised = (d, ok[int(rng.choice(len(ok), p=weights))])
        elif r.priority != "emergency" and days > 1:
            earliest = int(rng.choice(days, p=first_day_bias))
            span = 0 if r.priority == "high" else int(rng.integers(0, 3))
            r.window = (earliest, min(days - 1, earliest + span))


def add_warranty(
    rng: np.random.Generator,
    requests: list[GenRequest],
    engineers: list[GenEngineer],
    branches: list[GenBranch],
    shifts: list[GenShift],
) -> None:
    """Make ~5 % of requests re-repairs under warranty, preferring an engineer who can do it.

    The preferred engineer has the skills and belongs to one of the two branches nearest
    the customer; for a promise, one working that day when there is one.
    """
    on_shift = {(s.engineer_id, s.day_index) for s in shifts}
    for r in requests:
        if r.infeasible or r.priority == "emergency" or rng.random() >= 0.05:
            continue
        near = sorted(branches, key=lambda b: math.hypot(b.lat - r.lat, b.lon - r.lon))[:2]
        eligible = [e for e in engineers if r.required <= e.skills]
        pool = [e for e in eligible if e.branch in near] or eligible
        day = r.promised[0] if r.promised else r.window[0]
        pool = [e for e in pool if (e.engineer_id, day) in on_shift] or pool
        if pool:
            r.preferred = pool[int(rng.integers(len(pool)))].engineer_id
            r.fault = f"保修期内返修：{r.fault}"


def receive(rng: np.random.Generator, requests: list[GenRequest], day: date) -> None:
    """When each request came in (``received_at``), all before the 07:30 planning run on ``day``.

    Emergencies overnight on the 24-hour hotline, promises one to four days before the
    promised day, the rest during call-centre hours of the last two days.
    """
    zone = ZoneInfo(DEFAULT_ZONE)
    cutoff = datetime.combine(day, time(7, 30), zone)
    for r in requests:
        if r.priority == "emergency":
            came = cutoff - timedelta(seconds=int(rng.integers(60, 11 * 3600)))
        else:
            back = int(rng.integers(1, 5)) if r.promised else 1 + int(rng.random() < 0.3)
            booked = (r.promised[0] if r.promised else 0) - back
            opened = datetime.combine(day + timedelta(days=min(booked, -1)), time(8, 0), zone)
            came = opened + timedelta(seconds=int(rng.integers(0, 13 * 3600)))
        r.received_at = came.isoformat(timespec="seconds")
