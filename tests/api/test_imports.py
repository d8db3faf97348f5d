"""``/imports``: the contract's files or one workbook, all or nothing, every defect by file, row and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from data.generate import generate_city, write_workbook
from tests.api.conftest import SMALL, upload


def test_a_bad_import_lists_every_defect_and_writes_nothing(
    client: TestClient, keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    """A bad latitude and an unknown engineer: both named; no branch, engineer or request stored."""
    for p in SMALL.glob("*.csv"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    requests = (tmp_path / "requests.csv").read_text().replace("31.2350,121.5050", "91.5,121.5050")
    (tmp_path / "requests.csv").write_text(requests)
    shifts = (tmp_path / "shifts.csv").read_text().replace("E002,2026-12-01", "E099,2026-12-01")
    (tmp_path / "shifts.csv").write_text(shifts)
    desk = keys["coordinator"]
    answer = client.post("/imports", files=upload(tmp_path), headers=desk)
    assert answer.status_code == 422
    where = {(d["file"], d["row"], d["field"]) for d in answer.json()["detail"]}
    assert where == {("requests.csv", 2, "lat"), ("shifts.csv", 3, "engineer_id")}
    assert client.get("/branches", headers=desk).json() == []
    assert client.get("/engineers", headers=desk).json() == []
    assert client.get("/requests", headers=desk).json() == []


def test_a_workbook_imports_like_the_csv_files(
    client: TestClient, keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    """One .xlsx with a sheet per file: every table stored."""
    book = tmp_path / "city.xlsx"
    write_workbook(generate_city(3, date(2026, 12, 1), engineers=6, requests=20), book)
    files = [
        (
            "files",
            (
                book.name,
                book.read_bytes(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        )
    ]
    answer = client.post("/imports", files=files, headers=keys["coordinator"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["written"]["requests"] == 20
    assert len(client.get("/engineers", headers=keys["coordinator"]).json()) == 6


def test_unknown_file_names_and_missing_tables_are_refused(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """Only the contract's names; into an empty database an import must bring the required files."""
    desk = keys["coordinator"]
    stray = client.post(
        "/imports", files=[("files", ("orders.csv", b"a,b\n1,2\n", "text/csv"))], headers=desk
    )
    assert stray.status_code == 422 and "orders.csv" in stray.json()["detail"][0]["file"]
    alone = client.post("/imports", files=upload(SMALL, "requests.csv"), headers=desk)
    assert alone.status_code == 422
    assert {d["file"] for d in alone.json()["detail"]} == {"branches.csv", "engineers.csv", "shifts.csv"}


def test_a_later_import_of_requests_alone_uses_the_stored_scenario(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """requests.csv on its own is checked against stored engineers, and upserted."""
    desk = keys["coordinator"]
    text = b"request_id,lat,lon,product,priority,preferred_engineer_id\nR0200,31.11,121.38,dishwasher,normal,E003\n"
    answer = loaded.post("/imports", files=[("files", ("requests.csv", text, "text/csv"))], headers=desk)
    assert answer.status_code == 201 and answer.json()["written"] == {"requests": 1}
    stored = loaded.get("/requests/R0200", headers=desk).json()
    assert stored["branch_id"] == "B02" and stored["preferred_engineer_id"] == "E003"
