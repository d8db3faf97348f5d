"""Path and query parameters shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from data.storage.models import ID_LENGTH

#: Any text but NUL, which PostgreSQL cannot store or compare.
NO_NUL = r"^[^\x00]+$"

PathId = Annotated[str, Path(min_length=1, max_length=ID_LENGTH, pattern=NO_NUL)]
BranchQuery = Annotated[str | None, Query(min_length=1, max_length=ID_LENGTH, pattern=NO_NUL)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A plan job's id.")]
