"""One visit into an engineer's day: O(1) insertion checks under the planner's reserves.

A :class:`Timeline` is one engineer's working day in epoch seconds, scheduled on the
durations the planner reserves (:mod:`dispatch.punctuality`: each drive and each repair
stretched by the protection share of its worst case), so that every offer made from it is
one the plan can honour. It keeps per stop the earliest end (forward pass) and the latest
start that leaves the rest of the day feasible (backward pass); whether a visit fits in a
gap is then a handful of comparisons. Both passes read the validator's rules: slot
windows, the shift, the cap on visits, and the break, a pause in one gap of the day that
starts inside its window and comes on top of that gap's drive.

Travel is the problem's :class:`~dispatch.travel.TravelModel`; one that also offers
``legs(origin, points)`` (see :class:`LegTravel`) answers a new address's drives in one row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from dispatch.model import Engineer, Location, Request, Shift, TimeWindow
from dispatch.plan import Route, Stop
from dispatch.punctuality import DEFAULT_PROTECTION, DEFAULT_VARIATION, Variation, protected_seconds
from dispatch.rules import is_eligible
from dispatch.travel import TravelModel


@dataclass(frozen=True, slots=True)
class Reserve:
    """The planner's protection: what a drive and a repair reserve beyond their expected time."""

    protection: float = DEFAULT_PROTECTION
    variation: Variation = DEFAULT_VARIATION

    def drive(self, seconds: int) -> int:
        """Reserved seconds of a drive expected to take ``seconds``."""
        return protected_seconds(seconds, self.variation.travel, self.protection)

    def repair(self, seconds: int) -> int:
        """Reserved seconds of a repair expected to take ``seconds``."""
        return protected_seconds(seconds, self.variation.service, self.protection)


@runtime_checkable
class LegTravel(Protocol):
    """A symmetric travel model that answers one origin to many points without the square matrix."""

    def legs(self, origin: Location, points: Sequence[Location]) -> tuple[list[int], list[int]]:
        """Seconds and metres from ``origin`` to each point."""
        ...


@dataclass(frozen=True, slots=True)
class Legs:
    """Expected drives between a new address and a list of points, both ways."""

    out_s: list[int]
    out_m: list[int]
    in_s: list[int]
    in_m: list[int]
    out_r: list[int] = field(default_factory=list)
    in_r: list[int] = field(default_factory=list)

    def reserved(self, reserve: Reserve) -> Legs:
        """The same legs with the reserved drives filled in (once per caller, not per check)."""
        if self.out_r and self.in_r:
            return self
        out_r = [reserve.drive(x) for x in self.out_s]
        in_r = out_r if self.in_s is self.out_s else [reserve.drive(x) for x in self.in_s]
        return Legs(self.out_s, self.out_m, self.in_s, self.in_m, out_r, in_r)


def legs_between(travel: TravelModel, origin: Location, points: Sequence[Location]) -> Legs:
    """Drives from ``origin`` to every point (``out``) and back (``in``)."""
    if not points:
        return Legs([], [], [], [])
    if isinstance(travel, LegTravel):
        seconds, meters = travel.legs(origin, points)
        return Legs(seconds, meters, seconds, meters)
    m = travel.matrix([origin, *points])
    return Legs(
        m.seconds[0][1:], m.meters[0][1:], [r[0] for r in m.seconds[1:]], [r[0] for r in m.meters[1:]]
    )


def epoch(moment: datetime) -> int:
    """Whole seconds since the epoch."""
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class Insertion:
    """Where a visit fits in a timeline: before stop ``position`` (``n`` = last), in reserved seconds.

    ``break_before`` says the break, when its gap is this one, comes before the new visit.
    ``extra_s``/``extra_m`` are the expected detour; ``slack_s`` how long before its slot
    closes the visit starts, ``downstream_s`` how much the rest of the day could still absorb.
    """

    timeline: Timeline
    position: int
    break_before: bool
    start: int
    extra_s: int
    extra_m: int
    slack_s: int
    downstream_s: int


