"""Branches, engineers and shifts of a generated scenario."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from data import _generate_text as text
from data._generate_cities import City


@dataclass(frozen=True, slots=True)
class GenBranch:
    """A generated branch."""

    branch_id: str
    name: str
    lat: float
    lon: float


@dataclass(slots=True)
class GenEngineer:
    """A generated engineer; ``skills`` may still grow when coverage is repaired."""

    engineer_id: str
    name: str
    branch: GenBranch
    skills: set[str]
    home: tuple[float, float] | None
    max_jobs: int | None
    phone: str


@dataclass(frozen=True, slots=True)
class GenShift:
    """A generated shift; times are minutes after midnight."""

    engineer_id: str
    day_index: int
    start: int
    end: int
    break_minutes: int


def make_branches(rng: np.random.Generator, city: City, n: int) -> list[GenBranch]:
    """``n`` branches on a ring 8-15 km around the centre (one branch: near the centre).

    Each is named after its district; a second one there is its 二号服务网点.
    """
    angles = rng.uniform(0, 2 * math.pi) + 2 * math.pi * np.arange(n) / n + rng.normal(0, 0.25, n)
    radii = rng.uniform(0, 3, n) if n == 1 else rng.uniform(8, 15, n)
    branches: list[GenBranch] = []
    seen: dict[str, int] = {}
    for i, (a, r) in enumerate(zip(angles, radii, strict=True)):
        north, east = r * math.sin(a), r * math.cos(a)
        lat, lon = city.point(north, east)
        if not city.on_land(lat):
            lat, lon = city.point(abs(north), east)
        place = f"{city.name_zh}{city.district_at(lat, lon)}"
        seen[place] = seen.get(place, 0) + 1
        k = seen[place]
        number = "" if k == 1 else f"{'一二三四五六七八九十'[k - 1]}号" if k <= 10 else f"{k}号"
        branches.append(GenBranch(f"B{i + 1:02d}", f"{place}{number}服务网点", lat, lon))
    return branches


#: Trades of engineers: (share, core product skills, optional extra products), staffed to demand.
_PROFILES: tuple[tuple[float, tuple[str, ...], tuple[str, ...]], ...] = (
    (0.30, ("water_heater", "gas_stove", "range_hood"), ("water_purifier", "dishwasher")),
    (0.25, ("water_heater", "water_purifier"), ("range_hood", "gas_stove", "washing_machine")),
    (0.17, ("range_hood", "gas_stove"), ("dishwasher", "water_purifier", "water_heater")),
    (0.13, ("washing_machine", "refrigerator"), ("dishwasher", "air_conditioner", "water_purifier")),
    (0.09, ("air_conditioner",), ("refrigerator",)),
    (0.06, ("water_heater",), ()),
)


def trades(rng: np.random.Generator, n: int) -> list[int]:
    """The trade of each of ``n`` engineers: quotas by share, remainders at random, shuffled."""
    shares = np.array([p[0] for p in _PROFILES])
    counts = np.floor(shares * n).astype(int)
    rest = rng.choice(len(shares), n - int(counts.sum()), replace=False, p=shares / shares.sum())
    counts[rest] += 1
    return [int(t) for t in rng.permutation(np.repeat(np.arange(len(shares)), counts))]


def draw_products(rng: np.random.Generator, trade: int) -> set[str]:
    """Product skills of one trade: 2-4 products mostly, a few single-product specialists."""
    _, core, extras = _PROFILES[trade]
    room = max(0, int(rng.integers(2, 5)) - len(core)) if len(core) > 1 else int(rng.random() < 0.3)
    room = min(room, len(extras))
    chosen: list[str] = [str(x) for x in rng.choice(extras, room, replace=False)] if room else []
    return set(core) | set(chosen)


def certify(rng: np.random.Generator, engineers: list[GenEngineer]) -> None:
    """Hand out certificates: 40-46 % ``gas_cert``, 13-17 % ``height_cert``.

    Gas certificates go mostly to those who fit water heaters or gas stoves; every
    air-conditioner engineer works at height, the rest of the height certificates go at random.
    """
    n = len(engineers)
    gas_weight = np.array([0.05 + 2 * len(e.skills & {"water_heater", "gas_stove"}) for e in engineers])
    for i in rng.choice(
        n, round(n * rng.uniform(0.40, 0.46)), replace=False, p=gas_weight / gas_weight.sum()
    ):
        engineers[int(i)].skills.add("gas_cert")
    aircon = np.array(["air_conditioner" in e.skills for e in engineers])
    height_weight = np.where(aircon, 1000.0, 1.0)
    k = max(int(aircon.sum()), round(n * rng.uniform(0.13, 0.17)))
    for i in rng.choice(n, min(k, n), replace=False, p=height_weight / height_weight.sum()):
        engineers[int(i)].skills.add("height_cert")


def make_engineers(
    rng: np.random.Generator, city: City, branches: list[GenBranch], n: int
) -> list[GenEngineer]:
    """``n`` engineers spread evenly over branches, living within a few km of theirs."""
    width = max(3, len(str(n)))
    home_branch = rng.permutation(np.arange(n) % len(branches))
    trade = trades(rng, n)
    people: list[GenEngineer] = []
    for i, b in enumerate(home_branch):
        branch = branches[int(b)]
        home: tuple[float, float] | None = None
        if rng.random() < 0.7:
            north, east = city.offset_km(branch.lat, branch.lon)
            dn, de = np.clip(rng.normal(0, 2.5, 2), -8, 8)
            home = city.point(north + dn, east + de)
            home = home if city.on_land(home[0]) else None
        cap = int(rng.integers(6, 9)) if rng.random() < 0.15 else None
        people.append(
            GenEngineer(
                f"E{i + 1:0{width}d}",
                text.person_name(rng),
                branch,
                draw_products(rng, trade[i]),
                home,
                cap,
                text.mobile(rng),
            )
        )
    certify(rng, people)
    return people


#: Usual shifts: (share, start, end) in minutes after midnight.
_SHIFT_PATTERNS = ((0.45, 8 * 60, 18 * 60), (0.30, 8 * 60 + 30, 18 * 60 + 30), (0.25, 9 * 60, 19 * 60))


def make_shifts(rng: np.random.Generator, engineers: list[GenEngineer], days: int) -> list[GenShift]:
    """One shift per engineer per day, each with their usual hours; 5-10 % off each day."""
    shares = np.array([p[0] for p in _SHIFT_PATTERNS])
    usual = rng.choice(len(_SHIFT_PATTERNS), len(engineers), p=shares)
    lunch = np.where(rng.random(len(engineers)) < 0.5, 60, 45)
    shifts: list[GenShift] = []
    for d in range(days):
        off = set(rng.choice(len(engineers), round(len(engineers) * rng.uniform(0.05, 0.10)), replace=False))
        for i, e in enumerate(engineers):
            if i not in off:
                _, start, end = _SHIFT_PATTERNS[int(usual[i])]
                shifts.append(GenShift(e.engineer_id, d, start, end, int(lunch[i])))
    return shifts


def working(
    engineers: list[GenEngineer], shifts: list[GenShift], day: int
) -> list[tuple[GenEngineer, GenShift]]:
    """The engineers on shift on day ``day``, with their shifts."""
    by_id = {e.engineer_id: e for e in engineers}
    return [(by_id[s.engineer_id], s) for s in shifts if s.day_index == day]
