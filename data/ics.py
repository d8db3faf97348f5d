"""iCalendar in and out: absences from an HR calendar export, an engineer's day as events.

An absence is any event of the calendar: an all-day event covers its days (``DTEND`` is
exclusive, as RFC 5545 says), a timed one every day it touches. Recurring events are not
expanded here: they are reported, so that nobody's leave is silently lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event

from dispatch.errors import InputError, InputProblem

#: The longest absence one event may describe, in days (a guard against typos).
MAX_DAYS = 366


@dataclass(frozen=True)
class Absence:
    """One day off, and the event's summary."""

    day: date
    summary: str


def read_absences(content: bytes, zone: ZoneInfo, file: str = "absences.ics") -> list[Absence]:
    """The days off of an ``.ics`` file; every unusable event is raised as one ``InputError``."""
    try:
        calendar = Calendar.from_ical(content)
    except Exception as exc:  # icalendar raises many kinds on malformed input
        raise InputError.single(file, None, None, f"not an iCalendar file: {exc}") from exc
    found: dict[date, Absence] = {}
    problems: list[InputProblem] = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        try:
            for absence in _days(event, zone):
                found.setdefault(absence.day, absence)
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(InputProblem(file, number, str(event.get("UID", "")) or None, str(exc)))
    if problems:
        raise InputError(problems)
    return sorted(found.values(), key=lambda a: a.day)


def _days(event: Component, zone: ZoneInfo) -> list[Absence]:
    summary = str(event.get("SUMMARY", ""))
    if event.get("RRULE") is not None:
        raise ValueError(f"event {summary!r} recurs (RRULE); export the calendar with recurrences expanded")
    if event.get("DTSTART") is None:
        raise ValueError(f"event {summary!r} has no DTSTART")
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND") if event.get("DTEND") is not None else None
    if end is None and event.get("DURATION") is not None:
        end = start + event.decoded("DURATION")
    first, last = _span(start, end, zone)
    if last < first or (last - first).days > MAX_DAYS:
        raise ValueError(f"event {summary!r} runs from {first} to {last}")
    return [Absence(first + timedelta(days=i), summary) for i in range((last - first).days + 1)]


def _span(start: date, end: date | None, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last day an event covers."""
    if isinstance(start, datetime):
        local = _local(start, zone)
        finish = _local(end, zone) if isinstance(end, datetime) else local
        last = (finish - timedelta(microseconds=1)).date() if finish > local else local.date()
        return local.date(), last
    if end is None or end <= start:
        return start, start
    return start, end - timedelta(days=1)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


@dataclass(frozen=True)
class Visit:
    """One event of an engineer's day."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    geo: tuple[float, float] | None = None


def day_calendar(visits: Sequence[Visit], name: str) -> bytes:
    """The visits (and the break) as an iCalendar file an engineer's phone can import."""
    calendar = Calendar()
    calendar.add("prodid", "-//dispatch-planner//route//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(ZoneInfo("UTC"))
    for visit in visits:
        event = Event()
        event.add("uid", visit.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", visit.start)
        event.add("dtend", visit.end)
        event.add("summary", visit.summary)
        if visit.location:
            event.add("location", visit.location)
        if visit.description:
            event.add("description", visit.description)
        if visit.geo is not None:
            event.add("geo", visit.geo)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
