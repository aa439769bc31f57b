"""Lean OCPI 2.2.1 partner platforms for the hub-role benchmark: one aiohttp app (`PeerHost`) serves any
number of platforms, each under its own prefix `/p/{key}/ocpi/…` with its own token. A platform may offer a
locations SENDER (a fixed page, prebuilt bytes) and a locations RECEIVER (records each push's arrival and
answers 1000). `register()` performs the credentials handshake with the hub on a platform's behalf.

`python -m tests.bench.ocpi_hub_peers --spec FILE [--port 0]` serves the platforms of a JSON spec (see
`PeerPlatform.from_spec`) in a process of its own and prints `READY <port>` once listening.

Benchmark-only code: imports aiohttp, ocpi_modules.common.auth (token encoding) and the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from ocpi_modules.common.auth import authorization_header

VERSION = "2.2.1"
REPO = Path(__file__).resolve().parents[2]
LOCATION_FIXTURE = REPO / "fixtures/ocpi/2.2.1/examples/location_put.json"
TIMESTAMP = "2026-02-01T10:00:00Z"
SENDER_PATH = "cpo/locations"  # where a platform serves its page (locations SENDER)
RECEIVER_PATH = "emsp/locations"  # where a platform takes pushes (locations RECEIVER)


def a_location(country_code: str, party_id: str, location_id: str, last_updated: str = TIMESTAMP) -> Any:
    """The 2.2.1 example Location of the fixtures (two EVSEs, three connectors, ~3 KiB) owned by the party."""
    location = copy.deepcopy(_TEMPLATE)
    location.update(country_code=country_code, party_id=party_id, id=location_id, last_updated=last_updated)
    return location


_TEMPLATE: Any = json.loads(LOCATION_FIXTURE.read_text(encoding="utf-8"))


def page_body(country_code: str, party_id: str, size: int) -> bytes:
    """A success envelope with `size` Locations, as a CPO answers a GET locations page."""
    data = [a_location(country_code, party_id, f"PAGE{n:04d}") for n in range(size)]
    envelope = {"data": data, "status_code": 1000, "status_message": "Success", "timestamp": TIMESTAMP}
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


@dataclass
class PeerPlatform:
    """One platform: `token` is what it accepts (Token B, given to the hub in its credentials), `token_c`
    what it presents to the hub once registered. `roles` are (country_code, party_id, role)."""

    key: str
    token: str
    roles: tuple[tuple[str, str, str], ...]
    sender: bool = False  # offers locations SENDER (a page of `page_size` locations)
    receiver: bool = False  # offers locations RECEIVER
    page_size: int = 10
    token_c: str | None = None
    accepted: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.roles = tuple(tuple(r) for r in self.roles)  # type: ignore[misc]
        self.accepted = frozenset(authorization_header(self.token, encode=encode) for encode in (True, False))

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> PeerPlatform:
        """`{"key", "token", "roles": [[cc, pid, role]], "sender", "receiver", "page_size"}`"""
        return cls(
            key=str(spec["key"]),
            token=str(spec["token"]),
            roles=tuple((str(cc), str(pid), str(role)) for cc, pid, role in spec["roles"]),
            sender=bool(spec.get("sender", False)),
            receiver=bool(spec.get("receiver", False)),
            page_size=int(spec.get("page_size", 10)),
        )

    def spec(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "token": self.token,
            "roles": [list(r) for r in self.roles],
            "sender": self.sender,
            "receiver": self.receiver,
            "page_size": self.page_size,
        }

    @property
    def party(self) -> tuple[str, str]:
        return self.roles[0][0], self.roles[0][1]


def _envelope(status_code: int = 1000, data: Any = None, http_status: int = 200) -> web.Response:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": TIMESTAMP}
    if data is not None:
        body["data"] = data
    return web.json_response(body, status=http_status)


class PeerHost:
    """The platforms, served by one app. `arrivals[location_id]` lists (time.perf_counter(), platform key)
    of every push received for that Location; `wait_for(location_id, count)` waits until `count` arrived."""

    def __init__(self, platforms: list[PeerPlatform]) -> None:
        self.platforms = {p.key: p for p in platforms}
        self.arrivals: dict[str, list[tuple[float, str]]] = {}
        self.refused = 0
        self.port = 0
        self._waiters: dict[str, tuple[int, asyncio.Event]] = {}
        self._pages = {p.key: page_body(*p.party, p.page_size) for p in platforms if p.sender}
        self._runner: web.AppRunner | None = None

    def base(self, platform: PeerPlatform) -> str:
        return f"http://127.0.0.1:{self.port}/p/{platform.key}/ocpi"

    def versions_url(self, platform: PeerPlatform) -> str:
        return f"{self.base(platform)}/versions"

    def sender_url(self, platform: PeerPlatform) -> str:
        return f"{self.base(platform)}/{VERSION}/{SENDER_PATH}"

    def _platform(self, request: web.Request) -> PeerPlatform | None:
        platform = self.platforms.get(request.match_info["key"])
        if platform is None or request.headers.get("Authorization") not in platform.accepted:
            self.refused += 1
            return None
        return platform

    async def _versions(self, request: web.Request) -> web.Response:
        platform = self._platform(request)
        if platform is None:
            return _envelope(2000, http_status=401)
        return _envelope(data=[{"version": VERSION, "url": f"{self.base(platform)}/{VERSION}"}])

    async def _details(self, request: web.Request) -> web.Response:
        platform = self._platform(request)
        if platform is None:
            return _envelope(2000, http_status=401)
        prefix = f"{self.base(platform)}/{VERSION}"
        endpoints = [{"identifier": "credentials", "role": "SENDER", "url": f"{prefix}/credentials"}]
        if platform.sender:
            endpoints.append({"identifier": "locations", "role": "SENDER", "url": f"{prefix}/{SENDER_PATH}"})
        if platform.receiver:
            url = f"{prefix}/{RECEIVER_PATH}"
            endpoints.append({"identifier": "locations", "role": "RECEIVER", "url": url})
        return _envelope(data={"version": VERSION, "endpoints": endpoints})

    async def _page(self, request: web.Request) -> web.Response:
        """The fixed page; the first page (offset 0) of a two-page list carries a `Link` to the second."""
        platform = self._platform(request)
        if platform is None or not platform.sender:
            return _envelope(2000, http_status=401)
        size = platform.page_size
        headers = {"X-Total-Count": str(2 * size), "X-Limit": str(size)}
        if request.query.get("offset", "0") == "0":
            headers["Link"] = f'<{self.sender_url(platform)}?offset={size}&limit={size}>; rel="next"'
        body = self._pages[platform.key]
        return web.Response(body=body, headers=headers, content_type="application/json")

    async def _push(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        platform = self._platform(request)
        if platform is None or not platform.receiver:
            return _envelope(2000, http_status=401)
        await request.read()
        segments = [s for s in request.match_info["tail"].split("/") if s]
        if len(segments) >= 3:
            location_id = segments[2]
            seen = self.arrivals.setdefault(location_id, [])
            seen.append((arrived, platform.key))
            waiter = self._waiters.get(location_id)
            if waiter is not None and len(seen) >= waiter[0]:
                waiter[1].set()
        return _envelope()

    async def wait_for(self, location_id: str, count: int, timeout_s: float) -> bool:
        """Whether `count` pushes of the Location arrived within `timeout_s`."""
        event = asyncio.Event()
        self._waiters[location_id] = (count, event)
        if len(self.arrivals.get(location_id, ())) >= count:
            return True
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            return False
        finally:
            del self._waiters[location_id]
        return True

    def app(self) -> web.Application:
        app = web.Application()
        base = "/p/{key}/ocpi"
        app.router.add_get(f"{base}/versions", self._versions)
        app.router.add_get(f"{base}/{VERSION}", self._details)
        app.router.add_get(f"{base}/{VERSION}/{SENDER_PATH}", self._page)
        app.router.add_route("*", f"{base}/{VERSION}/{RECEIVER_PATH}/{{tail:.*}}", self._push)
        return app

    async def start(self, port: int = 0) -> PeerHost:
        self._runner = web.AppRunner(self.app(), handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port, backlog=1024).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def register(
    client: aiohttp.ClientSession,
    hub_versions_url: str,
    token_a: str,
    platform: PeerPlatform,
    versions_url: str,
) -> str:
    """§10 as the registering party: discover the hub with Token A, POST the platform's credentials (its
    Token B and `versions_url`), return Token C. RuntimeError with the hub's answer when a step fails."""
    auth = {"Authorization": authorization_header(token_a, encode=True)}
    versions = await _get(client, hub_versions_url, auth)
    details_url = next(v["url"] for v in versions if v.get("version") == VERSION)
    details = await _get(client, details_url, auth)
    credentials_url = next(e["url"] for e in details["endpoints"] if e["identifier"] == "credentials")
    body = {
        "token": platform.token,
        "url": versions_url,
        "roles": [
            {
                "role": role,
                "business_details": {"name": f"Bench {role} {cc}*{pid}"},
                "party_id": pid,
                "country_code": cc,
            }
            for cc, pid, role in platform.roles
        ],
    }
    async with client.post(credentials_url, json=body, headers=auth) as response:
        answer = await response.json()
    if answer.get("status_code") != 1000:
        raise RuntimeError(f"POST credentials for {platform.key}: HTTP {response.status} {answer}")
    token_c = str(answer["data"]["token"])
    platform.token_c = token_c
    return token_c


async def _get(client: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
    async with client.get(url, headers=headers) as response:
        answer = await response.json()
    if answer.get("status_code") != 1000:
        raise RuntimeError(f"GET {url}: HTTP {response.status} {answer}")
    return answer["data"]


async def serve(platforms: list[PeerPlatform], port: int) -> None:
    host = await PeerHost(platforms).start(port)
    print(f"READY {host.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await host.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--spec", type=Path, required=True, help="JSON list of platform specs")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    specs = json.loads(args.spec.read_text(encoding="utf-8"))
    asyncio.run(serve([PeerPlatform.from_spec(s) for s in specs], args.port))


if __name__ == "__main__":
    main()
