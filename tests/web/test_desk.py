"""The desk page in Chromium against the service with the demo network and a plan in force."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from data.storage.db import make_engine, make_sessions
from data.storage.models import AbsenceRow, EngineerRow, ShiftRow
from tests.web.conftest import Desk, screenshot, sign_in


def _on_shift(desk: Desk, branches: set[str] | None = None) -> set[str]:
    """Engineers with a shift on the demo day and no absence, from the database itself."""
    engine = make_engine(desk.database_url)
    with make_sessions(engine)() as session:
        shifts = set(session.scalars(select(ShiftRow.engineer_id).where(ShiftRow.date == desk.day)))
        away = set(session.scalars(select(AbsenceRow.engineer_id).where(AbsenceRow.date == desk.day)))
        home = {e: b for e, b in session.execute(select(EngineerRow.engineer_id, EngineerRow.branch_id))}
    engine.dispose()
    return {e for e in shifts - away if branches is None or home[e] in branches}


def _stops(desk: Desk, key: str = "coordinator") -> dict[str, str]:
    """Every visit of the day in the plans in force: request id -> engineer id."""
    plans = desk.call("GET", f"/plans/current?date={desk.day}", key).json()
    return {
        s["request_id"]: r["engineer_id"]
        for p in plans
        for r in p["plan"]["routes"]
        if r["date"] == desk.day.isoformat()
        for s in r["stops"]
    }


def test_board_shows_every_engineer_on_shift(page: Any, desk: Desk) -> None:
    """One row per engineer on shift, and one block per visit of the plan in force, in its engineer's row."""
    sign_in(page, desk)
    rows = page.locator("[data-engineer-id]").evaluate_all("els => els.map(e => e.dataset.engineerId)")
    assert set(rows) == _on_shift(desk) and len(rows) == len(set(rows))
    blocks = page.locator("[data-engineer-id] [data-request-id]").evaluate_all(
        "els => els.map(e => [e.dataset.requestId, e.closest('[data-engineer-id]').dataset.engineerId])"
    )
    assert dict(blocks) == _stops(desk) and len(blocks) == len(dict(blocks))
    assert page.locator(".lunch").count() > 0 and page.locator(".drive").count() > 0
    screenshot(page, "board")


def test_signing_in_while_the_page_still_loads_its_settings(page: Any, desk: Desk) -> None:
    """A sign-in submitted before ``/desk/config`` answers still loads the board (no native form reload)."""
    held: list[Any] = []
    page.route("**/desk/config", lambda route: held.append(route))
    sign_in(page, desk)
    assert page.url.endswith(f"?date={desk.day.isoformat()}") and len(held) == 1
    held[0].continue_()
    page.locator('[data-tab="map"]').click()
    page.wait_for_selector("#map .leaflet-interactive")


def test_clicking_a_visit_shows_its_details(page: Any, desk: Desk) -> None:
    """A click opens the visit's details; so does Enter on a focused block (keyboard use)."""
    sign_in(page, desk)
    block = page.locator("[data-request-id]").first
    request_id = block.get_attribute("data-request-id")
    block.click()
    dialog = page.locator("#details")
    assert dialog.is_visible() and request_id in dialog.locator("#details-title").inner_text()
    assert _stops(desk)[request_id] in dialog.locator("#details-body").inner_text()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    second = page.locator("[data-request-id]").nth(1)
    second.focus()
    page.keyboard.press("Enter")
    assert second.get_attribute("data-request-id") in dialog.locator("#details-title").inner_text()


def _problem(desk: Desk) -> Any:
    """The stored demo day as the domain sees it (skills, shifts)."""
    from zoneinfo import ZoneInfo

    from data.storage.problem import build_problem
    from data.travel import GeodesicTravel

    engine = make_engine(desk.database_url)
    with make_sessions(engine)() as session:
        scoped = build_problem(
            session, [desk.day], None, ZoneInfo("Asia/Shanghai"), GeodesicTravel(30.0, 1.3)
        )
    engine.dispose()
    return scoped.problem


def _forbidden_pair(desk: Desk, only: str | None = None) -> tuple[str, str]:
    """A visit and an engineer on shift in the same branch (``only`` that one) who lacks the visit's skills."""
    problem = _problem(desk)
    on_duty = _on_shift(desk)
    for request_id, engineer_id in sorted(_stops(desk).items()):
        request = problem.request_by_id[request_id]
        branch = problem.engineer_by_id[engineer_id].branch_id
        if only is not None and branch != only:
            continue
        for other in problem.engineers:
            if (
                other.branch_id == branch
                and other.engineer_id in on_duty
                and not request.required_skills <= other.skills
            ):
                return request_id, other.engineer_id
    raise AssertionError("the demo day has no visit some colleague lacks the skills for")


def _versions(desk: Desk) -> dict[str, int]:
    plans = desk.call("GET", f"/plans/current?date={desk.day}").json()
    return {p["branch_id"]: p["version"] for p in plans}


