"""Where the sub-problems of a decomposed run are solved: a local process pool, or Ray tasks.

A :class:`Task` is plain data (a sub-problem, its parameters and an absolute wall-clock
deadline); an :class:`Outcome` is plain data back (the sub-plan, or ``None`` and the error).
Each task sets its own search budget when it starts: its share, cut to what is left before
the deadline minus the time a sub-problem needs around the search, so tasks that start
late still finish in time. A task that fails comes back as a failed outcome; one still
running past the deadline plus a grace is abandoned (its process killed by id) and reported
as timed out. The rest of the night completes either way.

The process pool uses ``forkserver`` (never ``fork``: the service runs jobs in threads), so
each worker imports OR-Tools once and gets the sub-problem pickled; workers report progress
through a queue and stop through a shared event. Ray runs the same function as tasks on the
cluster at ``address`` (or a local instance started and stopped here).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any, Protocol

from dispatch.model import Problem
from dispatch.plan import Plan
from solver.params import SolveParams

log = logging.getLogger(__name__)

#: Seconds a task may run past its deadline before it is abandoned as timed out.
GRACE_S = 5.0
#: Seconds of work around the search per request of a sub-problem (layout, model, checks).
OVERHEAD_S_PER_REQUEST = 0.004
#: Shortest search a task gets, however late it starts.
MIN_SEARCH_S = 0.2
#: The environment variable naming an existing Ray cluster.
RAY_ADDRESS_ENV = "DISPATCH_RAY_ADDRESS"


@dataclass(frozen=True)
class Task:
    """One sub-problem to solve: ``budget_s`` of search, all of it done by ``deadline`` (epoch s)."""

    key: str
    problem: Problem
    params: SolveParams
    budget_s: float
    deadline: float


@dataclass(frozen=True)
class Outcome:
    """What became of a task: ``plan`` (validated on its sub-problem) or ``error``."""

    key: str
    plan: Plan | None
    status: str
    seconds: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PartProgress:
    """A sub-problem's state: queued, running, done, failed or timed out; ``fraction`` of its budget."""

    key: str
    state: str
    fraction: float = 0.0
    message: str = ""


#: Called with each change of a sub-problem's state.
PartCallback = Callable[[PartProgress], None]


class Backend(Protocol):
    """Runs tasks and returns one outcome per task, keyed by the task's key."""

    workers: int

    def run(
        self,
        tasks: Sequence[Task],
        on_progress: PartCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, Outcome]:
        """Solve every task; never raises for a task's failure."""
        ...


def search_budget(task: Task, now: float | None = None) -> float:
    """The search seconds a task takes when it starts ``now``: its share, cut to the deadline."""
    now = time.time() if now is None else now
    overhead = OVERHEAD_S_PER_REQUEST * len(task.problem.requests)
    return max(MIN_SEARCH_S, min(task.budget_s, task.deadline - now - overhead))


def solve_task(
    task: Task,
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Outcome:
    """Solve one task where it runs; any exception becomes a failed outcome."""
    from solver.solve import solve  # imported here: workers pay for OR-Tools once, at first use

    started = time.monotonic()
    try:
        params = replace(task.params, time_limit_s=search_budget(task), workers=1)
        result = solve(task.problem, params, progress, should_stop)
    except Exception as exc:  # one branch's failure must not sink the night
        log.exception("sub-problem %s failed", task.key)
        return Outcome(task.key, None, "failed", time.monotonic() - started, f"{type(exc).__name__}: {exc}")
    return Outcome(task.key, result.plan, result.status, time.monotonic() - started)


def timed_out(task: Task, started: float) -> Outcome:
    """The outcome of a task abandoned at its deadline."""
    return Outcome(task.key, None, "timed out", time.time() - started, "still running at the deadline")


# --- the process pool -------------------------------------------------------------------

_QUEUE: Any = None
_STOP: Any = None


def _init_worker(progress_queue: Any, stop: Any) -> None:
    global _QUEUE, _STOP  # the worker process's own handles, set once at its start
    _QUEUE, _STOP = progress_queue, stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _pool_task(task: Task) -> Outcome:
    """Run in a pool worker: report the start (with the pid), progress now and then, the end."""
    _QUEUE.put(PartProgress(task.key, "running", 0.0, f"pid {os.getpid()}"))
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        if time.monotonic() - last[0] >= 1.0:
            last[0] = time.monotonic()
            _QUEUE.put(PartProgress(task.key, "running", fraction, message))

    return solve_task(task, progress, _STOP.is_set)


@dataclass
class ProcessBackend:
    """A local pool of ``workers`` processes (the default backend)."""

    workers: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 64:
            raise ValueError(f"workers must be in 1..64, got {self.workers}")

    def run(
        self,
        tasks: Sequence[Task],
        on_progress: PartCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, Outcome]:
        """Solve the tasks, largest first, ``workers`` at a time."""
        if not tasks:
            return {}
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["solver.solve"])
        progress_queue, stop = context.Queue(), context.Event()
        pool = ProcessPoolExecutor(
            self.workers, context, initializer=_init_worker, initargs=(progress_queue, stop)
        )
        outcomes: dict[str, Outcome] = {}
        try:
            outcomes = _drive(pool, tasks, progress_queue, stop, on_progress, should_stop)
        finally:  # wait for the workers (they hold the queue) unless some were abandoned
            abandoned = len(outcomes) < len(tasks) or any(o.status == "timed out" for o in outcomes.values())
            pool.shutdown(wait=not abandoned, cancel_futures=True)
        return outcomes


