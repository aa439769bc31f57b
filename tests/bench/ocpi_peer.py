"""A minimal OCPI 2.2.1 party for the OCPI benchmark: serves its versions and version details, registers with
a hub as Sender (Token A → POST credentials → Token C) and, as a Locations Receiver, records the arrival time
of every push (PUT/PATCH under its locations endpoint) and answers 1000.

Benchmark-only code: imports aiohttp and ocpi_modules.common (token encoding), nothing of the hub's core.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from ocpi_modules.common.auth import authorization_header

VERSION = "2.2.1"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(data: Any = None, status_code: int = 1000) -> web.Response:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": _now()}
    if data is not None:
        body["data"] = data
    return web.json_response(body)


@dataclass
class Push:
    """One push the peer received: arrival (time.time()), method, path below the locations endpoint (the
    segments after it) and the JSON body."""

    arrived: float
    method: str
    segments: tuple[str, ...]
    body: Any

    @property
    def evse_status(self) -> str | None:
        """The EVSE status this push carries when it addresses one EVSE (`{cc}/{pid}/{loc}/{evse}`)."""
        if len(self.segments) == 4 and isinstance(self.body, dict):
            status = self.body.get("status")
            return status if isinstance(status, str) else None
        return None


@dataclass
class BenchPeer:
    """An eMSP-like party on its own loopback port. `start()` listens, `register()` performs the credentials
    handshake with the hub's Token A; `pushes` fills as the hub pushes to the locations Receiver."""

    country_code: str
    party_id: str
    receive_locations: bool = True
    pushes: list[Push] = field(default_factory=list)
    refused: int = 0  # requests with a wrong or missing token
    token_b: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token_c: str | None = None
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/ocpi"

    @property
    def versions_url(self) -> str:
        return f"{self.base}/versions"

    def _authorized(self, request: web.Request) -> bool:
        given = request.headers.get("Authorization", "")
        if given in (
            authorization_header(self.token_b, encode=True),
            authorization_header(self.token_b, encode=False),
        ):
            return True
        self.refused += 1
        return False

    async def _versions(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _envelope(status_code=2000)
        return _envelope([{"version": VERSION, "url": f"{self.base}/{VERSION}"}])

    async def _details(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _envelope(status_code=2000)
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{self.base}/{VERSION}/credentials"}
        ]
        if self.receive_locations:
            url = f"{self.base}/{VERSION}/locations"
            endpoints.append({"identifier": "locations", "role": "RECEIVER", "url": url})
        return _envelope({"version": VERSION, "endpoints": endpoints})

    async def _locations(self, request: web.Request) -> web.Response:
        arrived = time.time()
        if not self._authorized(request):
            return web.json_response({"status_code": 2000, "timestamp": _now()}, status=401)
        raw = await request.read()
        body = json.loads(raw) if raw else None
        segments = tuple(s for s in request.match_info["tail"].split("/") if s)
        self.pushes.append(Push(arrived, request.method, segments, body))
        return _envelope()

    async def start(self) -> BenchPeer:
        app = web.Application()
        app.router.add_get("/ocpi/versions", self._versions)
        app.router.add_get(f"/ocpi/{VERSION}", self._details)
        app.router.add_route("*", f"/ocpi/{VERSION}/locations/{{tail:.*}}", self._locations)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = int(server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def register(self, client: aiohttp.ClientSession, hub_versions_url: str, token_a: str) -> None:
        """§10 steps 2–6 as Sender: discover the hub with Token A, POST our credentials (Token B), keep
        Token C. Raises RuntimeError with the hub's answer when a step fails."""
        auth = {"Authorization": authorization_header(token_a, encode=True)}
        versions = await self._get(client, hub_versions_url, auth)
        details_url = next(v["url"] for v in versions if v.get("version") == VERSION)
        details = await self._get(client, details_url, auth)
        credentials_url = next(e["url"] for e in details["endpoints"] if e["identifier"] == "credentials")
        body = {
            "token": self.token_b,
            "url": self.versions_url,
            "roles": [
                {
                    "role": "EMSP",
                    "business_details": {"name": f"Bench eMSP {self.country_code}*{self.party_id}"},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }
        async with client.post(credentials_url, json=body, headers=auth) as response:
            answer = await response.json()
        if answer.get("status_code") != 1000:
            raise RuntimeError(f"POST credentials: HTTP {response.status} {answer}")
        self.token_c = answer["data"]["token"]

    @staticmethod
    async def _get(client: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
        async with client.get(url, headers=headers) as response:
            answer = await response.json()
        if answer.get("status_code") != 1000:
            raise RuntimeError(f"GET {url}: HTTP {response.status} {answer}")
        return answer["data"]