@dataclass
class Timeline:
    """One engineer's day with its stops, laid out for insertion checks (see the module doc)."""

    engineer: Engineer
    shift: Shift
    requests: list[Request]
    slots: list[TimeWindow]
    raw_s: list[int]
    raw_m: list[int]
    reserve: Reserve
    gap: int = 0
    start: int = 0
    end: int = 0
    brk: tuple[int, int, int] | None = None
    drive: list[int] = field(default_factory=list)
    service: list[int] = field(default_factory=list)
    opens: list[int] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    fwd: list[int] = field(default_factory=list)
    lat: list[int] = field(default_factory=list)
    ok: bool = True
    _load: int | None = None

    @property
    def origin(self) -> Location:
        """Where the day sets off: the shift's start location (a re-plan's restart), else home."""
        return self.shift.start_location or self.engineer.home

    @property
    def points(self) -> list[Location]:
        """The origin, then each stop's address, then home when the day does not set off from it."""
        back = [] if self.origin == self.engineer.home else [self.engineer.home]
        return [self.origin, *(r.location for r in self.requests), *back]

    def home_index(self) -> int:
        """The index of home in :attr:`points`."""
        return 0 if self.origin == self.engineer.home else len(self.requests) + 1

    def prepare(self, gap_hint: int | None) -> Timeline:
        """Fill in the reserved figures and both passes; the break goes in the hinted gap if it fits."""
        sh = self.shift
        self.start, self.end = epoch(sh.start), epoch(sh.end)
        starts = sh.break_starts
        length = int(sh.break_duration.total_seconds())
        self.brk = None if starts is None else (epoch(starts[0]), epoch(starts[1]), length)
        self.drive = [self.reserve.drive(s) for s in self.raw_s]
        self.service = [self.reserve.repair(int(r.duration.total_seconds())) for r in self.requests]
        self.opens = [epoch(w.start) for w in self.slots]
        self.closes = [epoch(w.end) for w in self.slots]
        n = len(self.requests)
        order = ([gap_hint] if gap_hint is not None and 0 <= gap_hint <= n else []) + list(range(n + 1))
        for gap in order if self.brk is not None else [0]:
            self.gap = gap
            if self._forward() and self._backward():
                self.ok = True
                return self
        self.ok = False
        return self

    def _arrive(self, t: int, leg: int, here: bool) -> int | None:
        """When the next place is reached leaving at ``t``; with the break in this gap it comes on top."""
        if not here or self.brk is None:
            return t + leg
        earliest, latest, length = self.brk
        if max(earliest, t) > latest:
            return None
        return max(t + leg + length, earliest + length)

    def _forward(self) -> bool:
        t, n = self.start, len(self.requests)
        self.fwd = []
        for i in range(n):
            ready = self._arrive(t, self.drive[i], self.gap == i)
            if ready is None or max(ready, self.opens[i]) > self.closes[i]:
                return False
            t = max(ready, self.opens[i]) + self.service[i]
            self.fwd.append(t)
        home = self._arrive(t, self.drive[n], self.gap == n)
        return home is not None and home <= self.end

    def _before(self, latest: int, leg: int, here: bool) -> int:
        """The latest end of a visit that still reaches the next place by ``latest``."""
        if not here or self.brk is None:
            return latest - leg
        return min(self.brk[1], latest - leg - self.brk[2])

    def _backward(self) -> bool:
        n = len(self.requests)
        self.lat = [0] * n + [self.end]
        for i in range(n - 1, -1, -1):
            latest_end = self._before(self.lat[i + 1], self.drive[i + 1], self.gap == i + 1)
            self.lat[i] = min(self.closes[i], latest_end - self.service[i])
        return self._before(self.lat[0], self.drive[0], self.gap == 0) >= self.start or n == 0

    def fits_cap(self, request: Request) -> bool:
        """Whether one more visit keeps ``max_jobs`` and the capacity."""
        eng = self.engineer
        if eng.max_jobs is not None and len(self.requests) + 1 > eng.max_jobs:
            return False
        load = sum(r.demand for r in self.requests) + request.demand
        return eng.capacity is None or load <= eng.capacity

    def insertions(
        self,
        request: Request,
        window: TimeWindow,
        legs: Legs,
        offset: int,
        frozen: int = 0,
        not_before: int = 0,
    ) -> Iterator[Insertion]:
        """Every feasible place of ``request`` starting in ``window``; ``legs`` from index ``offset``
        hold its drives to this timeline's points; the first ``frozen`` stops stay first, and
        nothing new starts its drive before ``not_before``."""
        if not self.ok or not self.fits_cap(request):
            return
        n, lo, hi = len(self.requests), epoch(window.start), epoch(window.end)
        service = self.reserve.repair(int(request.duration.total_seconds()))
        legs = legs.reserved(self.reserve)
        for p in range(frozen, n + 1):
            prev, nxt = offset + p, offset + (p + 1 if p < n else self.home_index())
            t0 = max(self.start if p == 0 else self.fwd[p - 1], not_before)
            for before in (True, False) if self.brk is not None and self.gap == p else (False,):
                found = self._try(p, before, t0, lo, hi, service, legs, prev, nxt)
                if found is not None:
                    yield found

    def _try(
        self, p: int, before: bool, t0: int, lo: int, hi: int, service: int, legs: Legs, prev: int, nxt: int
    ) -> Insertion | None:
        here = self.brk is not None and self.gap == p
        ready = self._arrive(t0, legs.in_r[prev], here and before)
        if ready is None or max(ready, lo) > hi:
            return None
        begin = max(ready, lo)
        back = self._arrive(begin + service, legs.out_r[nxt], here and not before)
        if back is None or back > self.lat[p]:
            return None
        extra_s = legs.in_s[prev] + legs.out_s[nxt] - self.raw_s[p]
        extra_m = legs.in_m[prev] + legs.out_m[nxt] - self.raw_m[p]
        return Insertion(self, p, before, begin, extra_s, extra_m, hi - begin, self.lat[p] - back)

    def load_s(self) -> int:
        """Expected minutes of service booked on the day, in seconds."""
        if self._load is None:
            self._load = sum(int(r.duration.total_seconds()) for r in self.requests)
        return self._load

    def route(self, zone: ZoneInfo) -> Route:
        """The day on expected times: each visit as soon as its slot allows, the break as early as its
        window allows in its gap (what the planner's extraction does); never later than reserved."""
        stops: list[Stop] = []
        t, n, taken = self.start, len(self.requests), None
        for i, req in enumerate(self.requests):
            arrival = t + self.raw_s[i]
            begin = max(self.opens[i], arrival)
            if self.brk is not None and self.gap == i:
                taken = max(self.brk[0], t)
                if taken < arrival:
                    arrival += self.brk[2]
                begin = max(begin, arrival, taken + self.brk[2])
            end = begin + int(req.duration.total_seconds())
            stops.append(
                Stop(req.request_id, self.slots[i], _at(arrival, zone), _at(begin, zone), _at(end, zone),
                     self.raw_s[i] / 60, self.raw_m[i] / 1000)
            )  # fmt: skip
            t = end
        if n and self.brk is not None and self.gap == n:
            taken = max(self.brk[0], t)
        window = (
            None
            if taken is None or self.brk is None
            else TimeWindow(_at(taken, zone), _at(taken + self.brk[2], zone))
        )
        back = (self.raw_s[n] / 60, self.raw_m[n] / 1000) if n else (0.0, 0.0)
        return Route(self.engineer.engineer_id, self.shift.day, stops, window, back[0], back[1])


