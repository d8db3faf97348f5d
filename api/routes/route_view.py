"""An engineer's day from the plan in force: as JSON, GeoJSON (for any map) or iCalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from api.deps import not_found
from api.schemas.scenario import RoutePublic
from api.security import Principal
from data.ics import Visit, day_calendar
from data.storage.models import RequestRow
from data.storage.plans import EngineerDay, engineer_day

#: What the engineer needs at each stop, for a list of request ids: one round trip, plain rows.
_STOP_DETAILS = select(
    RequestRow.request_id, RequestRow.lat, RequestRow.lon, RequestRow.product, RequestRow.fault,
    RequestRow.priority, RequestRow.customer, RequestRow.phone, RequestRow.address,
).where(RequestRow.request_id.in_(bindparam("ids", expanding=True)))  # fmt: skip


def route_of(session: Session, engineer_id: str, day: date, user: Principal) -> RoutePublic:
    """The engineer's route on ``day`` in the plan in force (no stops when the plan gives none).

    Two round trips: the engineer with their plan and route, then the requests of the stops.
    An engineer the caller may not see is not found, like one that does not exist.
    """
    found = engineer_day(session, engineer_id, day)
    if found is None or not user.sees_engineer(engineer_id, found.branch_id):
        raise not_found(f"engineer {engineer_id}")
    if found.plan_id is None:
        raise not_found(f"a plan in force on {day} for branch {found.branch_id}")
    route: dict[str, Any] = found.route or {
        "stops": [],
        "return_travel_minutes": 0.0,
        "return_travel_km": 0.0,
    }
    ids = [s["request_id"] for s in route["stops"]]
    work: dict[str, Any] = {}
    if ids:
        work = {row.request_id: row for row in session.connection().execute(_STOP_DETAILS, {"ids": ids})}
    home = _home(found)
    fields = {
        "engineer_id": found.engineer_id, "date": day, "plan_id": found.plan_id, "version": found.version,
        "home_lat": home[0], "home_lon": home[1], "break": route.get("break"),
        "stops": [_stop(s, work.get(s["request_id"]), user) for s in route["stops"]],
        "return_travel_minutes": route["return_travel_minutes"], "return_travel_km": route["return_travel_km"],
    }  # fmt: skip
    return RoutePublic.model_validate(fields)


def _home(found: EngineerDay) -> tuple[float, float]:
    """Where the engineer's day starts: their own start, else their branch."""
    if found.start_lat is not None and found.start_lon is not None:
        return found.start_lat, found.start_lon
    if found.branch_lat is not None and found.branch_lon is not None:
        return found.branch_lat, found.branch_lon
    return 0.0, 0.0


def _stop(stop: dict[str, Any], row: Any, user: Principal) -> dict[str, Any]:
    """One stop of the plan with its request's details, personal data as ``user`` may see them."""
    if row is None:
        known: dict[str, Any] = {"lat": None, "lon": None, "product": None, "fault": None, "priority": None,
                                 "customer": None, "phone": None, "address": None}  # fmt: skip
    else:
        address = user.address(row.address)
        known = {"lat": row.lat, "lon": row.lon, "product": row.product, "fault": row.fault, "priority": row.priority,
                 "customer": row.customer if address is not None else None,
                 "phone": user.mask_phone(row.phone), "address": address}  # fmt: skip
    return {**stop, **known}


def geojson(route: RoutePublic) -> dict[str, Any]:
    """The route as a GeoJSON FeatureCollection: the way as a LineString, home and visits as points."""
    home = [route.home_lon, route.home_lat]
    points = [[s.lon, s.lat] for s in route.stops if s.lon is not None and s.lat is not None]
    line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [home, *points, home]},
            "properties": {"engineer_id": route.engineer_id, "date": route.date.isoformat(), "kind": "route"}}  # fmt: skip
    features: list[dict[str, Any]] = [
        line,
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": home},
            "properties": {"kind": "home"},
        },
    ]
    for seq, stop in enumerate(route.stops, start=1):
        if stop.lon is None or stop.lat is None:
            continue
        props = {"kind": "visit", "sequence": seq, **stop.model_dump(exclude={"lat", "lon"})}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [stop.lon, stop.lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def ics(route: RoutePublic) -> bytes:
    """The route as calendar events: each visit, and the break."""
    visits = [
        Visit(
            uid=f"{s.request_id}-{route.date.isoformat()}@dispatch-planner",
            start=_utc(s.start),
            end=_utc(s.end),
            summary=" ".join(x for x in (s.product, s.request_id, s.customer) if x),
            location=s.address or "",
            description="\n".join(x for x in (s.fault, s.phone and f"phone {s.phone}") if x),
            geo=(s.lat, s.lon) if s.lat is not None and s.lon is not None else None,
        )
        for s in route.stops
    ]
    if route.break_:
        start, end = (
            datetime.fromisoformat(route.break_["start"]),
            datetime.fromisoformat(route.break_["end"]),
        )
        visits.append(
            Visit(f"break-{route.engineer_id}-{route.date.isoformat()}@dispatch-planner", start, end, "break")
        )
    return day_calendar(visits, f"{route.engineer_id} {route.date.isoformat()}")


def _utc(moment: str) -> datetime:
    """A plan's ISO time in UTC, which every calendar reads the same way."""
    return datetime.fromisoformat(moment).astimezone(UTC)
