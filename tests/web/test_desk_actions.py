"""The desk's actions in Chromium: a valid move saved, a booking, a re-plan, a plan job's progress.

A module of its own (its own service), as these change the plan in force.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.edits import Move, move_visit
from api.routes.views import check
from data.plan_io import plan_from_dict
from data.storage.db import make_engine, make_sessions
from data.storage.problem import build_problem
from data.travel import GeodesicTravel
from tests.web.conftest import Desk, sign_in


def _current(desk: Desk) -> list[dict[str, Any]]:
    return list(desk.call("GET", f"/plans/current?date={desk.day}").json())


def _where(desk: Desk) -> dict[str, str]:
    """Request id -> engineer id of every visit of the day in force."""
    return {
        s["request_id"]: r["engineer_id"]
        for p in _current(desk)
        for r in p["plan"]["routes"]
        if r["date"] == desk.day.isoformat()
        for s in r["stops"]
    }


def _valid_move(desk: Desk) -> tuple[str, str]:
    """A visit and another engineer of its branch it can go to with no violation (searched in-process)."""
    current = _current(desk)
    merged = {"dates": sorted({d for p in current for d in p["plan"]["dates"]}), "kpis": {},
              "routes": [r for p in current for r in p["plan"]["routes"]],
              "unassigned": [u for p in current for u in p["plan"]["unassigned"]]}  # fmt: skip
    zone = ZoneInfo("Asia/Shanghai")
    engine = make_engine(desk.database_url)
    with make_sessions(engine)() as session:
        scoped = build_problem(session, [desk.day], None, zone, GeodesicTravel(30.0, 1.3))
    engine.dispose()
    problem, plan = scoped.problem, plan_from_dict(merged, zone)
    load = {r.engineer_id: len(r.stops) for r in plan.routes}
    for route, stop in plan.stops():
        request = problem.request_by_id[stop.request_id]
        branch = problem.engineer_by_id[route.engineer_id].branch_id
        others = [e for e in problem.engineers if e.engineer_id in load and e.engineer_id != route.engineer_id
                  and e.branch_id == branch and request.required_skills <= e.skills]  # fmt: skip
        for other in sorted(others, key=lambda e: load[e.engineer_id]):
            moved = move_visit(problem, plan, Move(stop.request_id, other.engineer_id, desk.day))
            if not check(scoped, moved):
                return stop.request_id, other.engineer_id
    raise AssertionError("no valid move to another engineer of the branch on the demo day")


def test_a_valid_move_is_checked_and_saved(page: Any, desk: Desk) -> None:
    """A move the validator accepts is saved as a new version; the block shows in its new row."""
    request_id, engineer_id = _valid_move(desk)
    before = {p["branch_id"]: p["version"] for p in _current(desk)}
    sign_in(page, desk)
    page.locator(f'[data-request-id="{request_id}"]').click()
    page.select_option("#move-engineer", engineer_id)
    page.locator("#move-form button[type=submit]").click()
    page.wait_for_selector("#move-result .ok")
    page.keyboard.press("Escape")
    page.wait_for_selector(f'[data-engineer-id="{engineer_id}"] [data-request-id="{request_id}"]')
    assert _where(desk)[request_id] == engineer_id
    after = {p["branch_id"]: p["version"] for p in _current(desk)}
    assert all(after[b] > v for b, v in before.items())


def _has(desk: Desk, path: str) -> bool:
    return path in desk.call("GET", "/openapi.json").json()["paths"]


def _open_next_day(desk: Desk) -> str:
    """Shifts for B01's engineers on the day after the demo day, which the demo plan fills."""
    after = (desk.day + timedelta(days=1)).isoformat()
    crew = [e["engineer_id"] for e in desk.call("GET", "/engineers?branch=B01").json()]
    text = "engineer_id,date,start,end,break_earliest,break_latest,break_minutes\n" + "".join(
        f"{e},{after},08:00,18:00,11:30,13:30,60\n" for e in crew
    )
    answer = desk.call("POST", "/imports", files=[("files", ("shifts.csv", text.encode(), "text/csv"))])
    assert answer.status_code in (200, 201), answer.text
    return after


