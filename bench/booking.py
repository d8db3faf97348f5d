"""Booking: offer latency, booking throughput, and what a day built by bookings alone costs in km.

    python -m bench.booking [--engineers 30] [--requests 1300] [--target 1000] [--probes 200]
                            [--http-bookings 60] [--time-limit 30] [--seed 11]

One generated branch of ``--engineers`` engineers over seven days is filled by booking its
requests one by one into their best offer until ``--target`` visits are booked (the rest
are probes, never booked). Then:

- offers for each probe, in-process, on the full board; the reference is the same probes on
  the empty board (same run);
- the same offers over HTTP against ``dispatch serve`` on SQLite holding that plan;
- ``--http-bookings`` bookings by 20 concurrent clients (offer, then book the best; a 409
  books from its fresh offers once);
- the first day built by bookings alone against a full re-solve of it with the same promises
  (``--time-limit`` seconds, the reference).

Writes its section of BENCHMARKS.md between the ``booking`` markers.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pandas as pd

from bench.report import replace_section
from bench.service_load import start_server
from data.contract import load_scenario
from data.generate import generate_city, write_scenario
from data.plan_io import plan_to_dict
from data.storage.db import make_engine, make_sessions, migrate
from data.storage.imports import Upload, import_files
from data.storage.plans import store_plan
from dispatch.displace import apply_offer, offers_with_room
from dispatch.model import Appointment, Priority, Problem, Request
from dispatch.offers import Board, build_board, offer_days
from dispatch.plan import Plan, Route, Unassigned
from dispatch.validate import validate
from solver.params import SolveParams
from solver.solve import solve

ZONE = ZoneInfo("Asia/Shanghai")


def scenario(seed: int, engineers: int, requests: int, day: date) -> tuple[dict[str, pd.DataFrame], Problem]:
    """The generated branch over seven days, unbooked: promises and emergencies are callers like the rest."""
    tables = generate_city(seed, day, engineers=engineers, requests=requests, branches=1, days=7)
    frame = tables["requests"]
    for column in ("promised_date", "promised_start", "promised_end"):
        frame[column] = ""
    frame["priority"] = frame["priority"].replace("emergency", "high")
    folder = Path(tempfile.mkdtemp(prefix="booking-bench-"))
    write_scenario(tables, folder)
    dates = [day + timedelta(days=i) for i in range(7)]
    return tables, load_scenario(folder, dates)


def fill(problem: Problem, target: int) -> tuple[Board, dict[str, Request], list[Request]]:
    """Book callers in turn into their best offer until ``target`` are booked; the board, the
    booked requests (with their promises) and the callers left as probes."""
    board = build_board(problem, [])
    booked: dict[str, Request] = {}
    callers = list(problem.requests)
    first = problem.dates[0]
    for i, caller in enumerate(callers):
        if len(booked) >= target:
            return board, booked, callers[i:]
        found = offers_with_room(board, caller, offer_days(caller, first, 7, problem.dates))
        if found.offers:
            best = found.offers[0]
            promised = dataclasses.replace(caller, promised=Appointment(best.day, best.window))
            for changed in apply_offer(best, promised, best.window, problem.travel):
                board.put(changed)
            booked[caller.request_id] = promised
    return board, booked, []


def timed(board: Board, probes: list[Request]) -> list[float]:
    """Milliseconds of each probe's offers (travel legs included)."""
    first, out = board.problem.dates[0], []
    for probe in probes:
        started = time.perf_counter()
        offers_with_room(board, probe, offer_days(probe, first, 7, board.problem.dates))
        out.append(1000 * (time.perf_counter() - started))
    return out


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank)."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(q * len(ranked)) - 1))]


def km_of(routes: list[Route]) -> float:
    """Driven km of the routes, the way home included."""
    return sum(s.travel_km for r in routes for s in r.stops) + sum(
        r.return_travel_km for r in routes if r.stops
    )


