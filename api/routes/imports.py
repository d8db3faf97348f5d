"""``/imports``: the contract's files (or one workbook) in one multipart form, all or nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from api.deps import Coordinator, SessionDep, ZoneDep
from api.schemas.common import Message, Problem
from data.storage.imports import Upload, import_files
from dispatch.errors import InputError, InputProblem

router = APIRouter(prefix="/imports", tags=["imports"])

#: The largest file an import takes.
MAX_BYTES = 50 * 1024 * 1024


class ImportResult(BaseModel):
    """How many rows of each table were written."""

    written: dict[str, int]


class ImportProblems(BaseModel):
    """Every defect of the upload, by file, row and field; nothing was written."""

    detail: list[Problem]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ImportProblems},
    401: {"model": Message},
    403: {"model": Message},
}


@router.post("", status_code=201, responses=_RESPONSES)
def create_import(
    files: Annotated[list[UploadFile], File(description="branches.csv, engineers.csv, … or one .xlsx")],
    user: Coordinator,
    session: SessionDep,
    zone: ZoneDep,
) -> ImportResult:
    """Store the contract's files: each table sent is upserted by key, after checking the whole."""
    uploads = [Upload(f.filename or "unnamed", f.file.read(MAX_BYTES + 1)) for f in files]
    large = [
        InputProblem(u.name, None, None, f"larger than {MAX_BYTES // 2**20} MB")
        for u in uploads
        if len(u.content) > MAX_BYTES
    ]
    if large:
        raise InputError(large)
    written = import_files(session, uploads, zone)
    return ImportResult(written=written)
