"""Several searches at once, one per core, the best kept.

OR-Tools' Python binding holds the interpreter lock while it searches, so threads would
take turns; the other searches run in forked processes instead. Each builds its own copy
of the routing model from the same layout (so routing indices agree), searches with its
own seed for what is left of the budget, and sends back its best solution as plain values.
The parent searches too, then restores the best of all into its own model. Worker 1 starts
from another first solution (parallel cheapest insertion), the others from the same one
with other seeds.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.layout import Layout
from solver.model import Model, build_model
from solver.params import SolveParams
from solver.search import Found, found_of, restore, search_one

log = logging.getLogger(__name__)

#: Seconds a worker may overrun the budget before it is abandoned.
GRACE_S = 5.0


def _worker(
    layout: Layout,
    params: SolveParams,
    first: pywrapcp.DefaultRoutingSearchParameters,
    started: float,
    out: Connection,
) -> None:
    """Run one search in a forked process and send its best solution (or None)."""
    try:
        model = build_model(layout, params)
        left = max(0.05, params.time_limit_s - (time.monotonic() - started))
        mine = replace(params, time_limit_s=left)
        solution = search_one(layout, model, mine, first)
        out.send(None if solution is None else found_of(model, solution))
    except Exception:  # a worker's failure must never sink the plan: the parent has its own
        out.send(None)
    finally:
        out.close()


def _varied(
    first: pywrapcp.DefaultRoutingSearchParameters, worker: int
) -> pywrapcp.DefaultRoutingSearchParameters:
    """Worker 1 starts from parallel cheapest insertion, for a different first solution."""
    varied = pywrapcp.DefaultRoutingSearchParameters()
    varied.CopyFrom(first)
    if worker == 1:
        varied.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    return varied


def run_portfolio(
    layout: Layout,
    model: Model,
    params: SolveParams,
    first: pywrapcp.DefaultRoutingSearchParameters,
    should_stop: Callable[[], bool] | None = None,
) -> pywrapcp.Assignment | None:
    """``params.workers`` searches with seeds ``seed``, ``seed + 1``, ...; the best restored."""
    context = multiprocessing.get_context("fork")
    started = time.monotonic()
    workers = []
    for w in range(1, params.workers):
        receive, send = context.Pipe(duplex=False)
        seeded = replace(params, seed=params.seed + w)
        process = context.Process(
            target=_worker, args=(layout, seeded, _varied(first, w), started, send), daemon=True
        )
        process.start()
        send.close()
        workers.append((receive, process))
    own = search_one(layout, model, params, first, should_stop)
    best: Found | None = None if own is None else found_of(model, own)
    stopped = should_stop is not None and should_stop()
    for receive, process in workers:
        wait = 0.0 if stopped else max(0.0, started + params.time_limit_s + GRACE_S - time.monotonic())
        found = receive.recv() if receive.poll(wait) else None
        receive.close()
        process.join(timeout=0.5)
        if process.is_alive():
            process.kill()
            process.join()
        if found is not None and (best is None or found.objective < best.objective):
            best = found
    if best is None:
        return own
    if own is not None and best.objective >= own.ObjectiveValue():
        return own
    log.debug("portfolio: a worker's solution %d beat our own", best.objective)
    return restore(model, best) or own
