"""An engineer's day from the plan in force: as JSON, GeoJSON (for any map) or iCalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import not_found
from api.schemas.scenario import RoutePublic, RouteStopPublic
from api.security import Principal
from data.ics import Visit, day_calendar
from data.storage.models import BranchRow, EngineerRow, RequestRow
from data.storage.plans import route_in_force


def route_of(session: Session, engineer: EngineerRow, day: date, user: Principal) -> RoutePublic:
    """The engineer's route on ``day`` in the plan in force (no stops when the plan gives none)."""
    found = route_in_force(session, day, engineer.branch_id, engineer.engineer_id)
    if found is None:
        raise not_found(f"a plan in force on {day} for branch {engineer.branch_id}")
    current, stored = found
    route: dict[str, Any] = stored or {"stops": [], "return_travel_minutes": 0.0, "return_travel_km": 0.0}
    ids = [s["request_id"] for s in route["stops"]]
    work = {
        r.request_id: r for r in session.scalars(select(RequestRow).where(RequestRow.request_id.in_(ids)))
    }
    home = _home(session, engineer)
    stops = [_stop(s, work.get(s["request_id"]), user) for s in route["stops"]]
    fields = {
        "engineer_id": engineer.engineer_id, "date": day, "plan_id": current.plan_id, "version": current.version,
        "home_lat": home[0], "home_lon": home[1], "break": route.get("break"), "stops": stops,
        "return_travel_minutes": route["return_travel_minutes"], "return_travel_km": route["return_travel_km"],
    }  # fmt: skip
    return RoutePublic.model_validate(fields)


def _home(session: Session, engineer: EngineerRow) -> tuple[float, float]:
    if engineer.start_lat is not None and engineer.start_lon is not None:
        return engineer.start_lat, engineer.start_lon
    branch = session.get(BranchRow, engineer.branch_id)
    return (branch.lat, branch.lon) if branch is not None else (0.0, 0.0)


def _stop(stop: dict[str, Any], row: RequestRow | None, user: Principal) -> RouteStopPublic:
    known: dict[str, Any] = {"lat": None, "lon": None, "product": None, "fault": None, "priority": None,
                             "customer": None, "phone": None, "address": None}  # fmt: skip
    if row is not None:
        known = {"lat": row.lat, "lon": row.lon, "product": row.product, "fault": row.fault, "priority": row.priority,
                 "customer": row.customer if user.address(row.address) is not None else None,
                 "phone": user.mask_phone(row.phone), "address": user.address(row.address)}  # fmt: skip
    return RouteStopPublic.model_validate({**stop, **known})


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
