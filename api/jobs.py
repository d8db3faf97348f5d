"""Plan jobs: solves in worker threads, progress stored, stop on request keeping the best plan.

A job runs on the backend chosen when it was submitted (:mod:`api.planning`: ``auto``,
``single``, ``process`` or ``ray``). A decomposed job's progress per branch and day is kept
in memory, by this runner, for as long as the app runs (``branch_progress``); the job's
``message`` column holds its summary (how many parts are done, running, failed).

One :class:`PlanJobs` belongs to the running app (its lifespan creates and closes it); it
holds the worker pool and the stop signal of each job it runs. The jobs themselves live
in the database, so a restart loses none: those it interrupted are marked failed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from api.planning import BackendName, run_plan
from data.plan_io import plan_to_dict
from data.storage.bookings import broken_bookings
from data.storage.models_ops import PlanJobRow
from data.storage.plans import CANCELLED, DONE, FAILED, QUEUED, RUNNING, fail_interrupted, store_plan
from data.storage.problem import build_problem
from data.storage.scenario import now
from dispatch.plan import Plan
from dispatch.travel import TravelModel
from solver.backends import PartProgress
from solver.params import SolveParams

log = logging.getLogger(__name__)

#: How often a running job's progress is written to the database, in seconds.
PROGRESS_EVERY_S = 0.5
#: How many jobs' per-branch progress the runner keeps in memory.
KEPT_PROGRESS = 200


class PlanJobs:
    """The app's runner of plan jobs."""

    def __init__(
        self, sessions: sessionmaker[Session], zone: ZoneInfo, travel: TravelModel, threads: int
    ) -> None:
        self._sessions, self._zone, self._travel = sessions, zone, travel
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="plan-job")
        self._stops: dict[str, threading.Event] = {}
        self._choices: dict[str, tuple[BackendName, int]] = {}
        self._parts: dict[str, dict[str, PartProgress]] = {}
        self._lock = threading.Lock()

    def recover(self) -> int:
        """Mark jobs that a previous run left unfinished as failed; how many there were."""
        with self._sessions.begin() as session:
            count = fail_interrupted(session)
        if count:
            log.warning("%d plan jobs were interrupted by a restart and are marked failed", count)
        return count

    def submit(self, job_id: str, backend: BackendName = "auto", workers: int = 2) -> None:
        """Queue a stored job for a worker, to run on ``backend`` with ``workers`` parallel parts."""
        with self._lock:
            self._stops[job_id] = threading.Event()
            self._choices[job_id] = (backend, workers)
        self._pool.submit(self._run, job_id)

    def choice(self, job_id: str) -> tuple[BackendName, int]:
        """The backend and workers a job was submitted with (``auto``, 2 when this runner never had it)."""
        with self._lock:
            return self._choices.get(job_id, ("auto", 2))

    def branch_progress(self, job_id: str) -> list[PartProgress]:
        """The latest state of each branch and day of a decomposed job, in key order."""
        with self._lock:
            parts = dict(self._parts.get(job_id, {}))
        return [parts[k] for k in sorted(parts)]

    def stop(self, job_id: str) -> bool:
        """Ask a queued or running job to stop; whether this runner has it."""
        with self._lock:
            event = self._stops.get(job_id)
        if event is not None:
            event.set()
        return event is not None

    def close(self) -> None:
        """Stop every job (running ones keep their best plan) and wait for the workers."""
        with self._lock:
            events = list(self._stops.values())
        for event in events:
            event.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, job_id: str) -> None:
        with self._lock:
            stop = self._stops[job_id]
        try:
            self._execute(job_id, stop)
        except Exception as exc:  # a job's failure is data for its caller, never a dead worker
            log.exception("plan job %s failed", job_id)
            with self._sessions.begin() as session:
                job = session.get(PlanJobRow, job_id)
                if job is not None:
                    job.status, job.error, job.finished_at = FAILED, f"{type(exc).__name__}: {exc}", now()
        finally:
            with self._lock:
                self._stops.pop(job_id, None)

    def _execute(self, job_id: str, stop: threading.Event) -> None:
        with self._sessions.begin() as session:
            job = session.get(PlanJobRow, job_id)
            if job is None or job.status != QUEUED:
                return
            if stop.is_set():
                job.status, job.finished_at = CANCELLED, now()
                return
            job.status, job.started_at = RUNNING, now()
            started = job.started_at
            dates = [date.fromisoformat(d) for d in job.dates]
            branches = job.branches
            # Ruin and recreate runs its rounds to the deadline whatever should_stop says, so
            # jobs use OR-Tools' own search alone, which a stop ends at the next solution.
            params = SolveParams(job.time_limit_s, job.solution_limit, ruin_recreate=False)
        with self._sessions() as session:
            scoped = build_problem(session, dates, branches, self._zone, self._travel)
        backend, workers = self.choice(job_id)
        reporter = self._reporter(job_id)
        reporter.budget_s = params.time_limit_s
        result = run_plan(
            scoped.problem,
            params,
            backend,
            workers,
            None,
            reporter,
            self._on_part(job_id, reporter),
            stop.is_set,
        )
        found = result.plan
        kpis = {**found.kpis, "needs_location": len(scoped.unplaced)}
        plan = Plan(found.dates, found.routes, [*found.unassigned, *scoped.unplaced], kpis)
        scope = sorted(branches) if branches is not None else sorted(scoped.problem.branch_by_id)
        with self._sessions.begin() as session:
            document = plan_to_dict(plan, self._zone)
            broken = broken_bookings(session, document, dates, scope, started)
            job = session.get(PlanJobRow, job_id)
            assert job is not None
            if broken:  # a booking made while it ran: its plan is stale and never put in force
                job.status, job.progress, job.finished_at = FAILED, 1.0, now()
                job.error = f"stale: {', '.join(broken[:10])} booked while it ran; retry it"
                return
            stored = store_plan(session, document, dates, scope)
            job.status = CANCELLED if stop.is_set() else DONE
            job.plan_id, job.progress, job.message, job.finished_at = stored.id, 1.0, result.status, now()

    def _reporter(self, job_id: str) -> ProgressWriter:
        return ProgressWriter(self._sessions, job_id, started=time.monotonic())

    def _on_part(self, job_id: str, reporter: ProgressWriter) -> Callable[[PartProgress], None]:
        """Keep each part's state in memory and write the summary to the job's message."""

        def record(part: PartProgress) -> None:
            with self._lock:
                if job_id not in self._parts and len(self._parts) >= KEPT_PROGRESS:
                    self._parts.pop(next(iter(self._parts)))  # the oldest job's
                parts = self._parts.setdefault(job_id, {})
                parts[part.key] = part
                states = Counter(p.state for p in parts.values())
            summary = "branches: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
            reporter(reporter.fraction(), summary)

        return record


class ProgressWriter:
    """The solver's progress callback: keeps the latest figures, writes them now and then."""

    def __init__(self, sessions: sessionmaker[Session], job_id: str, started: float | None = None) -> None:
        self._sessions, self._job_id = sessions, job_id
        self._written = 0.0
        self._started = time.monotonic() if started is None else started
        self.budget_s: float | None = None

    def fraction(self) -> float:
        """The share of the job's budget used so far (0 when the budget is unknown)."""
        if not self.budget_s:
            return 0.0
        return (time.monotonic() - self._started) / self.budget_s

    def __call__(self, fraction: float, message: str) -> None:
        """Record ``fraction`` (0..1) of the budget used and a short message."""
        moment = time.monotonic()
        if moment - self._written < PROGRESS_EVERY_S:
            return
        self._written = moment
        with self._sessions.begin() as session:
            job = session.get(PlanJobRow, self._job_id)
            if job is not None and job.status == RUNNING:
                job.progress, job.message = round(min(max(fraction, 0.0), 0.99), 3), message[:200]
