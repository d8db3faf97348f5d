"""One request from the API, checked by the contract's own row builder against the stored scenario."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from data._entities import Context, branch, product
from data._tables import Defects, Row
from data.storage.cells import cells_of, columns_of
from data.storage.models import BranchRow, EngineerRow, ProductRow
from dispatch.errors import InputProblem


def request_context(session: Session, zone: ZoneInfo) -> Context:
    """What a request row is checked against: the stored catalogue, branches and engineers."""
    defects = Defects()
    catalogue = dict(
        product(Row("products", 0, cells_of("products", p, zone), defects))
        for p in session.scalars(select(ProductRow))
    )
    branches = [
        branch(Row("branches", 0, cells_of("branches", b, zone), defects))
        for b in session.scalars(select(BranchRow))
    ]
    engineer_ids = frozenset(session.scalars(select(EngineerRow.engineer_id)))
    ids = frozenset(b.branch_id for b in branches)
    return Context(zone, catalogue, {b.branch_id: b for b in branches}, ids, engineer_ids)


def parse_request(
    ctx: Context, cells: Mapping[str, str], *, source: str = "request", row: int = 1, unplaced: bool = False
) -> tuple[dict[str, Any] | None, list[InputProblem]]:
    """The request's column values, or every defect of its cells.

    With ``unplaced`` the coordinates may be missing (the request waits for a location).
    """
    defects = Defects()
    ctx.request(Row(source, row, dict(cells), defects))
    problems = [p for p in defects.problems if not (unplaced and p.field in ("lat", "lon"))]
    if problems:
        return None, problems
    return columns_of("requests", cells, ctx.zone), []
