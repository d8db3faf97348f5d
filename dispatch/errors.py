"""Malformed input, named down to the file, row and field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One defect in the input: where it is and what is wrong.

    ``row`` is the line of the file as a spreadsheet numbers it (the header is row 1),
    or ``None`` when the defect concerns the whole file (a missing column, say).
    """

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.field:
            where += f" field {self.field}"
        return f"{where}: {self.message}"


class InputError(ValueError):
    """The input cannot be used; every defect found is listed, nothing was written."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, row: int | None, field: str | None, message: str) -> InputError:
        """An error with one defect."""
        return cls([InputProblem(file, row, field, message)])
