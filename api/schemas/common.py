"""Field types shared by the wire schemas: bounded text without NUL, finite numbers, ids."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from data.storage.models import ID_LENGTH


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    return text


Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_LENGTH), AfterValidator(_no_nul)]
Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_no_nul)]
Number = Annotated[float, Field(allow_inf_nan=False)]
#: On-site minutes: up to a week, as the contract reader accepts.
Minutes = Annotated[float, Field(ge=0, le=7 * 24 * 60, allow_inf_nan=False)]


class Problem(BaseModel):
    """One defect of an upload or a stored scenario: where it is and what is wrong."""

    file: str
    row: int | None
    field: str | None
    message: str


class Message(BaseModel):
    """An error's explanation."""

    detail: str