def test_a_booking_goes_through(page: Any, desk: Desk) -> None:
    """A new caller: the request is stored, graded slots offered, one booked with a work order.

    The demo day is nearly full and its routes serve work of other branches too: an offer
    that left that work out of the board showed room the booking then refused (409). The
    next day is opened for booking (shifts, no plan yet), so that an offer exists."""
    after = _open_next_day(desk)
    sign_in(page, desk)
    page.locator('[data-tab="book"]').click()
    form = page.locator("#book-form")
    for name, value in {"customer": "王女士", "phone": "13800138000", "address": "漕溪北路 88 号",
                        "lat": "31.19", "lon": "121.44", "fault": "不点火"}.items():  # fmt: skip
        form.locator(f'[name="{name}"]').fill(value)
    form.locator('[name="product"]').select_option("gas_stove")
    form.locator("button[type=submit]").click()
    if not _has(desk, "/slots/offer"):
        page.wait_for_selector("#book-message:has-text('/slots/offer')")
        pytest.xfail("POST /slots/offer has not landed yet; the page says so")
    page.wait_for_selector("#offers .offer")
    first = page.locator("#offers .offer").first
    offered_day = first.get_attribute("data-date")
    assert offered_day in (desk.day.isoformat(), after)
    first.locator("input").check()
    page.locator("#offer-form button[type=submit]").click()
    page.wait_for_selector("#booking-result[data-work-order]")
    result = page.locator("#booking-result")
    request_id, work_order = result.get_attribute("data-request-id"), result.get_attribute("data-work-order")
    assert work_order and work_order in result.inner_text()
    booking = desk.call("GET", f"/bookings/{request_id}")
    assert booking.status_code == 200 and booking.json()["work_order"] == work_order
    stored = desk.call("GET", f"/requests/{request_id}").json()
    assert stored["promised_date"] == offered_day == booking.json()["date"]


def test_a_replan_shows_its_diff(page: Any, desk: Desk) -> None:
    """An engineer off from noon: the re-plan is stored and its diff listed; their afternoon is gone."""
    where = _where(desk)
    engineer_id = max(set(where.values()), key=lambda e: sum(1 for v in where.values() if v == e))
    sign_in(page, desk)
    page.locator('[data-tab="plan"]').click()
    form = page.locator("#replan-form")
    form.locator('[name="type"]').select_option("engineer_unavailable")
    form.locator('[name="engineer_id"]').fill(engineer_id)
    form.locator('[name="at"]').fill("12:00")
    form.locator('[name="now"]').fill("12:00")
    form.locator('[name="time_limit_s"]').fill("2")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#replan-result [data-diff=reassigned]", timeout=60_000)
    route = desk.call("GET", f"/engineers/{engineer_id}/route?date={desk.day}").json()
    assert all(s["start"][11:16] < "12:00" for s in route["stops"])


def test_a_plan_job_shows_its_progress(page: Any, desk: Desk) -> None:
    """Planning one branch's day shows the job's progress until it is done, then the new version."""
    sign_in(page, desk)
    page.select_option("#branch-filter", "B02")
    before = {p["branch_id"]: p["version"] for p in _current(desk)}["B02"]
    page.locator('[data-tab="plan"]').click()
    page.locator('#plan-form [name="time_limit_s"]').fill("1")
    page.locator("#plan-form button[type=submit]").click()
    page.wait_for_selector("#plan-progress:not([hidden])")
    page.wait_for_selector("#plan-message:has-text('排程完成')", timeout=60_000)
    after = {p["branch_id"]: p["version"] for p in _current(desk)}["B02"]
    assert after > before
