"""Views of stored plans: one branch's share of a plan, one engineer's route, plan checks."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.models import EngineerRow, RequestRow
from data.storage.problem import Scoped
from dispatch.plan import Plan
from dispatch.validate import Violation, validate


def owners(session: Session, document: dict[str, Any]) -> tuple[dict[str, str], dict[str, str | None]]:
    """The branch of each engineer with a route, and the (nearest) branch of each request, in a plan."""
    engineers = {r.get("engineer_id") for r in document.get("routes", [])}
    requests = {s.get("request_id") for r in document.get("routes", []) for s in r.get("stops", [])}
    requests |= {u.get("request_id") for u in document.get("unassigned", [])}
    crew = session.execute(
        select(EngineerRow.engineer_id, EngineerRow.branch_id).where(EngineerRow.engineer_id.in_(engineers))
    )
    work = session.execute(
        select(RequestRow.request_id, RequestRow.branch_id).where(RequestRow.request_id.in_(requests))
    )
    return {e: b for e, b in crew}, {r: b for r, b in work}


def restrict(session: Session, document: dict[str, Any], branches: Collection[str]) -> dict[str, Any]:
    """The part of a plan document that concerns ``branches``: their routes, work and figures."""
    crew, work = owners(session, document)
    kpis = document.get("kpis", {})
    per_branch = kpis.get("branches", {}) if isinstance(kpis, dict) else {}
    return {
        "dates": document.get("dates", []),
        "routes": [r for r in document.get("routes", []) if crew.get(r.get("engineer_id")) in branches],
        "unassigned": [
            u for u in document.get("unassigned", []) if work.get(u.get("request_id")) in branches
        ],
        "kpis": {"branches": {b: v for b, v in per_branch.items() if b in branches}},
    }


def check(scoped: Scoped, plan: Plan) -> list[Violation]:
    """Every violation of ``plan`` against the stored work, requests without a location included.

    Those cannot be in the problem (no coordinates): the plan must list them as unassigned.
    """
    waiting = {u.request_id for u in scoped.unplaced}
    listed = {u.request_id for u in plan.unassigned}
    found = [
        Violation(
            "needs_location", "has no coordinates, so it cannot be on a route", s.request_id, r.engineer_id
        )
        for r, s in plan.stops()
        if s.request_id in waiting
    ]
    found += [
        Violation("missing_request", "neither on a route nor unassigned", rid)
        for rid in sorted(waiting - listed)
    ]
    rest = Plan(
        plan.dates, plan.routes, [u for u in plan.unassigned if u.request_id not in waiting], plan.kpis
    )
    return found + validate(scoped.problem, rest)
