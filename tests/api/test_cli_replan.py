"""``dispatch replan`` end to end on a small generated city: plan, events, new plan and diff."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from api.cli import app
from data.contract import load_scenario
from data.events import context_of, read_events
from data.generate import generate_city, write_scenario
from data.plan_io import read_plan
from dispatch.model import DEFAULT_ZONE
from dispatch.replan import remaining_day
from dispatch.validate import validate

DAY = date(2026, 12, 1)
NOW = "2026-12-01T10:40:00+08:00"
NOW_DT = datetime.fromisoformat(NOW)
runner = CliRunner()


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated city (6 engineers, 30 requests) and its plan, planned through the CLI."""
    folder = tmp_path_factory.mktemp("city")
    write_scenario(generate_city(5, DAY, engineers=6, requests=30, branches=1), folder / "scenario")
    plan = folder / "plan.json"
    result = runner.invoke(
        app,
        ["plan", str(folder / "scenario"), "--date", "2026-12-01", "--time-limit", "2", "--out", str(plan)],
    )
    assert result.exit_code == 0, result.output
    return folder / "scenario", plan


def _events(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def test_replan_writes_a_valid_plan_and_the_diff(day: tuple[Path, Path], tmp_path: Path) -> None:
    """A sick engineer, a cancellation and a gas leak: the new plan validates, the diff names the changes."""
    scenario, plan_path = day
    zone = ZoneInfo(DEFAULT_ZONE)
    plan = read_plan(plan_path, zone)
    busy = max(plan.routes, key=lambda r: len(r.stops))
    later = [s for _, s in plan.stops() if s.start.hour >= 14]
    events = _events(
        tmp_path / "events.jsonl",
        [
            {"type": "engineer_unavailable", "engineer_id": busy.engineer_id, "from": NOW},
            {"type": "cancellation", "request_id": later[0].request_id},
            {
                "type": "new_request",
                "request": {"request_id": "GAS1", "lat": 31.23, "lon": 121.47, "product": "gas_stove",
                            "priority": "emergency", "fault": "smell of gas"},
            },
        ],
    )  # fmt: skip
    out, diff = tmp_path / "new.json", tmp_path / "diff.json"
    args = ["replan", str(scenario), "--plan", str(plan_path), "--events", str(events), "--now", NOW]
    result = runner.invoke(app, [*args, "--out", str(out), "--diff", str(diff), "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    new = read_plan(out, zone)
    problem = load_scenario(scenario, [DAY])
    answered = remaining_day(problem, new, read_events(events, context_of(problem)), NOW_DT).problem
    assert validate(answered, new) == [], "valid against the scenario, new requests and re-promises"
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["replan"]["now"] == NOW and len(doc["replan"]["events"]) == 3
    reasons = {u["request_id"]: u["reason"] for u in doc["unassigned"]}
    assert reasons[later[0].request_id] == "cancelled"
    changes = json.loads(diff.read_text(encoding="utf-8"))
    assert set(changes) >= {"moved", "reassigned", "broken_promises", "dropped", "notify"}
    sick = [s for r in new.routes if r.engineer_id == busy.engineer_id for s in r.stops]
    assert all(s.start < NOW_DT for s in sick)
    moved_off = {c["request_id"] for c in changes["reassigned"]} | {
        c["request_id"] for c in changes["dropped"]
    }
    open_of_sick = {s.request_id for s in busy.stops if s.start > NOW_DT} - {later[0].request_id}
    assert open_of_sick <= moved_off | {c["request_id"] for c in changes["broken_promises"]}
    assert {c["request_id"] for c in changes["notify"]} >= moved_off


def test_a_malformed_event_line_is_named_and_nothing_written(day: tuple[Path, Path], tmp_path: Path) -> None:
    """A bad line stops the command with exit 2, naming line and field; no plan is written."""
    scenario, plan_path = day
    events = _events(
        tmp_path / "events.jsonl",
        [{"type": "visit_started", "request_id": "R0001"}, {"type": "teleport"}],
    )
    out = tmp_path / "new.json"
    args = ["replan", str(scenario), "--plan", str(plan_path), "--events", str(events), "--now", NOW]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2
    assert "events.jsonl row 1 field at: required, but empty" in result.output
    assert "events.jsonl row 2 field type" in result.output
    assert not out.exists()
