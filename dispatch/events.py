"""What happens during the day: typed events that a re-plan of the rest of the day starts from.

Each event is a plain frozen value; :mod:`data.events` reads them from ``events.jsonl`` and
the API from JSON bodies. The names of ``TYPES`` are the ``type`` field on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dispatch.model import Request


@dataclass(frozen=True, slots=True)
class EngineerUnavailable:
    """The engineer stops working at ``start`` (``None``: the whole day), e.g. off sick.

    A visit in progress at that moment is finished; nothing after it is theirs any more.
    """

    engineer_id: str
    start: datetime | None = None


@dataclass(frozen=True, slots=True)
class VisitStarted:
    """The engineer began the repair at ``at``."""

    request_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class VisitFinished:
    """The repair ended at ``at``."""

    request_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class VisitOverrun:
    """The repair in progress will end at ``expected_end`` rather than as planned."""

    request_id: str
    expected_end: datetime


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request that came in during the day (an emergency, say)."""

    request: Request


@dataclass(frozen=True, slots=True)
class Cancellation:
    """The customer called the visit off."""

    request_id: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NoShow:
    """The engineer came at ``at`` and found nobody at home; they leave from there."""

    request_id: str
    at: datetime


Event = EngineerUnavailable | VisitStarted | VisitFinished | VisitOverrun | NewRequest | Cancellation | NoShow

#: The wire name of each event type.
TYPES: Mapping[str, type[Event]] = {
    "engineer_unavailable": EngineerUnavailable,
    "visit_started": VisitStarted,
    "visit_finished": VisitFinished,
    "visit_overrun": VisitOverrun,
    "new_request": NewRequest,
    "cancellation": Cancellation,
    "no_show": NoShow,
}


def type_name(event: Event) -> str:
    """The wire name of ``event``'s type."""
    return next(name for name, kind in TYPES.items() if isinstance(event, kind))


def request_of(event: Event) -> str | None:
    """The request an event concerns, if any."""
    if isinstance(event, NewRequest):
        return event.request.request_id
    if isinstance(event, EngineerUnavailable):
        return None
    return event.request_id
