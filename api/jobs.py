"""Plan jobs: solves in worker threads, progress stored, stop on request keeping the best plan.

One :class:`PlanJobs` belongs to the running app (its lifespan creates and closes it); it
holds the worker pool and the stop signal of each job it runs. The jobs themselves live
in the database, so a restart loses none: those it interrupted are marked failed.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from data.plan_io import plan_to_dict
from data.storage.bookings import broken_bookings
from data.storage.models_ops import PlanJobRow
from data.storage.plans import CANCELLED, DONE, FAILED, QUEUED, RUNNING, fail_interrupted, store_plan
from data.storage.problem import build_problem
from data.storage.scenario import now
from dispatch.plan import Plan
from dispatch.travel import TravelModel
from solver.params import SolveParams
from solver.solve import solve

log = logging.getLogger(__name__)

#: How often a running job's progress is written to the database, in seconds.
PROGRESS_EVERY_S = 0.5


class PlanJobs:
    """The app's runner of plan jobs."""

    def __init__(
        self, sessions: sessionmaker[Session], zone: ZoneInfo, travel: TravelModel, threads: int
    ) -> None:
        self._sessions, self._zone, self._travel = sessions, zone, travel
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="plan-job")
        self._stops: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def recover(self) -> int:
        """Mark jobs that a previous run left unfinished as failed; how many there were."""
        with self._sessions.begin() as session:
            count = fail_interrupted(session)
        if count:
            log.warning("%d plan jobs were interrupted by a restart and are marked failed", count)
        return count

    def submit(self, job_id: str) -> None:
        """Queue a stored job for a worker."""
        with self._lock:
            self._stops[job_id] = threading.Event()
        self._pool.submit(self._run, job_id)

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
        result = solve(scoped.problem, params, self._reporter(job_id), should_stop=stop.is_set)
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
        return ProgressWriter(self._sessions, job_id)


class ProgressWriter:
    """The solver's progress callback: keeps the latest figures, writes them now and then."""

    def __init__(self, sessions: sessionmaker[Session], job_id: str) -> None:
        self._sessions, self._job_id = sessions, job_id
        self._written = 0.0

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
