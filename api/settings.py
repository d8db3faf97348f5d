"""The service's settings, from ``DISPATCH_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatch.model import DEFAULT_ZONE


class Settings(BaseSettings):
    """Where the data lives, how to geocode, how to plan.

    ``geocoder`` is ``none``, ``nominatim`` (at ``geocoder_url``, e.g. a site's own
    server) or ``baidu`` (with ``geocoder_key``; its coordinates are BD-09).
    ``geocoder_datum`` says what the provider answers in, when not its usual datum.
    """

    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    database_url: str = "sqlite:///dispatch.db"
    zone: str = DEFAULT_ZONE
    speed_kmh: float = Field(default=30.0, gt=0, le=200)
    circuity: float = Field(default=1.3, ge=1, le=5)
    solver_threads: int = Field(default=1, ge=1, le=16)
    max_time_limit_s: float = Field(default=600.0, gt=0)
    geocoder: Literal["none", "nominatim", "baidu"] = "none"
    geocoder_url: str = "https://nominatim.openstreetmap.org"
    geocoder_key: str = ""
    geocoder_datum: Literal["", "wgs84", "gcj02", "bd09"] = ""
    geocoder_min_delay_s: float = Field(default=1.0, ge=0)
    geocoder_timeout_s: float = Field(default=10.0, gt=0)
    geocoder_user_agent: str = "dispatch-planner"
    demo: bool = False
