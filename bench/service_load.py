"""Load test of the HTTP service on loopback: 50 clients reading routes and posting requests.

For each database (SQLite, and PostgreSQL when one answers) the benchmark starts
``dispatch serve`` in its own process on a fresh database, loads the demo network plus
cloned requests up to 10,000, plans the first day through the API, then runs 50 concurrent
clients for 30 s: 70 % read an engineer's route, 15 % list a branch's requests for the
day, 15 % post a new request. First one client calling back to back, the reference: the
service time with no queue. Then paced, each client pausing a second on average between
calls like a person at the desk or an app polling, then saturating, every client calling
again at once. It reports p50, p95 and p99 latency per kind of call, the throughput and
the CPU the server, the load generator and PostgreSQL used, and writes its section of
BENCHMARKS.md.

    python -m bench.service_load [--seconds 30] [--clients 50] [--requests 10000] [--solo 10] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psutil
from sqlalchemy import make_url, text

from bench.report import replace_section
from data.generate import generate_city
from data.storage.db import make_engine

PG_URL = os.environ.get("DISPATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DAY = date.today() + timedelta(days=1)
KINDS = ("route", "list", "post")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def scenario(total: int) -> tuple[list[tuple[str, tuple[str, bytes, str]]], list[str], list[str]]:
    """The demo network's files with requests cloned up to ``total`` on the following days."""
    tables = generate_city(7, DAY)
    base = tables["requests"]
    extra = base.sample(n=total - len(base), replace=True, random_state=1).reset_index(drop=True)
    extra["request_id"] = [f"H{i:05d}" for i in range(len(extra))]
    for column in ("promised_date", "promised_start", "promised_end", "preferred_engineer_id"):
        extra[column] = ""
    extra["earliest_date"] = [(DAY + timedelta(days=1 + i % 6)).isoformat() for i in range(len(extra))]
    extra["latest_date"] = [(DAY + timedelta(days=2 + i % 6)).isoformat() for i in range(len(extra))]
    tables["requests"] = pd.concat([base, extra], ignore_index=True)
    files = [("files", (f"{name}.csv", _csv(frame), "text/csv")) for name, frame in tables.items()]
    return files, list(tables["engineers"]["engineer_id"]), list(tables["branches"]["branch_id"])