def gap_of_day(problem: Problem, board: Board, booked: dict[str, Request], limit: float) -> dict[str, Any]:
    """The first day by bookings alone against a full re-solve of its booked visits (same promises)."""
    day = problem.dates[0]
    mine = [r for r in booked.values() if r.promised is not None and r.promised.day == day]
    routes = [r for r in board.routes() if r.day == day]
    one = dataclasses.replace(problem, requests=mine, dates=[day])
    result = solve(one, SolveParams(time_limit_s=limit))
    served = sum(len(r.stops) for r in result.plan.routes)
    return {"day": day, "visits": len(mine), "booked_km": km_of(routes), "solved_km": km_of(list(result.plan.routes)),
            "solved_served": served}  # fmt: skip


def database(folder: Path, tables: dict[str, pd.DataFrame], board: Board, booked: dict[str, Request]) -> str:
    """A SQLite file holding the scenario with its promises and the booked plan in force."""
    url = f"sqlite:///{folder / 'desk.db'}"
    frame = tables["requests"].copy()
    for i, rid in enumerate(frame["request_id"]):
        if rid in booked and (promise := booked[rid].promised) is not None:
            frame.loc[i, "promised_date"] = promise.day.isoformat()
            frame.loc[i, "promised_start"] = promise.window.start.strftime("%H:%M")
            frame.loc[i, "promised_end"] = promise.window.end.strftime("%H:%M")
    engine = make_engine(url)
    migrate(engine)
    sessions = make_sessions(engine)
    uploads = []
    for name, table in {**tables, "requests": frame}.items():
        buffer = io.StringIO()
        table.to_csv(buffer, index=False)
        uploads.append(Upload(f"{name}.csv", buffer.getvalue().encode()))
    problem = board.problem
    routes = board.routes()
    served = {s.request_id for r in routes for s in r.stops}
    rest = [
        Unassigned(r.request_id, "not_planned", "a probe caller")
        for r in problem.requests
        if r.request_id not in served
    ]
    with sessions.begin() as session:
        import_files(session, uploads, ZONE)
        branch = problem.branches[0].branch_id
        store_plan(
            session, plan_to_dict(Plan(problem.dates, routes, rest), ZONE), list(problem.dates), [branch]
        )
    engine.dispose()
    return url


def body_of(probe: Request, first: date) -> dict[str, Any]:
    """The offer body of a probe."""
    fields = {"request_id": probe.request_id, "lat": probe.location.lat, "lon": probe.location.lon,
              "product": probe.product, "priority": probe.priority.value,
              "duration_min": probe.duration.total_seconds() / 60,
              "required_skills": sorted(probe.required_skills)}  # fmt: skip
    return {"request": fields, "days": 7, "start_date": first.isoformat()}


def over_http(url: str, probes: list[Request], first: date, bookings: int) -> dict[str, Any]:
    """Offer latency over HTTP (after one warm-up), then bookings from 20 concurrent clients."""
    out: dict[str, Any] = {}
    port = 18000 + int(time.time()) % 1000
    server, key = start_server(url, port)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            client.post("/slots/offer", json=body_of(probes[0], first))
            times = []
            for probe in probes[1:]:
                started = time.perf_counter()
                assert client.post("/slots/offer", json=body_of(probe, first)).status_code == 200
                times.append(1000 * (time.perf_counter() - started))
        out["http_ms"] = times
        out.update(burst(base, headers, probes[-bookings:], first))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def burst(base: str, headers: dict[str, str], callers: list[Request], first: date) -> dict[str, Any]:
    """Offer then book, 20 clients at once; bookings per second and the answers' codes."""

    def one(caller: Request) -> int:
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
            offers = client.post("/slots/offer", json=body_of(caller, first)).json()["offers"]
            for _ in range(2):
                if not offers:
                    return 0
                pick = {k: offers[0][k] for k in ("date", "slot_start", "slot_end")}
                answer = client.post("/bookings", json={**pick, "request_id": caller.request_id})
                if answer.status_code != 409:
                    return answer.status_code
                offers = answer.json()["offers"]
            return 409

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(one, callers))
    elapsed = time.perf_counter() - started
    return {
        "codes": {c: codes.count(c) for c in sorted(set(codes))},
        "booked": codes.count(201),
        "seconds": elapsed,
    }


