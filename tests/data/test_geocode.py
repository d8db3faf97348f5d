"""Geocoding through a local server speaking Nominatim's and Baidu's protocols: datums, cache, rate limit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from data.geocode import Locator, make_geocoder, to_wgs84
from data.storage.db import make_engine, make_sessions, migrate

#: Published pairs (eviltransform's tests): WGS-84 and the same point in GCJ-02, (lat, lon).
GCJ_PAIRS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]
#: A published BD-09 point and its GCJ-02 (wandergis/coordtransform's bd09togcj02 example), (lat, lon).
BD_TO_GCJ = ((39.915, 116.404), (39.90865673957631, 116.39762729119315))

#: What the fake providers know: address -> (lat, lon) in the provider's datum.
PLACES = {"上海市浦东新区世纪大道100号": (31.2350, 121.5050), "北京市天安门": BD_TO_GCJ[0]}


@dataclass
class FakeProvider:
    """A loopback HTTP server answering like Nominatim (/search) and Baidu (/geocoding/v3/)."""

    url: str = ""
    calls: list[tuple[float, str, dict[str, list[str]]]] = field(default_factory=list)
    failing: bool = False


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            fake.calls.append((time.monotonic(), parts.path, query))
            if fake.failing:
                self.send_error(503)
                return
            body: Any
            if parts.path == "/search":
                found = PLACES.get(query.get("q", [""])[0])
                body = (
                    []
                    if found is None
                    else [{"lat": str(found[0]), "lon": str(found[1]), "display_name": "x", "place_id": 1}]
                )
            elif parts.path == "/geocoding/v3/" and query.get("ak") == ["test-key"]:
                found = PLACES.get(query.get("address", [""])[0])
                body = (
                    {
                        "status": 0,
                        "result": {
                            "location": {"lat": found[0], "lng": found[1]},
                            "precise": 1,
                            "level": "门址",
                        },
                    }
                    if found
                    else {"status": 0, "result": []}
                )
            else:
                body = {"status": 101}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    return Handler


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    """The fake provider, listening on a free loopback port for the test."""
    fake = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh SQLite database (the cache table included)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'geo.db'}")
    migrate(engine)
    with make_sessions(engine)() as opened:
        yield opened
    engine.dispose()


def locator(provider: FakeProvider, name: str = "nominatim", delay: float = 0.0) -> Locator:
    """A locator aimed at the fake provider."""
    geocoder = make_geocoder(name, provider.url, "test-key" if name == "baidu" else "", 5.0, "dispatch-tests")
    return Locator(name, geocoder, None, delay)


@pytest.mark.parametrize(("wgs", "gcj"), GCJ_PAIRS)
def test_gcj02_converts_to_the_published_wgs84_point(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    """GCJ-02 back to WGS-84 within a centimetre of the published point."""
    lat, lon = to_wgs84(*gcj, "gcj02")
    assert lat == pytest.approx(wgs[0], abs=1e-7) and lon == pytest.approx(wgs[1], abs=1e-7)


def test_bd09_converts_through_the_published_gcj02_point() -> None:
    """BD-09 lands where its published GCJ-02 twin does; points outside China are left alone."""
    bd, gcj = BD_TO_GCJ
    assert to_wgs84(*bd, "bd09") == pytest.approx(to_wgs84(*gcj, "gcj02"), abs=1e-6)
    assert to_wgs84(48.85, 2.35, "bd09") == (48.85, 2.35)


def test_nominatim_places_an_address_once_then_from_the_cache(
    provider: FakeProvider, session: Session
) -> None:
    """The provider is asked once; the second answer comes from the database."""
    first = locator(provider).locate(session, "  上海市浦东新区世纪大道100号 ")
    again = locator(provider).locate(session, "上海市浦东新区世纪大道100号")
    assert (first.lat, first.lon) == (again.lat, again.lon) == (31.2350, 121.5050)
    assert [c[1] for c in provider.calls] == ["/search"]


def test_baidu_answers_in_bd09_and_comes_back_in_wgs84(provider: FakeProvider, session: Session) -> None:
    """Baidu's point is converted to WGS-84 with its key sent."""
    placed = locator(provider, "baidu").locate(session, "北京市天安门")
    assert (placed.lat, placed.lon) == pytest.approx(to_wgs84(*BD_TO_GCJ[1], "gcj02"), abs=1e-6)
    assert provider.calls[0][2]["ak"] == ["test-key"]


def test_an_unknown_address_is_a_reason_and_is_cached(provider: FakeProvider, session: Session) -> None:
    """No place found: no coordinates, a reason, and no second call for the same address."""
    for _ in range(2):
        placed = locator(provider).locate(session, "nowhere street 0")
        assert not placed.found and "found no place" in placed.detail
    assert len(provider.calls) == 1


def test_a_failing_provider_is_a_reason_and_is_asked_again_later(
    provider: FakeProvider, session: Session
) -> None:
    """A server error is not cached: the next request tries again."""
    provider.failing = True
    placed = locator(provider).locate(session, "上海市浦东新区世纪大道100号")
    assert not placed.found and "failed" in placed.detail
    provider.failing = False
    assert locator(provider).locate(session, "上海市浦东新区世纪大道100号").found


def test_calls_are_spaced_by_the_minimum_delay(provider: FakeProvider, session: Session) -> None:
    """One locator never calls the provider faster than its rate limit."""
    spaced = locator(provider, delay=0.3)
    for address in ("a 1", "b 2", "c 3"):
        spaced.locate(session, address)
    times = [c[0] for c in provider.calls]
    assert len(times) == 3 and min(b - a for a, b in pairwise(times)) >= 0.29
