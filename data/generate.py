"""A seeded generator of realistic scenarios in the contract's CSV format.

``generate_city(seed, day)`` draws one Chinese city's after-sales workload: branches on a
ring around the centre, engineers with trade-like skill sets living near their branch,
daily shifts with a lunch break, and repair requests clustered around the branches and the
centre, some already promised a slot, a few emergencies and warranty re-repairs. Every
value is a string in the contract's format, so the tables write straight to CSV or XLSX.
The same arguments always give the same tables.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from data import _generate_requests as req
from data._generate_cities import CITIES, City, city_by_name
from data._generate_people import GenBranch, GenEngineer, GenShift, make_branches, make_engineers, make_shifts
from data._generate_staffing import balance_skills, ensure_coverage
from data.contract import CONTRACT_COLUMNS
from dispatch.rules import DEFAULT_CATALOGUE, DEFAULT_SLOTS

__all__ = ["CITIES", "COLUMNS", "generate_city", "write_scenario", "write_workbook"]

log = logging.getLogger(__name__)

#: The contract's columns of each scenario file, in order.
COLUMNS = CONTRACT_COLUMNS


def generate_city(
    seed: int,
    day: date,
    *,
    engineers: int = 60,
    requests: int = 400,
    branches: int = 4,
    days: int = 1,
    city: str | City = "Shanghai",
    infeasible_share: float = 0.0,
) -> dict[str, pd.DataFrame]:
    """The contract tables of one generated scenario starting on ``day``.

    ``requests`` is the total over the ``days`` planned. With ``infeasible_share`` > 0 that
    share of requests is for a product (``wall_boiler``) no engineer can service; otherwise
    every promise can be kept by some eligible engineer on shift. Returns the tables
    ``branches``, ``engineers``, ``shifts``, ``requests`` and ``products`` (the default
    catalogue, written out); ``slots`` is omitted, meaning the default grid.
    """
    _check(engineers, requests, branches, days, infeasible_share)
    rng = np.random.default_rng(seed)
    where = city if isinstance(city, City) else city_by_name(city)
    outlets = make_branches(rng, where, branches)
    crew = make_engineers(rng, where, outlets, engineers)
    shifts = make_shifts(rng, crew, days)
    work = req.draw_requests(rng, where, outlets, requests, infeasible_share)
    ensure_coverage(rng, crew, shifts, work, days)
    balance_skills(rng, crew, shifts, work, days)
    req.book(rng, work, crew, shifts, days)
    req.add_warranty(rng, work, crew, outlets, shifts)
    req.receive(rng, work, day)
    return {
        "branches": _branch_table(outlets),
        "engineers": _engineer_table(crew),
        "shifts": _shift_table(shifts, day),
        "requests": _request_table(work, day),
        "products": _product_table(),
    }


def _check(engineers: int, requests: int, branches: int, days: int, infeasible_share: float) -> None:
    if engineers < 1 or branches < 1 or days < 1 or requests < 0:
        raise ValueError(
            f"need at least one engineer, branch and day and no negative requests; got "
            f"engineers={engineers}, branches={branches}, days={days}, requests={requests}"
        )
    if not 0.0 <= infeasible_share <= 1.0:
        raise ValueError(f"infeasible_share must lie in [0, 1], got {infeasible_share}")


def _frame(name: str, rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS[name]), dtype=str)


def _deg(x: float) -> str:
    return f"{x:.6f}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _branch_table(branches: list[GenBranch]) -> pd.DataFrame:
    rows = [
        {"branch_id": b.branch_id, "name": b.name, "lat": _deg(b.lat), "lon": _deg(b.lon)} for b in branches
    ]
    return _frame("branches", rows)


def _engineer_table(engineers: list[GenEngineer]) -> pd.DataFrame:
    rows = [
        {
            "engineer_id": e.engineer_id,
            "name": e.name,
            "branch_id": e.branch.branch_id,
            "skills": req.skill_text(e.skills),
            "start_lat": _deg(e.home[0]) if e.home else "",
            "start_lon": _deg(e.home[1]) if e.home else "",
            "max_jobs": str(e.max_jobs) if e.max_jobs else "",
            "phone": e.phone,
        }
        for e in engineers
    ]
    return _frame("engineers", rows)


def _shift_table(shifts: list[GenShift], day: date) -> pd.DataFrame:
    rows = [
        {
            "engineer_id": s.engineer_id,
            "date": (day + timedelta(days=s.day_index)).isoformat(),
            "start": _hhmm(s.start),
            "end": _hhmm(s.end),
            "break_earliest": "11:30",
            "break_latest": "13:30",
            "break_minutes": str(s.break_minutes),
        }
        for s in sorted(shifts, key=lambda s: (s.day_index, s.engineer_id))
    ]
    return _frame("shifts", rows)


def _request_row(rid: str, r: req.GenRequest, day: date) -> dict[str, str]:
    promised = {"promised_date": "", "promised_start": "", "promised_end": ""}
    window = {"earliest_date": "", "latest_date": ""}
    if r.promised:
        start, end = DEFAULT_SLOTS[r.promised[1]].start, DEFAULT_SLOTS[r.promised[1]].end
        promised = {
            "promised_date": (day + timedelta(days=r.promised[0])).isoformat(),
            "promised_start": start.strftime("%H:%M"),
            "promised_end": end.strftime("%H:%M"),
        }
    else:
        window = {
            f"{k}_date": (day + timedelta(days=d)).isoformat()
            for k, d in zip(("earliest", "latest"), r.window, strict=True)
        }
    return {
        "request_id": rid, "received_at": r.received_at,
        "customer": r.customer, "phone": r.phone, "address": r.address,
        "lat": _deg(r.lat), "lon": _deg(r.lon), "product": r.product, "fault": r.fault,
        "priority": r.priority, "duration_min": r.duration_text, "required_skills": r.skills_text,
        **promised, **window, "preferred_engineer_id": r.preferred,
    }  # fmt: skip


def _request_table(requests: list[req.GenRequest], day: date) -> pd.DataFrame:
    """Requests numbered in the order they came in, as a call centre numbers them."""
    ordered = sorted(requests, key=lambda r: r.received_at)
    width = max(4, len(str(len(ordered))))
    return _frame("requests", [_request_row(f"R{i + 1:0{width}d}", r, day) for i, r in enumerate(ordered)])


def _product_table() -> pd.DataFrame:
    rows = [
        {
            "product": name,
            "skills": req.skill_text(spec.skills),
            "duration_min": str(int(spec.duration.total_seconds() // 60)) if spec.duration else "",
        }
        for name, spec in DEFAULT_CATALOGUE.items()
    ]
    return _frame("products", rows)


def write_scenario(tables: Mapping[str, pd.DataFrame], out_dir: Path) -> None:
    """Write one ``<name>.csv`` per table into ``out_dir`` (created), UTF-8 with a header.

    Each file is written to a temporary name and renamed into place, so a reader never
    sees half a file. Contract files already in ``out_dir`` but not in ``tables`` are left
    alone, with a warning, since they would change the scenario when it is read.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        _atomic(out_dir / f"{name}.csv", partial(_to_csv, frame))
    for name in COLUMNS.keys() - tables.keys():
        if (out_dir / f"{name}.csv").exists():
            log.warning("%s/%s.csv is not part of the written scenario but stays", out_dir, name)


def _to_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Write the tables as one ``.xlsx`` workbook, one sheet per table named after it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def save(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as book:
            for name, frame in tables.items():
                frame.to_excel(book, sheet_name=name, index=False)

    _atomic(path, save)


def _atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Run ``write`` on a hidden temporary file next to ``target``, then rename it into place."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
