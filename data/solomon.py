"""Solomon / Gehring-Homberger VRPTW text files as dispatch problems.

The instance becomes the same domain problem a dispatch plan is made from: one branch at
the depot, one engineer per vehicle of the fleet with the file's load capacity and a shift
spanning the depot's window, and one promised request per customer. Times follow the
DIMACS convention of the benchmark tables: every time of the file times ten, in seconds,
from midnight of a fixed day, matching :class:`data.travel.PlanarTravel`'s tenths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from data.travel import PlanarTravel
from dispatch.errors import InputError
from dispatch.model import (
    DEFAULT_ZONE,
    Appointment,
    Branch,
    Engineer,
    Location,
    Priority,
    Problem,
    Request,
    Shift,
    TimeWindow,
)
from dispatch.plan import Plan

#: The day every benchmark instance is planned on; any day without a clock change will do.
DAY = date(2000, 1, 3)

#: Seconds per time unit of the file: the DIMACS tenths.
SCALE = 10

_COLUMNS = ("customer", "x", "y", "demand", "ready", "due", "service")


@dataclass(frozen=True, slots=True)
class Customer:
    """One row of the customer table; number 0 is the depot."""

    number: int
    x: int
    y: int
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    """A parsed instance: the raw table, the fleet, and the dispatch problem made of it."""

    name: str
    vehicles: int
    capacity: int
    depot: Customer
    customers: Sequence[Customer]
    problem: Problem
    number_of: Mapping[str, int]

    def routes_of(self, plan: Plan) -> list[list[int]]:
        """The plan's non-empty routes as lists of customer numbers, in visiting order."""
        return [[self.number_of[s.request_id] for s in r.stops] for r in plan.routes if r.stops]


def _ints(path: Path, lineno: int, line: str, names: Sequence[str]) -> list[int]:
    """The whitespace-separated integers of one line, each checked against its field name."""
    parts = line.split()
    if len(parts) < len(names):
        raise InputError.single(
            str(path), lineno, names[len(parts)], f"expected {len(names)} numbers, found {len(parts)}"
        )
    values = []
    for name, text in zip(names, parts, strict=False):
        try:
            number = float(text)
        except ValueError:
            raise InputError.single(str(path), lineno, name, f"{text!r} is not a number") from None
        if number != int(number):
            raise InputError.single(str(path), lineno, name, f"{text!r} is not a whole number")
        values.append(int(number))
    return values


def _find(path: Path, lines: list[str], start: int, keyword: str) -> int:
    """Index of the first line at or after ``start`` that begins with ``keyword``."""
    for i in range(start, len(lines)):
        if lines[i].strip().upper().startswith(keyword):
            return i
    raise InputError.single(str(path), None, None, f"no {keyword!r} section")


def _data_lines(lines: list[str], start: int) -> list[tuple[int, str]]:
    """The non-blank lines from ``start`` on, with their 1-based line numbers."""
    return [(i + 1, line) for i, line in enumerate(lines) if i >= start and line.strip()]


def _customer(path: Path, lineno: int, line: str) -> Customer:
    c = Customer(*_ints(path, lineno, line, _COLUMNS))
    for name in ("demand", "ready", "due", "service"):
        if getattr(c, name) < 0:
            raise InputError.single(str(path), lineno, name, "must not be negative")
    if c.due < c.ready:
        raise InputError.single(str(path), lineno, "due", f"due {c.due} is before ready {c.ready}")
    return c


def parse(path: Path) -> tuple[int, int, list[Customer]]:
    """Fleet size, capacity and the customer table (depot first) of a Solomon-format file."""
    try:
        text = path.read_text(encoding="ascii", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(str(path), None, None, f"cannot read: {exc}") from None
    lines = text.splitlines()
    fleet_at = _find(path, lines, 0, "NUMBER") + 1
    fleet = _data_lines(lines, fleet_at)
    if not fleet:
        raise InputError.single(str(path), None, "vehicles", "no fleet line")
    lineno, line = fleet[0]
    vehicles, capacity = _ints(path, lineno, line, ("vehicles", "capacity"))
    if vehicles < 1 or capacity < 1:
        raise InputError.single(str(path), lineno, "vehicles", "fleet size and capacity must be positive")
    header = _find(path, lines, _find(path, lines, fleet_at, "CUSTOMER") + 1, "CUST")
    table = _data_lines(lines, header + 1)
    customers = [_customer(path, n, line) for n, line in table]
    if not customers:
        raise InputError.single(str(path), None, "customer", "no customer rows")
    seen: set[int] = set()
    for (n, _), c in zip(table, customers, strict=True):
        if c.number in seen:
            raise InputError.single(str(path), n, "customer", f"customer {c.number} appears twice")
        seen.add(c.number)
    if customers[0].number != 0:
        raise InputError.single(str(path), table[0][0], "customer", "the first row must be the depot, 0")
    return vehicles, capacity, customers


def _moment(origin: datetime, units: int) -> datetime:
    return origin + timedelta(seconds=SCALE * units)


def read_instance(path: Path, zone: str = DEFAULT_ZONE) -> Instance:
    """Read a Solomon or Gehring-Homberger file (CRLF or LF) into a dispatch problem.

    Raises :class:`InputError` naming the file, line and field of the first defect.
    """
    vehicles, capacity, table = parse(path)
    depot, customers = table[0], table[1:]
    tz = ZoneInfo(zone)
    origin = datetime.combine(DAY, time(0), tz)
    home = Location(depot.x, depot.y)
    engineers = [
        Engineer(f"V{k + 1:03d}", f"vehicle {k + 1}", "DEPOT", frozenset(), home, capacity=capacity)
        for k in range(vehicles)
    ]
    shifts = [
        Shift(e.engineer_id, DAY, _moment(origin, depot.ready), _moment(origin, depot.due)) for e in engineers
    ]
    requests = [
        Request(
            f"C{c.number}",
            Location(c.x, c.y),
            "customer",
            Priority.NORMAL,
            timedelta(seconds=SCALE * c.service),
            frozenset(),
            promised=Appointment(DAY, TimeWindow(_moment(origin, c.ready), _moment(origin, c.due))),
            demand=c.demand,
        )
        for c in customers
    ]
    problem = Problem(
        branches=[Branch("DEPOT", "depot", home)],
        engineers=engineers,
        shifts=shifts,
        requests=requests,
        slots=[],
        dates=[DAY],
        travel=PlanarTravel(),
        zone=tz,
        planar=True,
        name=path.stem.upper(),
    )
    number_of = {r.request_id: c.number for r, c in zip(requests, customers, strict=True)}
    return Instance(path.stem.upper(), vehicles, capacity, depot, customers, problem, number_of)


def cut(instance: Instance, n: int) -> Instance:
    """The instance restricted to its first ``n`` customers (for quick tests)."""
    keep = {f"C{c.number}" for c in instance.customers[:n]}
    problem = instance.problem
    small = Problem(
        problem.branches,
        problem.engineers,
        problem.shifts,
        [r for r in problem.requests if r.request_id in keep],
        problem.slots,
        problem.dates,
        problem.travel,
        problem.zone,
        problem.planar,
        f"{problem.name}-{n}",
    )
    number_of = {k: v for k, v in instance.number_of.items() if k in keep}
    return Instance(
        f"{instance.name}-{n}",
        instance.vehicles,
        instance.capacity,
        instance.depot,
        instance.customers[:n],
        small,
        number_of,
    )