def start_server(url: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """``dispatch apikey create`` then ``dispatch serve`` on ``url``; the process and a coordinator key."""
    env = {**os.environ, "DISPATCH_DATABASE_URL": url}
    exe = Path(sys.executable).parent / "dispatch"
    key = subprocess.run(
        [exe, "apikey", "create", "--role", "coordinator"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [exe, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, key
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the service did not start")


def prepare(base: str, headers: dict[str, str], total: int) -> tuple[list[str], list[str]]:
    """Import the scenario and plan the first day (a 10 s search); the engineers and branches."""
    files, engineers, branches = scenario(total)
    answer = httpx.post(f"{base}/imports", files=files, headers=headers, timeout=600)
    answer.raise_for_status()
    job = httpx.post(
        f"{base}/plans", json={"dates": [DAY.isoformat()], "time_limit_s": 10}, headers=headers
    ).json()["id"]
    while httpx.get(f"{base}/plans/{job}", headers=headers).json()["status"] not in (
        "done",
        "failed",
        "cancelled",
    ):
        time.sleep(0.5)
    return engineers, branches


class Connection:
    """One keep-alive HTTP/1.1 connection: a lean client, so that the load generator is not the bottleneck."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.auth = port, f"Authorization: Bearer {key}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, method: str, target: str, body: bytes = b"") -> int:
        """Send one request and read the whole answer; its status code (reconnecting once if the server hung up)."""
        try:
            return await self._call(method, target, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.reader = self.writer = None
            return await self._call(method, target, body)

    async def _call(self, method: str, target: str, body: bytes) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write((head + "\r\n").encode() + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        length = next((int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length:")), 0)
        await self.reader.readexactly(length)
        return int(lines[0].split()[1])


async def _client(
    port: int, key: str, stop: float, think: float, engineers: list[str], branches: list[str],
    seen: dict[str, list[float]], rng: random.Random,
) -> None:  # fmt: skip
    connection, day = Connection(port, key), DAY.isoformat()
    while time.monotonic() < stop:
        if think > 0:
            await asyncio.sleep(rng.expovariate(1 / think))
        draw = rng.random()
        kind = "route" if draw < 0.7 else "list" if draw < 0.85 else "post"
        began = time.perf_counter()
        if kind == "route":
            code = await connection.call("GET", f"/engineers/{rng.choice(engineers)}/route?date={day}")
        elif kind == "list":
            code = await connection.call(
                "GET", f"/requests?date={day}&branch={rng.choice(branches)}&limit=50"
            )
        else:
            body = {"request_id": f"L{uuid.uuid4().hex[:12]}", "lat": 31.2 + rng.random() / 10, "lon": 121.4 + rng.random() / 10,
                    "product": "water_heater", "priority": "normal", "address": "load test", "phone": "13800000000"}  # fmt: skip
            code = await connection.call("POST", "/requests", json.dumps(body).encode())
        seen[kind if code < 400 else "error"].append(time.perf_counter() - began)
    if connection.writer is not None:
        connection.writer.close()


async def load(
    port: int,
    key: str,
    engineers: list[str],
    branches: list[str],
    clients: int,
    seconds: float,
    think: float = 0.0,
) -> dict[str, list[float]]:
    """Run the clients, each pausing ``think`` s on average between calls; latencies per kind of call."""
    seen: dict[str, list[float]] = {k: [] for k in (*KINDS, "error")}
    stop = time.monotonic() + seconds
    await asyncio.gather(
        *(
            _client(port, key, stop, think, engineers, branches, seen, random.Random(i))
            for i in range(clients)
        )
    )
    return seen


def _pct(values: list[float], q: int) -> float:
    return (
        1000 * statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else float("nan")
    )


def cpu_seconds(server: int, postgres: bool) -> dict[str, float]:
    """CPU seconds used so far by the server, this process (the load generator), PostgreSQL and the machine."""
    used = {
        k: sum(p.cpu_times()[:2])
        for k, p in (("server", psutil.Process(server)), ("generator", psutil.Process()))
    }
    if postgres:  # every process of the server: its backends serve this run
        names = ("postgres", "postmaster")
        used["PostgreSQL"] = sum(sum(p.info["cpu_times"][:2]) for p in psutil.process_iter(["name", "cpu_times"])
                                 if p.info["name"] in names and p.info["cpu_times"] is not None)  # fmt: skip
    times = psutil.cpu_times()
    used["machine"] = sum(times) - times.idle - getattr(times, "iowait", 0.0)
    return used


def _cpu_note(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """CPU used during a run in % of one core, and how busy the whole machine was."""
    used = {k: 100 * (after[k] - before[k]) / seconds for k in before}
    cores = psutil.cpu_count() or 1
    shares = ", ".join(f"{k} {v:.0f} %" for k, v in used.items() if k != "machine")
    return f"CPU: {shares}; machine busy {used['machine'] / cores:.0f} % of {cores} cores"


def run_one(name: str, url: str, args: argparse.Namespace) -> list[str]:
    """One database: serve, prepare, then one client, paced and saturating clients; the table rows."""
    server, key = start_server(url, port := _free_port())
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    rows = []
    try:
        engineers, branches = prepare(base, headers, args.requests)
        runs = [("1 client (reference)", 1, 0.0, args.solo), (f"paced ({args.think:g} s)", args.clients, args.think, args.seconds),
                ("saturated", args.clients, 0.0, args.seconds)]  # fmt: skip
        for mode, clients, think, seconds in runs:
            if seconds <= 0:
                continue
            before = cpu_seconds(server.pid, url.startswith("postgresql"))
            seen = asyncio.run(load(port, key, engineers, branches, clients, seconds, think))
            note = _cpu_note(before, cpu_seconds(server.pid, url.startswith("postgresql")), seconds)
            rows += _rows(f"{name}, {mode}", seen, seconds, note)
            print("\n".join(rows[-4:]), flush=True)
    finally:
        server.terminate()
        server.wait(30)
    return rows


def _rows(name: str, seen: dict[str, list[float]], seconds: float, note: str = "") -> list[str]:
    total = sum(len(v) for v in seen.values())
    rows = [
        f"| {name} | {kind} | {len(seen[kind])} | {_pct(seen[kind], 50):.1f} | {_pct(seen[kind], 95):.1f} | {_pct(seen[kind], 99):.1f} |"
        for kind in KINDS
    ]
    rows.append(
        f"| {name} | **all** | {total} ({total / seconds:.0f}/s, {len(seen['error'])} errors{'; ' + note if note else ''}) | | | |"
    )
    return rows


def _postgres_database() -> tuple[str, Any] | None:
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        connection = admin.connect()
    except Exception:  # no server: the PostgreSQL run is skipped
        admin.dispose()
        return None
    name = f"dispatch_bench_{uuid.uuid4().hex[:10]}"
    connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), (
        admin,
        connection,
        name,
    )


def main() -> None:
    """Run the benchmark on SQLite and PostgreSQL and write BENCHMARKS.md's section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument(
        "--think", type=float, default=1.0, help="Mean pause of a paced client between calls, s."
    )
    parser.add_argument(
        "--solo",
        type=float,
        default=10.0,
        help="Seconds of the reference: one client, back to back (0: none).",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    args.load = os.getloadavg()
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"dispatch-load-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    rows = run_one("SQLite", f"sqlite:///{folder / 'desk.db'}", args)
    made = _postgres_database()
    if made is not None:
        url, (admin, connection, name) = made
        try:
            rows += run_one("PostgreSQL", url, args)
        finally:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    if not args.no_write:
        replace_section("service-load", _report(rows, args))


def _report(rows: list[str], args: argparse.Namespace) -> str:
    return "\n".join([
        "## HTTP service under load",
        "",
        f"`python -m bench.service_load` — {args.clients} concurrent clients on loopback, {args.seconds:.0f} s per run, against "
        f"`dispatch serve` (one uvicorn process) on a database of {args.requests:,} requests (the demo network, 60 engineers, "
        "its first day planned). Calls: 70 % an engineer's route (JSON), 15 % a branch's requests of the day (50 a page), "
        f"15 % a new request posted. *1 client (reference)*: one client calling back to back for {args.solo:g} s, the "
        f"service time with no queue; *paced*: each client pauses {args.think:g} s on average (exponential) between calls; "
        "*saturated*: no pause, so latency is the queue of 50 callers over the throughput. The load generator is one "
        "asyncio process writing raw HTTP/1.1 on keep-alive connections; it, the server and PostgreSQL share the "
        f"machine's {psutil.cpu_count()} cores, and the CPU each used is given in % of one core. Load average before the "
        f"run: {args.load[0]:.2f} (1 min), {args.load[1]:.2f} (5 min). Latency in ms.",
        "",
        "| database | call | calls | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
        *rows,
    ])  # fmt: skip


if __name__ == "__main__":
    main()
