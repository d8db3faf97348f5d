"""Addresses to WGS-84 coordinates: geopy's Nominatim (at any URL) or Baidu, rate-limited, cached.

Chinese providers answer in their own datums: Baidu in BD-09, most others in GCJ-02.
Those are converted to WGS-84 with ``prcoords`` (public domain; its inverse iterates the
forward transform to a fraction of a metre). A request that cannot be placed gets the
reason, for the desk to act on; it is never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import prcoords
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BaiduV3, Nominatim
from sqlalchemy.orm import Session

from data.storage.models_ops import GeocodeRow
from data.storage.scenario import now

log = logging.getLogger(__name__)

Datum = Literal["wgs84", "gcj02", "bd09"]

#: The datum each provider answers in unless told otherwise.
PROVIDER_DATUM: dict[str, Datum] = {"nominatim": "wgs84", "baidu": "bd09"}

#: Each provider's public endpoint, used when no URL is configured.
PUBLIC_URL = {"nominatim": "https://nominatim.openstreetmap.org", "baidu": "https://api.map.baidu.com"}


def to_wgs84(lat: float, lon: float, datum: Datum) -> tuple[float, float]:
    """A point of ``datum`` in WGS-84; points outside China are the same in every datum."""
    if datum == "wgs84" or not prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)):
        return lat, lon
    convert = prcoords.gcj_wgs_bored if datum == "gcj02" else prcoords.bd_wgs_bored
    point = convert((lat, lon), False)
    return float(point.lat), float(point.lon)


class _BaiduAt(BaiduV3):  # type: ignore[misc]
    """Baidu's v3 geocoding at a given base URL (geopy fixes the host otherwise)."""

    def __init__(self, base_url: str, api_key: str, **kwargs: Any) -> None:
        super().__init__(api_key, scheme=urlsplit(base_url).scheme or "https", **kwargs)
        self.api = base_url.rstrip("/") + self.api_path


def make_geocoder(provider: str, url: str, key: str, timeout_s: float, user_agent: str) -> Any:
    """A geopy geocoder for ``provider`` (``nominatim`` or ``baidu``) at ``url``."""
    url = url or PUBLIC_URL[provider]
    if provider == "baidu":
        if not key:
            raise ValueError("the baidu geocoder needs a key (DISPATCH_GEOCODER_KEY)")
        return _BaiduAt(url, key, timeout=timeout_s, user_agent=user_agent)
    parts = urlsplit(url)
    domain = parts.netloc + parts.path.rstrip("/")
    return Nominatim(domain=domain, scheme=parts.scheme or "https", timeout=timeout_s, user_agent=user_agent)


@dataclass(frozen=True)
class Placed:
    """Where an address is (WGS-84), or why it could not be placed."""

    lat: float | None
    lon: float | None
    detail: str = ""

    @property
    def found(self) -> bool:
        """Whether the address was placed."""
        return self.lat is not None and self.lon is not None


class Locator:
    """Geocodes addresses through one provider, at most one call per ``min_delay_s``, cached in the database."""

    def __init__(
        self, provider: str, geocoder: Any | None, datum: Datum | None = None, min_delay_s: float = 1.0
    ):
        self.provider = provider
        self.datum: Datum = datum or PROVIDER_DATUM.get(provider, "wgs84")
        self._geocode = (
            None
            if geocoder is None
            else RateLimiter(
                geocoder.geocode,
                min_delay_seconds=min_delay_s,
                max_retries=1,
                error_wait_seconds=min_delay_s,
                swallow_exceptions=False,
            )
        )

    def locate(self, session: Session, address: str) -> Placed:
        """The WGS-84 point of ``address``, from the cache or the provider."""
        query = " ".join(address.split())
        if not query:
            return Placed(None, None, "no coordinates and no address to geocode")
        if self._geocode is None:
            return Placed(None, None, "no coordinates, and no geocoder is configured (DISPATCH_GEOCODER)")
        digest = hashlib.sha256(query.encode("utf-8")).hexdigest()
        cached = session.get(GeocodeRow, (self.provider, digest))
        if cached is not None:
            return Placed(cached.lat, cached.lon, cached.detail)
        try:
            answer = self._geocode(query)
        except (GeopyError, OSError, ValueError) as exc:
            log.warning("geocoding %r failed: %s", query, exc)
            return Placed(
                None, None, f"the {self.provider} geocoder failed: {exc}; retry or give lat and lon"
            )
        placed = self._placed(answer)
        session.add(GeocodeRow(provider=self.provider, query_hash=digest, query=query, lat=placed.lat,
                               lon=placed.lon, detail=placed.detail, created_at=now()))  # fmt: skip
        session.flush()
        return placed

    def _placed(self, answer: Any) -> Placed:
        if answer is None:
            return Placed(None, None, f"the {self.provider} geocoder found no place for this address")
        lat, lon = float(answer.latitude), float(answer.longitude)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return Placed(
                None, None, f"the {self.provider} geocoder answered an impossible point {lat}, {lon}"
            )
        lat, lon = to_wgs84(lat, lon, self.datum)
        return Placed(lat, lon, f"geocoded by {self.provider} ({self.datum})")
