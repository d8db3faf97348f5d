"""The contract's tables as rows of text, from a folder of CSV files or one ``.xlsx`` workbook.

Every cell is kept as a stripped string. :class:`Row` parses cells on demand and records
each defect in a shared :class:`Defects` list instead of raising, so that one load
reports every defect of every file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pandas as pd

from dispatch.errors import InputError, InputProblem

T = TypeVar("T")

#: The contract's files, without ``.csv``; the last two may be absent.
FILES = ("branches", "engineers", "shifts", "requests", "products", "slots")
OPTIONAL_FILES = frozenset({"products", "slots"})

#: Stand-ins returned for a cell that failed to parse; the row is dropped anyway.
NO_DATE = date(2000, 1, 1)
NO_TIME = time(0)

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_COUNT = re.compile(r"\+?(\d+)(?:\.0*)?")  # "6.0" is how some spreadsheets write 6


@dataclass
class Defects:
    """The defects found so far, raised together as one :class:`InputError`."""

    problems: list[InputProblem] = field(default_factory=list)

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        """Record one defect."""
        self.problems.append(InputProblem(file, row, column, message))

    def raise_if_any(self) -> None:
        """Raise every defect recorded so far, if there is one."""
        if self.problems:
            raise InputError(self.problems)


@dataclass(frozen=True)
class Table:
    """One contract file: its name in messages, its columns and its non-blank rows.

    ``records`` pairs each row's spreadsheet number (the header is row 1) with its cells.
    """

    file: str
    columns: frozenset[str]
    records: list[tuple[int, dict[str, str]]]

    def require(self, columns: tuple[str, ...], defects: Defects) -> None:
        """Record each of ``columns`` that the file lacks."""
        for name in columns:
            if name not in self.columns:
                defects.add(self.file, None, name, "missing column")

    def rows(self, defects: Defects) -> Iterator[Row]:
        """The rows, ready to parse."""
        for number, cells in self.records:
            yield Row(self.file, number, cells, defects)


def read_tables(path: Path, defects: Defects) -> dict[str, Table]:
    """The tables found at ``path``, keyed by contract name; what is missing is a defect."""
    if path.is_dir():
        return _read_folder(path, defects)
    if path.is_file() and path.suffix.lower() == ".xlsx":
        return _read_workbook(path, defects)
    defects.add(path.name, None, None, "not a folder of CSV files nor an .xlsx workbook")
    return {}


def _read_folder(folder: Path, defects: Defects) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for name in FILES:
        file = f"{name}.csv"
        if not (folder / file).is_file():
            if name not in OPTIONAL_FILES:
                defects.add(file, None, None, "missing file")
            continue
        try:
            frame = pd.read_csv(
                folder / file, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
            )
        except ValueError as exc:  # a decoding, parsing or empty-file error
            defects.add(file, None, None, f"cannot read as UTF-8 CSV: {exc}")
            continue
        tables[name] = _table(file, frame)
    return tables


def _read_workbook(book: Path, defects: Defects) -> dict[str, Table]:
    try:
        sheets = pd.read_excel(book, sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # openpyxl and zipfile raise many kinds; all mean "unreadable"
        defects.add(book.name, None, None, f"cannot read as an .xlsx workbook: {exc}")
        return {}
    tables: dict[str, Table] = {}
    for sheet, frame in sheets.items():
        name = str(sheet).strip().lower().removesuffix(".csv")
        if name in tables:
            defects.add(book.name, None, None, f"two sheets for {name}: {tables[name].file} and {sheet}")
        elif name in FILES:
            tables[name] = _table(f"{book.name}!{sheet}", frame)
    for name in FILES:
        if name not in tables and name not in OPTIONAL_FILES:
            defects.add(book.name, None, None, f"missing sheet {name}")
    return tables


def _table(file: str, frame: pd.DataFrame) -> Table:
    columns = [str(c).strip() for c in frame.columns]
    records = []
    for index, values in enumerate(frame.fillna("").itertuples(index=False, name=None)):
        cells = {c: str(v).strip() for c, v in zip(columns, values, strict=True)}
        if any(cells.values()):
            records.append((index + 2, cells))
    return Table(file, frozenset(columns), records)


class Row:
    """One row's cells, parsed on demand.

    A cell that fails to parse records a defect, marks the row not ``ok`` and yields a
    stand-in value, so that a builder can read every field and report every defect.
    """

    def __init__(self, file: str, number: int, cells: dict[str, str], defects: Defects) -> None:
        self.file, self.sheet_row, self._cells, self._defects = file, number, cells, defects
        self._bad: set[str] = set()

    @property
    def ok(self) -> bool:
        """Whether no cell of the row has a defect."""
        return not self._bad

    def fine(self, *names: str) -> bool:
        """Whether the named cells have no defect (to guard checks across cells)."""
        return self._bad.isdisjoint(names)

    def error(self, name: str, message: str) -> None:
        """Record a defect of the cell ``name``."""
        self._bad.add(name)
        self._defects.add(self.file, self.sheet_row, name, message)

    def text(self, name: str) -> str:
        """The cell as text; empty when blank or when the column is absent."""
        return self._cells.get(name, "")

    def required(self, name: str, empty: str = "required, but empty") -> str:
        """The cell as text, which must not be empty."""
        value = self.text(name)
        if not value:
            self.error(name, empty)
        return value

    def tags(self, name: str) -> frozenset[str]:
        """The cell's ``;``-separated tags, trimmed, empties dropped."""
        return frozenset(t.strip() for t in self.text(name).split(";") if t.strip())

    def number(self, name: str, low: float, high: float, empty: str = "required, but empty") -> float:
        """A required number within ``low``..``high``."""
        if not self.text(name):
            self.error(name, empty)
        value = self.optional_number(name, low, high)
        return 0.0 if value is None else value

    def optional_number(self, name: str, low: float, high: float) -> float | None:
        """A number within ``low``..``high``, or ``None`` when the cell is empty or out of
        range (the defect is recorded, so nothing is built from the bad value)."""
        value = self._parse(name, _finite, "a number")
        if value is not None and not low <= value <= high:
            how = "negative" if value < 0 <= low else f"outside {low:g}..{high:g}"
            self.error(name, f"{self.text(name)} is {how}")
            return None
        return value

    def count(self, name: str) -> int | None:
        """A non-negative whole number, or ``None`` when the cell is empty."""
        return self._parse(name, _count, "a non-negative integer")

    def day(self, name: str) -> date:
        """A required date ``YYYY-MM-DD``."""
        return self._need(name, self.optional_day, NO_DATE)

    def optional_day(self, name: str) -> date | None:
        """A date ``YYYY-MM-DD``, or ``None`` when the cell is empty."""
        return self._parse(name, _day, "a date YYYY-MM-DD")

    def clock(self, name: str) -> time:
        """A required time of day ``HH:MM``."""
        return self._need(name, self.optional_clock, NO_TIME)

    def optional_clock(self, name: str) -> time | None:
        """A time of day ``HH:MM`` (or ``HH:MM:SS``), or ``None`` when the cell is empty."""
        return self._parse(name, _clock, "a time of day HH:MM")

    def moment(self, name: str, zone: ZoneInfo) -> datetime | None:
        """An ISO 8601 date-time in ``zone`` (naive = local), or ``None`` when empty."""
        value = self._parse(name, datetime.fromisoformat, "an ISO 8601 date-time")
        if value is None:
            return None
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)

    def _need(self, name: str, parse: Callable[[str], T | None], stand_in: T) -> T:
        if not self.text(name):
            self.error(name, "required, but empty")
        value = parse(name)
        return stand_in if value is None else value

    def _parse(self, name: str, parse: Callable[[str], T], what: str) -> T | None:
        text = self.text(name)
        if not text:
            return None
        try:
            return parse(text)
        except ValueError:
            self.error(name, f"{text!r} is not {what}")
            return None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _count(text: str) -> int:
    match = _COUNT.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return int(match.group(1))


def _day(text: str) -> date:
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date.fromisoformat(match.group(1))


def _clock(text: str) -> time:
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(text)
    hours, minutes, seconds = match.groups()
    return time(int(hours), int(minutes), int(seconds or 0))
