"""The dependencies handlers declare: a session, the settings, the caller and their access.

Those that never block are ``async``, so that FastAPI runs them without a trip to its threadpool;
each trip costs a thread switch, which under load waits for the GIL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.jobs import PlanJobs
from api.security import Principal, Role, principal_of
from api.settings import Settings
from data.geocode import Locator
from dispatch.travel import TravelModel

_bearer = HTTPBearer(auto_error=False, description="An API key made with `dispatch apikey create`.")


#: The methods that only read (RFC 9110's safe methods): their unit of work needs no transaction.
READS = frozenset({"GET", "HEAD"})


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per HTTP request.

    A write is one transaction: committed when the handler returns, else rolled back. A read
    (``GET``, ``HEAD``) runs in autocommit mode, without BEGIN and COMMIT round trips, and must
    not change anything: an ORM change left in its session is a bug, raised as one.
    """
    reading = request.method in READS
    with (request.app.state.read_sessions if reading else request.app.state.sessions)() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if reading and (session.new or session.dirty or session.deleted):
            session.rollback()
            raise RuntimeError(
                f"{request.method} {request.url.path} changed stored objects; reads must not write"
            )
        if not reading:
            session.commit()


async def get_settings(request: Request) -> Settings:
    """The running app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_jobs(request: Request) -> PlanJobs:
    """The running app's plan-job runner."""
    jobs: PlanJobs = request.app.state.jobs
    return jobs


async def get_locator(request: Request) -> Locator:
    """The running app's geocoder (with its rate limit and cache)."""
    locator: Locator = request.app.state.locator
    return locator


async def get_travel(request: Request) -> TravelModel:
    """The travel model plans are made and checked with."""
    travel: TravelModel = request.app.state.travel
    return travel


async def get_zone(settings: Annotated[Settings, Depends(get_settings)]) -> ZoneInfo:
    """The service area's time zone."""
    return ZoneInfo(settings.zone)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JobsDep = Annotated[PlanJobs, Depends(get_jobs)]
LocatorDep = Annotated[Locator, Depends(get_locator)]
ZoneDep = Annotated[ZoneInfo, Depends(get_zone)]
TravelDep = Annotated[TravelModel, Depends(get_travel)]


def get_current_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The holder of the bearer key; 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "send an API key as Authorization: Bearer KEY",
            {"WWW-Authenticate": "Bearer"},
        )
    principal = principal_of(session, credentials.credentials)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key", {"WWW-Authenticate": "Bearer"})
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def allow(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only ``roles`` (403 for the others); async, as it never blocks."""

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {user.role.value} role may not do this")
        return user

    return check


Coordinator = Annotated[Principal, Depends(allow(Role.COORDINATOR))]
Planner = Annotated[Principal, Depends(allow(Role.COORDINATOR, Role.PLANNER))]
Reader = Annotated[Principal, Depends(allow(Role.COORDINATOR, Role.PLANNER, Role.BRANCH_MANAGER))]
DeskReader = Annotated[Principal, Depends(allow(Role.COORDINATOR, Role.BRANCH_MANAGER))]


def not_found(what: str) -> HTTPException:
    """The answer for a resource that does not exist, or that the caller may not see."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")