def report(args: argparse.Namespace, figures: dict[str, Any]) -> str:
    """The BENCHMARKS.md section."""
    full, empty, http = figures["full_ms"], figures["empty_ms"], figures["http_ms"]
    g = figures["gap"]
    gap = 100 * (g["booked_km"] / g["solved_km"] - 1) if g["solved_km"] else float("nan")
    rate = figures["booked"] / figures["seconds"] if figures["seconds"] else 0.0
    return "\n".join([
        "## Booking offers",
        "",
        f"One generated branch (seed {args.seed}), {args.engineers} engineers over 7 days, filled by booking "
        f"callers into their best offer: {figures['visits']} booked visits ({figures['valid']}). "
        f"`python -m bench.booking --engineers {args.engineers} --requests {args.requests} --target {args.target} "
        f"--probes {args.probes} --http-bookings {args.http_bookings} --time-limit {args.time_limit:g} --seed {args.seed}`, "
        "on the shared 2-core machine.",
        "",
        "| offers for one new caller (7 days) | p50 ms | p95 ms | target |",
        "|---|---|---|---|",
        f"| in-process, full board ({len(full)} probes) | {pct(full, .5):.1f} | {pct(full, .95):.1f} | p95 ≤ 50 |",
        f"| in-process, empty board (reference) | {pct(empty, .5):.1f} | {pct(empty, .95):.1f} | |",
        f"| HTTP, `dispatch serve` on SQLite, board cached | {pct(http, .5):.1f} | {pct(http, .95):.1f} | p95 ≤ 100 |",
        "",
        f"Booking under 20 concurrent clients (offer, book the best, one retry on 409): {figures['booked']} "
        f"bookings in {figures['seconds']:.1f} s = **{rate:.1f} bookings/s**; answers {figures['codes']} "
        "(0 = no offer left). Each booking changes the plan in force, so the next offer lays the board out again.",
        "",
        f"Day {g['day']} built by bookings alone: {g['booked_km']:.0f} km for {g['visits']} visits; a full re-solve "
        f"of the same visits and promises ({args.time_limit:g} s, the reference) serves {g['solved_served']} of them in "
        f"{g['solved_km']:.0f} km: bookings alone drive **{gap:+.1f} %** more, which the nightly run recovers.",
    ])  # fmt: skip


def main() -> None:
    """Build, measure, print and record."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name, default in (("--engineers", 30), ("--requests", 1300), ("--target", 1000), ("--probes", 200),
                          ("--http-bookings", 60), ("--seed", 11)):  # fmt: skip
        parser.add_argument(name, type=int, default=default)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--dry", action="store_true", help="Print only; leave BENCHMARKS.md as it is.")
    args = parser.parse_args()
    first = datetime.now(ZONE).date() + timedelta(days=1)
    tables, problem = scenario(args.seed, args.engineers, args.requests, first)
    board, booked, left = fill(problem, args.target)
    final = dataclasses.replace(problem, requests=[booked.get(r.request_id, r) for r in problem.requests])
    served = {s.request_id for r in board.routes() for s in r.stops}
    rest = [
        Unassigned(r.request_id, "probe", "not booked")
        for r in problem.requests
        if r.request_id not in served
    ]
    violations = validate(final, Plan(problem.dates, board.routes(), rest))
    probes = [r for r in left if r.priority is not Priority.EMERGENCY][: args.probes]
    figures: dict[str, Any] = {
        "visits": len(booked),
        "valid": "valid" if not violations else f"{len(violations)} violations",
    }
    figures["full_ms"] = timed(board, probes)
    figures["empty_ms"] = timed(build_board(problem, []), probes)
    print("in-process p50/p95", pct(figures["full_ms"], 0.5), pct(figures["full_ms"], 0.95), flush=True)
    url = database(Path(tempfile.mkdtemp(prefix="booking-db-")), tables, board, booked)
    figures.update(over_http(url, probes, first, args.http_bookings))
    print(
        "http p50/p95",
        pct(figures["http_ms"], 0.5),
        pct(figures["http_ms"], 0.95),
        figures["codes"],
        flush=True,
    )
    figures["gap"] = gap_of_day(problem, board, booked, args.time_limit)
    text = report(args, figures)
    print(text)
    if not args.dry:
        replace_section("booking", text)


if __name__ == "__main__":
    main()