def _drive(
    pool: ProcessPoolExecutor,
    tasks: Sequence[Task],
    progress_queue: Any,
    stop: Any,
    on_progress: PartCallback | None,
    should_stop: Callable[[], bool] | None,
) -> dict[str, Outcome]:
    started = time.time()
    by_key = {t.key: t for t in tasks}
    pending: dict[Future[Outcome], str] = {pool.submit(_pool_task, t): t.key for t in tasks}
    pids: dict[str, int] = {}
    outcomes: dict[str, Outcome] = {}
    hard_deadline = max(t.deadline for t in tasks) + GRACE_S
    while pending and time.time() < hard_deadline:
        done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        _drain(progress_queue, pids, on_progress)
        for future in done:
            key = pending.pop(future)
            outcomes[key] = _outcome_of(future, by_key[key], started)
            _report(on_progress, outcomes[key])
        if should_stop is not None and should_stop():
            stop.set()
    _drain(progress_queue, pids, on_progress)
    for future, key in pending.items():  # past the deadline: abandon, kill by pid
        future.cancel()
        outcomes[key] = timed_out(by_key[key], started)
        _report(on_progress, outcomes[key])
        if key in pids:
            _kill(pids[key])
    return outcomes


def _outcome_of(future: Future[Outcome], task: Task, started: float) -> Outcome:
    try:
        return future.result()
    except Exception as exc:  # a worker that died (killed, out of memory): the task failed
        return Outcome(task.key, None, "failed", time.time() - started, f"{type(exc).__name__}: {exc}")


def _drain(progress_queue: Any, pids: dict[str, int], on_progress: PartCallback | None) -> None:
    while True:
        try:
            item: PartProgress = progress_queue.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        if item.message.startswith("pid "):
            pids[item.key] = int(item.message[4:])
        if on_progress is not None:
            on_progress(item)


def _report(on_progress: PartCallback | None, outcome: Outcome) -> None:
    if on_progress is None:
        return
    state = "done" if outcome.plan is not None else outcome.status
    on_progress(PartProgress(outcome.key, state, 1.0, outcome.error or outcome.status))


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --- Ray ----------------------------------------------------------------------------------


@dataclass
class RayBackend:
    """Ray tasks on the cluster at ``address`` (``DISPATCH_RAY_ADDRESS``), or a local instance.

    A local instance is started with ``workers`` CPUs and shut down after the run. Ray
    tasks report when they end; a stop request cancels the tasks not yet started, and
    those past the deadline plus the grace are cancelled and reported as timed out.
    """

    workers: int = 2
    address: str | None = None

    def run(
        self,
        tasks: Sequence[Task],
        on_progress: PartCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, Outcome]:
        """Solve the tasks as Ray tasks, one CPU each."""
        import ray

        if not tasks:
            return {}
        address = self.address or os.environ.get(RAY_ADDRESS_ENV) or None
        owned = not ray.is_initialized()
        if owned:
            ray.init(
                address=address,
                num_cpus=None if address else self.workers,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        try:
            return _drive_ray(ray, tasks, on_progress, should_stop)
        finally:
            if owned:
                ray.shutdown()


def _drive_ray(
    ray: Any, tasks: Sequence[Task], on_progress: PartCallback | None, should_stop: Callable[[], bool] | None
) -> dict[str, Outcome]:
    started = time.time()
    remote = ray.remote(num_cpus=1, max_retries=0)(solve_task)
    refs = {remote.remote(t): t for t in tasks}
    for t in tasks:
        if on_progress is not None:
            on_progress(PartProgress(t.key, "queued"))
    outcomes: dict[str, Outcome] = {}
    hard_deadline = max(t.deadline for t in tasks) + GRACE_S
    while refs and time.time() < hard_deadline:
        ready, _ = ray.wait(list(refs), num_returns=1, timeout=0.2)
        for ref in ready:
            task = refs.pop(ref)
            try:
                outcomes[task.key] = ray.get(ref)
            except Exception as exc:  # the task's worker died or the task raised
                outcomes[task.key] = Outcome(
                    task.key, None, "failed", time.time() - started, f"{type(exc).__name__}: {exc}"
                )
            _report(on_progress, outcomes[task.key])
        if should_stop is not None and should_stop():
            for ref in refs:
                ray.cancel(ref, force=False)
    for ref, task in refs.items():
        ray.cancel(ref, force=True)
        outcomes[task.key] = timed_out(task, started)
        _report(on_progress, outcomes[task.key])
    return outcomes


def make_backend(name: str, workers: int = 2, ray_address: str | None = None) -> Backend:
    """The backend called ``name``: ``process`` or ``ray``."""
    if name == "process":
        return ProcessBackend(workers)
    if name == "ray":
        return RayBackend(workers, ray_address)
    raise ValueError(f"backend must be 'process' or 'ray', got {name!r}")
