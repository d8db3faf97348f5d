"""Calendars: absences from an HR ``.ics`` export cancel shifts; a route comes out as iCalendar too."""

from __future__ import annotations

import time
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from data.ics import read_absences
from dispatch.errors import InputError

ZONE = ZoneInfo("Asia/Shanghai")
LEAVE = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//HR//leave//EN
BEGIN:VEVENT
UID:leave-1
SUMMARY:Annual leave
DTSTART;VALUE=DATE:20261201
DTEND;VALUE=DATE:20261203
END:VEVENT
BEGIN:VEVENT
UID:doctor-1
SUMMARY:Doctor
DTSTART:20261204T013000Z
DTEND:20261204T033000Z
END:VEVENT
END:VCALENDAR
"""


def test_all_day_events_end_before_dtend_and_timed_ones_cover_their_local_day() -> None:
    """RFC 5545's exclusive DTEND for dates; a timed event counts on the day it falls in locally."""
    days = [a.day for a in read_absences(LEAVE, ZONE)]
    assert days == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 4)]


def test_recurring_or_broken_calendars_are_refused_by_name() -> None:
    """An RRULE is not silently expanded or dropped; garbage is not a calendar."""
    recurring = LEAVE.replace(b"UID:leave-1\n", b"UID:leave-1\nRRULE:FREQ=WEEKLY;COUNT=3\n")
    with pytest.raises(InputError) as caught:
        read_absences(recurring, ZONE, "hr.ics")
    assert caught.value.problems[0].file == "hr.ics" and "RRULE" in caught.value.problems[0].message
    with pytest.raises(InputError):
        read_absences(b"not a calendar", ZONE)


def test_an_absence_cancels_the_shift_and_the_plan_has_no_route_for_it(
    loaded: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """E001 on leave on 1 December: the calendar shows it, and the plan gives E001 no route that day."""
    desk, planner = keys["coordinator"], keys["planner"]
    sent = loaded.post(
        "/engineers/E001/absences", files={"file": ("leave.ics", LEAVE, "text/calendar")}, headers=desk
    )
    assert sent.status_code == 201 and [a["date"] for a in sent.json()] == [
        "2026-12-01",
        "2026-12-02",
        "2026-12-04",
    ]
    calendar = loaded.get(
        "/engineers/E001/calendar", params={"start": "2026-12-01", "end": "2026-12-07"}, headers=desk
    ).json()
    assert [s["date"] for s in calendar["shifts"]] == ["2026-12-01"] and len(calendar["absences"]) == 3
    job = loaded.post("/plans", json={"dates": ["2026-12-01"], "time_limit_s": 1}, headers=planner).json()[
        "id"
    ]
    for _ in range(300):
        state = loaded.get(f"/plans/{job}", headers=planner).json()
        if state["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert state["status"] == "done"
    assert "E001" not in {r["engineer_id"] for r in state["plan"]["routes"]}
    bad = loaded.post(
        "/engineers/E001/absences", files={"file": ("x.ics", b"junk", "text/calendar")}, headers=desk
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["file"] == "x.ics"