def test_a_forbidden_move_is_refused_with_its_violation(page: Any, desk: Desk) -> None:
    """Moving a visit to an engineer without its skills shows the `skills` violation and stores nothing."""
    request_id, engineer_id = _forbidden_pair(desk)
    before = _versions(desk)
    sign_in(page, desk)
    page.locator(f'[data-request-id="{request_id}"]').click()
    page.select_option("#move-engineer", engineer_id)
    page.locator("#move-form button[type=submit]").click()
    refused = page.locator('#move-result .violations li[data-code="skills"]')
    refused.wait_for()
    assert request_id in refused.inner_text() and engineer_id in refused.inner_text()
    assert _versions(desk) == before
    assert _stops(desk)[request_id] != engineer_id


def test_a_managers_forbidden_move_is_refused_by_the_save(page: Any, desk: Desk) -> None:
    """A branch manager may not call /plans/check; the save checks instead and the page shows its violation."""
    request_id, engineer_id = _forbidden_pair(desk, "B01")
    before = _versions(desk)
    sign_in(page, desk, "manager_b01")
    page.locator(f'[data-request-id="{request_id}"]').click()
    page.select_option("#move-engineer", engineer_id)
    page.locator("#move-form button[type=submit]").click()
    page.locator('#move-result .violations li[data-code="skills"]').wait_for()
    assert _versions(desk) == before


def test_the_map_draws_routes_without_tiles(page: Any, desk: Desk) -> None:
    """The map tab draws each route (Leaflet served by the app) over a plain background, no tile fetched."""
    sign_in(page, desk)
    page.locator('[data-tab="map"]').click()
    page.wait_for_selector("#map .leaflet-interactive")
    assert page.locator("#map.plain").count() == 1
    assert page.locator("#map .leaflet-tile").count() == 0
    lines = page.locator("#map path.leaflet-interactive").count()
    busy = sum(1 for r in page.locator("#map-engineer option").all() if r.get_attribute("value"))
    assert lines >= busy > 0
    screenshot(page, "map")


def test_a_branch_manager_sees_only_their_branch(page: Any, desk: Desk) -> None:
    """The manager of B01 gets B01's engineers on the board and B01 alone in the KPIs."""
    sign_in(page, desk, "manager_b01")
    rows = page.locator("[data-engineer-id]").evaluate_all("els => els.map(e => e.dataset.engineerId)")
    assert set(rows) == _on_shift(desk, {"B01"})
    page.locator('[data-tab="kpis"]').click()
    branches = page.locator("#kpi-table tbody tr").evaluate_all("els => els.map(e => e.dataset.branchId)")
    assert branches == ["B01"]
    bars = page.locator("#kpi-chart svg rect[data-branch-id]").evaluate_all(
        "els => els.map(e => e.dataset.branchId)"
    )
    assert bars == ["B01", "B01"]


def test_a_bad_key_is_refused_and_labels_switch_to_english(page: Any, desk: Desk) -> None:
    """An unknown key brings the sign-in back with a message; the English switch relabels the page."""
    page.goto(f"{desk.url}/desk/?date={desk.day.isoformat()}")
    assert page.locator("h1").inner_text() == "调度台"
    page.locator("#api-key").fill("dsp_not-a-key")
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_selector("#signin-error:has-text('密钥无效')")
    page.locator("#lang").click()
    assert page.locator("h1").inner_text() == "Dispatch desk"
    assert page.locator('[data-tab="board"]').inner_text() == "Day board"
    assert page.evaluate("sessionStorage.getItem('desk.apiKey')") is None


def test_unassigned_work_is_listed_once_with_its_reason(page: Any, desk: Desk) -> None:
    """Every unassigned request of the day's plans is listed once with reason and detail; Enter opens it."""
    plans = desk.call("GET", f"/plans/current?date={desk.day}").json()
    expected = {u["request_id"]: u["reason"] for p in plans for u in p["plan"]["unassigned"]}
    sign_in(page, desk)
    page.locator('[data-tab="unassigned"]').click()
    rows = page.locator("#unassigned-table tbody tr")
    listed = rows.evaluate_all(
        "els => els.map(e => [e.dataset.requestId, e.cells[2].textContent, e.cells[3].textContent])"
    )
    assert sorted(r for r, _, _ in listed) == sorted(expected)
    assert all(f"({expected[r]})" in reason and detail for r, reason, detail in listed)
    if listed:
        rows.first.focus()
        page.keyboard.press("Enter")
        assert listed[0][0] in page.locator("#details-title").inner_text()
        assert listed[0][2] in page.locator("#details-body").inner_text()


def test_a_planner_sees_the_board_without_customer_data(page: Any, desk: Desk) -> None:
    """A planner (no customer data, no request reads) still gets every row and visit; details hold no phone."""
    sign_in(page, desk, "planner")
    rows = page.locator("[data-engineer-id]").evaluate_all("els => els.map(e => e.dataset.engineerId)")
    assert set(rows) == _on_shift(desk)
    assert page.locator("[data-engineer-id] [data-request-id]").count() == len(_stops(desk))
    page.locator("[data-engineer-id] [data-request-id]").first.click()
    assert "电话" not in page.locator("#details-body").inner_text()


def test_a_day_without_a_plan_says_so(page: Any, desk: Desk) -> None:
    """Another day: no rows, and the status line says no plan is in force."""
    sign_in(page, desk)
    page.fill("#day", "2030-01-07")
    page.dispatch_event("#day", "change")
    page.wait_for_selector("#status:has-text('该日没有生效的排程')")
    assert page.locator("[data-engineer-id]").count() == 0
