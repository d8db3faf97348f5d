"""Imports in the contract's format: all or nothing, every defect named by file, row and field.

An import brings some of the contract's files (or one workbook). Each table it brings is
upserted by key (``slots.csv`` replaces the grid); the tables it does not bring are taken
from the database. The whole scenario that would result is checked by the contract's own
reader (:func:`data.contract.load_scenario`) before anything is written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data._tables import FILES, OPTIONAL_FILES, Defects, Table, read_tables
from data.contract import load_scenario
from data.storage.cells import FIELDS, columns_of
from data.storage.models import ID_LENGTH
from data.storage.scenario import KEYS, ORDER, ROWS, key_of, reassign_branches, stored_cells, upsert
from dispatch.errors import InputError, InputProblem

#: The file names an import accepts, besides one ``.xlsx`` workbook.
CSV_NAMES = tuple(f"{name}.csv" for name in FILES)


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as sent and its bytes."""

    name: str
    content: bytes


def import_files(session: Session, uploads: list[Upload], zone: ZoneInfo) -> dict[str, int]:
    """Check and store the uploaded files; the rows written per table.

    Raises :class:`InputError` listing every defect; then nothing is written.
    """
    with tempfile.TemporaryDirectory(prefix="dispatch-import-") as tmp:
        tables = _read_uploads(session, uploads, Path(tmp), zone)
        _check(session, tables, Path(tmp) / "merged", zone)
    written: dict[str, int] = {}
    for name in ORDER:
        if name in tables:
            rows = [columns_of(name, cells, zone) for _, cells in tables[name].records]
            written[name] = upsert(session, name, rows, zone)
    if "branches" in tables:
        reassign_branches(session)
    return written


def _read_uploads(session: Session, uploads: list[Upload], folder: Path, zone: ZoneInfo) -> dict[str, Table]:
    names = [u.name for u in uploads]
    books = [n for n in names if n.lower().endswith(".xlsx")]
    bad = [n for n in names if n not in CSV_NAMES and n not in books]
    if not uploads:
        raise InputError.single("files", None, None, "no file uploaded")
    if bad or (books and len(names) > 1) or len(set(names)) < len(names):
        expected = ", ".join(CSV_NAMES)
        raise InputError.single(
            ", ".join(bad or names), None, None, f"send {expected} (each once), or one .xlsx workbook"
        )
    upload_dir = folder / "upload"
    upload_dir.mkdir()
    for upload in uploads:
        (upload_dir / Path(upload.name).name).write_bytes(upload.content)
    defects = Defects()
    source = upload_dir / books[0] if books else upload_dir
    tables = read_tables(source, defects)
    stored = {name for name in FILES if name not in OPTIONAL_FILES and has_rows(session, name)}
    defects.problems = [p for p in defects.problems if not _absent_but_stored(p, stored)]
    for table in tables.values():
        _check_lengths(table, defects)
    defects.raise_if_any()
    return tables


def has_rows(session: Session, name: str) -> bool:
    """Whether the database holds rows of the contract table ``name``."""
    return session.scalar(select(ROWS[name]).limit(1)) is not None


def _absent_but_stored(problem: InputProblem, stored: set[str]) -> bool:
    """A file missing from the upload is no defect when the database has that table."""
    if problem.row is not None or problem.field is not None:
        return False
    return any(problem.message in ("missing file", f"missing sheet {n}") and
               (problem.file == f"{n}.csv" or problem.message.endswith(f" {n}")) for n in stored)  # fmt: skip


def _check_lengths(table: Table, defects: Defects) -> None:
    name = table.file.split("!")[-1].removesuffix(".csv").lower()
    for number, cells in table.records:
        for column in KEYS.get(name, ()):
            if len(cells.get(column, "")) > ID_LENGTH:
                defects.add(table.file, number, column, f"longer than {ID_LENGTH} characters")
        for column, text in cells.items():
            if "\x00" in text:
                defects.add(table.file, number, column, "contains a NUL character")


def _check(session: Session, tables: Mapping[str, Table], folder: Path, zone: ZoneInfo) -> None:
    """Write the scenario the import would leave and read it back with the contract's reader."""
    folder.mkdir()
    origin: dict[str, tuple[str, int]] = {}
    for name in FILES:
        table = tables.get(name)
        last = max((n for n, _ in table.records), default=1) if table else 1
        stored = [] if name == "slots" and table else stored_cells(session, name, zone)
        if table is None and not stored:
            continue
        _write_merged(folder / f"{name}.csv", name, table, stored, zone)
        origin[f"{name}.csv"] = (table.file if table else f"stored {name}", last)
    try:
        load_scenario(folder, [date.today()], zone=str(zone))
    except InputError as exc:
        raise InputError([_locate(p, origin) for p in exc.problems]) from exc
    except OverflowError as exc:  # a duration of millions of days: the reader range-checks it too late
        raise InputError.single(
            ", ".join(sorted(tables)), None, "duration_min", f"a number is too large: {exc}"
        ) from exc


def _write_merged(
    path: Path, name: str, table: Table | None, stored: list[dict[str, str]], zone: ZoneInfo
) -> None:
    """The uploaded rows at their own row numbers, then the stored rows they do not replace."""
    rows: list[dict[str, str]] = []
    replaced: set[tuple[object, ...]] = set()
    if table is not None:
        last = max((n for n, _ in table.records), default=1)
        rows = [{} for _ in range(last - 1)]
        for number, cells in table.records:
            rows[number - 2] = cells
            if KEYS[name]:
                replaced.add(key_of(name, columns_of(name, cells, zone)))
    rows += [
        cells
        for cells in stored
        if not KEYS[name] or key_of(name, columns_of(name, cells, zone)) not in replaced
    ]
    columns = list(dict.fromkeys([*FIELDS[name], *(c for r in rows for c in r)]))
    frame = pd.DataFrame([[r.get(c, "") for c in columns] for r in rows], columns=columns, dtype=str)
    frame.to_csv(path, index=False, encoding="utf-8")


def _locate(problem: InputProblem, origin: Mapping[str, tuple[str, int]]) -> InputProblem:
    """A defect of the merged files as the uploader knows it: their file, or the stored table."""
    file, last = origin.get(problem.file, (problem.file, 1))
    if problem.row is not None and problem.row > last:
        return InputProblem(
            f"stored {problem.file.removesuffix('.csv')}", None, problem.field, problem.message
        )
    return InputProblem(file, problem.row, problem.field, problem.message)
