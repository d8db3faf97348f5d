"""The solver boundary: ``solve(problem, params) -> SolveResult``, plain values in and out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.kpis import plan_kpis
from dispatch.model import Problem
from dispatch.plan import Plan
from dispatch.validate import validate
from solver.extract import dropped, extract_routes
from solver.layout import build_layout
from solver.model import Model, build_model
from solver.params import ProgressCallback, SolveParams
from solver.search import run_search

log = logging.getLogger(__name__)


class SolverBug(RuntimeError):
    """A plan that failed the validator left the search: a defect, never the user's fault."""


@dataclass(frozen=True)
class SolveResult:
    """The plan and how the search went."""

    plan: Plan
    status: str
    objective: int | None
    solutions: int
    seconds: float


def search_parameters(params: SolveParams) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools' search parameters of ``params``: first solution, metaheuristic, insertion order, limits."""
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, params.first_solution)
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic
    )
    search.guided_local_search_lambda_coefficient = params.gls_lambda
    # Insert the most valuable work first (emergencies, then promises): a day short of
    # capacity otherwise fills up with ordinary work that the search rarely undoes.
    order = search.local_cheapest_insertion_parameters
    enum = order.DESCRIPTOR.fields_by_name["insertion_sorting_properties"].enum_type.values_by_name
    order.insertion_sorting_properties[:] = [
        enum["SORTING_PROPERTY_PENALTY"].number,
        enum["SORTING_PROPERTY_ALLOWED_VEHICLES"].number,
    ]
    search.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    return search


def _serves_nothing(model: Model, solution: pywrapcp.Assignment) -> bool:
    """True when no vehicle leaves: what a first insertion cut short by the budget returns."""
    routing = model.routing
    return all(
        routing.IsEnd(solution.Value(routing.NextVar(routing.Start(k)))) for k in range(routing.vehicles())
    )


def _first_solution_past_the_budget(model: Model, params: SolveParams) -> pywrapcp.Assignment | None:
    """The first solution alone, however long it takes: a late plan beats an empty one.

    Only a very large day, a very short budget or a very loaded machine gets here (the
    first insertion of a 60-engineer, 400-request day takes a few seconds).
    """
    log.warning("no first solution within %.1f s: finishing it past the budget", params.time_limit_s)
    search = search_parameters(params)
    search.ClearField("time_limit")
    search.solution_limit = 1
    return model.routing.SolveWithParameters(search)


class _Progress:
    """Reports elapsed budget on a timer and each improving solution as it comes."""

    def __init__(self, params: SolveParams, callback: ProgressCallback | None) -> None:
        self.params, self.callback = params, callback
        self.started = time.monotonic()
        self.solutions = 0
        self.best: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def _emit(self, message: str) -> None:
        if self.callback is None:
            return
        fraction = min(1.0, (time.monotonic() - self.started) / self.params.time_limit_s)
        with self._lock:
            self.callback(fraction, message)

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._emit(f"{self.solutions} solutions, best {self.best}")

    def on_solution(self, cost: int) -> None:
        self.solutions += 1
        self.best = cost
        self._emit(f"solution {self.solutions}: cost {cost}")

    def __enter__(self) -> _Progress:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SolveResult:
    """Plan the problem's days. Infeasible work comes back explained, never raised.

    ``should_stop`` is asked at each solution found; once it answers true, the search ends
    and the best plan found so far comes back.

    Every plan returned has passed :func:`dispatch.validate.validate`.
    """
    params = params or SolveParams()
    started = time.monotonic()
    layout = build_layout(problem, params.protection, params.variation, params.nearest_engineers)
    routes = []
    status, objective, solutions = "nothing to plan", None, 0
    if layout.vehicles and any(v.vehicles for v in layout.visits):
        model = build_model(layout, params)
        with _Progress(params, progress) as tracker:

            def at_solution() -> None:
                tracker.on_solution(model.routing.CostVar().Value())
                if should_stop is not None and should_stop():
                    model.routing.solver().FinishCurrentSearch()

            model.routing.AddAtSolutionCallback(at_solution)
            solution = run_search(layout, model, params, search_parameters(params), should_stop)
            if solution is None or _serves_nothing(model, solution):
                solution = _first_solution_past_the_budget(model, params) or solution
        status = _STATUS.get(model.routing.status(), str(model.routing.status()))
        solutions = tracker.solutions
        if solution is not None:
            objective = solution.ObjectiveValue()
            routes = extract_routes(layout, model, solution)
    served = {s.request_id for r in routes for s in r.stops}
    unassigned = layout.unassigned + dropped(layout, served)
    plan = Plan(list(problem.dates), routes, unassigned)
    plan = Plan(plan.dates, plan.routes, plan.unassigned, plan_kpis(problem, plan))
    violations = validate(problem, plan)
    if violations:
        raise SolverBug("; ".join(str(v) for v in violations[:10]))
    seconds = time.monotonic() - started
    log.info("planned %s: %s, %d solutions, %.1f s", problem.name, status, solutions, seconds)
    return SolveResult(plan, status, objective, solutions, seconds)


_STATUS = {
    0: "not solved",
    1: "solved (local optimum)",
    2: "stopped at the limit",
    3: "no solution found",
    4: "timed out without a solution",
    5: "invalid model",
    6: "infeasible",
    7: "optimal",
}