def _at(seconds: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(seconds, zone)


def timeline(
    engineer: Engineer,
    shift: Shift,
    visits: Sequence[tuple[Request, TimeWindow]],
    travel: TravelModel,
    reserve: Reserve,
    gap_hint: int | None = None,
) -> Timeline:
    """The timeline of an engineer's day with ``visits`` in this order, each in its slot; the day
    sets off from the shift's start location when it has one (a re-plan's restart), else home."""
    requests = [r for r, _ in visits]
    origin = shift.start_location or engineer.home
    points = [origin, *(r.location for r in requests)]
    if origin != engineer.home:
        points.append(engineer.home)
    if len(points) > 1:
        m = travel.matrix(points)
        size = len(points)
        raw_s = [m.seconds[i][(i + 1) % size] for i in range(len(requests) + 1)]
        raw_m = [m.meters[i][(i + 1) % size] for i in range(len(requests) + 1)]
    else:
        raw_s, raw_m = [0], [0]
    tl = Timeline(engineer, shift, requests, [w for _, w in visits], raw_s, raw_m, reserve)
    return tl.prepare(gap_hint)


def gap_of(route: Route) -> int | None:
    """The gap of a planned route's break: how many stops end before it starts."""
    if route.break_window is None:
        return None
    return sum(1 for s in route.stops if s.end <= route.break_window.start)


def with_visit(found: Insertion, request: Request, window: TimeWindow, travel: TravelModel) -> Timeline:
    """The timeline after the insertion, re-laid out (the break keeps its place around the visit)."""
    tl, p = found.timeline, found.position
    visits = list(zip(tl.requests, tl.slots, strict=True))
    visits.insert(p, (request, window))
    gap = tl.gap + 1 if p < tl.gap or (p == tl.gap and not found.break_before) else tl.gap
    return timeline(tl.engineer, tl.shift, visits, travel, tl.reserve, gap if tl.brk is not None else None)


def without(tl: Timeline, request_id: str, travel: TravelModel) -> Timeline:
    """The timeline without one of its visits (the break stays between the same neighbours)."""
    keep = [(r, w) for r, w in zip(tl.requests, tl.slots, strict=True) if r.request_id != request_id]
    index = next((i for i, r in enumerate(tl.requests) if r.request_id == request_id), len(tl.requests))
    gap = tl.gap - 1 if index < tl.gap else tl.gap
    return timeline(tl.engineer, tl.shift, keep, travel, tl.reserve, gap if tl.brk is not None else None)


def drop_stop(
    route: Route, request_id: str, places: Mapping[str, Location], home: Location, travel: TravelModel
) -> Route:
    """The route without one visit, every other time kept: the drive that bridges the gap is no
    longer than the two it replaces plus the visit, so the day stays as feasible as it was."""
    index = next((i for i, s in enumerate(route.stops) if s.request_id == request_id), None)
    if index is None:
        return route
    stops = list(route.stops)
    del stops[index]
    before = home if index == 0 else places[stops[index - 1].request_id]
    after = home if index == len(stops) else places[stops[index].request_id]
    m = travel.matrix([before, after])
    minutes, km = m.seconds[0][1] / 60, m.meters[0][1] / 1000
    if not stops:
        return replace(route, stops=[], break_window=None, return_travel_minutes=0.0, return_travel_km=0.0)
    if index == len(stops):
        return replace(route, stops=stops, return_travel_minutes=minutes, return_travel_km=km)
    stops[index] = replace(stops[index], travel_minutes=minutes, travel_km=km)
    return replace(route, stops=stops)


def earliest(
    timelines: Sequence[Timeline],
    request: Request,
    windows: Sequence[TimeWindow],
    travel: TravelModel,
    not_before: int = 0,
) -> tuple[Insertion, TimeWindow] | None:
    """The insertion of ``request`` that starts first, with its window, over the timelines of
    engineers who may serve it, moving nobody and starting no drive before ``not_before``."""
    usable = [tl for tl in timelines if tl.ok and is_eligible(tl.engineer, request)]
    points = [p for tl in usable for p in tl.points]
    if not points:
        return None
    legs = legs_between(travel, request.location, points).reserved(usable[0].reserve)
    best: tuple[Insertion, TimeWindow] | None = None
    offset = 0
    for tl in usable:
        for window in windows:
            if epoch(window.end) < not_before:
                continue
            for found in tl.insertions(request, window, legs, offset, 0, not_before):
                if best is None or found.start < best[0].start:
                    best = (found, window)
        offset += len(tl.points)
    return best
