"""The fake partner's view of the wire: envelopes, the Authorization header, recorded calls, failures to
inject, and `HubClient`, which calls the hub as the partner.

Test support: imports aiohttp and the standard library only (independent of the hub's own wire code);
`bind_public_url` alone reaches into the running hub's OCPI runtime.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.ocpi_partner.partner import FakePartner

DEFAULT_ROLES: tuple[tuple[str, str, str], ...] = (("DE", "PRT", "EMSP"),)
# identifier → role of the partner's endpoint, per role the partner plays (mod_*.asciidoc "Interfaces").
ROLE_MODULES = {
    "EMSP": {"locations": "RECEIVER", "sessions": "RECEIVER", "cdrs": "RECEIVER", "tariffs": "RECEIVER",
             "tokens": "SENDER", "commands": "SENDER"},
    "CPO": {"locations": "SENDER", "sessions": "SENDER", "cdrs": "SENDER", "tariffs": "SENDER",
            "tokens": "RECEIVER", "commands": "RECEIVER", "chargingprofiles": "RECEIVER"},
}  # fmt: skip
# A configured answer of a Sender endpoint (e.g. real-time authorize): (HTTP status, OCPI status code, data).
Answer = tuple[int, int, Any]


def bind_public_url(hub: Any) -> str:
    """`make_hub` listens on port 0 while `public_url` says `:0`: point the hub's OCPI URLs at the real port
    (partners call them back). Returns the hub's versions URL."""
    from ocpi_modules.common.runtime import OCPI_KEY

    runtime = hub.app[OCPI_KEY]
    runtime.config = dataclasses.replace(runtime.config, public_url=hub.url)
    return f"{hub.url}/ocpi/versions"


async def welcomed(hub: Any) -> None:
    """After a registration the hub queues, in a background task, what the new partner must know from the
    start (our locations and tariffs, or our tokens): wait for that task, then deliver the queue."""
    from hub.app import SCHEDULER_KEY

    async with asyncio.timeout(10):
        await hub.core.tasks.join()
    drainer = hub.app[SCHEDULER_KEY].drainer
    while await drainer.drain_once():
        pass


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def envelope(data: Any = None, status_code: int = 1000, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": now_text()}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return body


def reply(
    data: Any = None, status_code: int = 1000, http: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(envelope(data, status_code), status=http, headers=headers)


def decode_token(header: str | None) -> tuple[str | None, str | None]:
    """(raw value, its Base64 decoding or None) of an `Authorization: Token …` header."""
    if not header or not header.lower().startswith("token "):
        return None, None
    raw = header[6:].strip()
    try:
        decoded = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, ValueError):
        return raw, None
    return raw, decoded if decoded.isprintable() and decoded else None


@dataclass
class Call:
    """One request the partner received (header names lower-case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    token: str | None  # the token as the partner understood it (decoded when it came Base64-encoded)
    encoded: bool
    raw: str | None = None  # the header value after `Token `
    answered: int = 0  # the HTTP status it got


CALL_KEY = web.RequestKey("fake_partner_call", Call)


@dataclass
class Failure:
    path: str  # a substring of the request path
    method: str | None = None
    http_status: int = 500
    status_code: int = 3000
    times: int | None = 1  # None: every time
    hold: asyncio.Event | None = None  # answer only once set (a slow or hanging partner)
    body: bytes | None = None  # answer these raw bytes instead of an envelope (a partner answering garbage)


@dataclass
class HubReply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def status_code(self) -> int | None:
        return self.body.get("status_code") if isinstance(self.body, dict) else None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None


class HubClient:
    """Calls the hub as the partner: its current token unless `token` is given (Base64 unless `encode=False`,
    none with `auth=False`), FROM = its first party unless given (`routing=False`: no routing headers), TO
    when given (`"NL*CPO"`); `headers` are added last."""

    def __init__(self, partner: FakePartner, hub_url: str) -> None:
        self.partner, self.hub_url = partner, hub_url.rstrip("/")

    async def request(
        self, method: str, path: str, *, json: Any = None, data: bytes | None = None,
        params: dict[str, str] | None = None,
        token: str | None = None, encode: bool = True, from_party: str | None = None,
        to_party: str | None = None, routing: bool = True, auth: bool = True,
        headers: dict[str, str] | None = None,
    ) -> HubReply:  # fmt: skip
        url = path if path.startswith("http") else self.hub_url + path
        sent = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        token = token if token is not None else self.partner.outbound_token
        if token is not None and auth:
            value = base64.b64encode(token.encode()).decode() if encode else token
            sent["Authorization"] = f"Token {value}"
        if routing:
            for side, party in (("from", from_party or self.partner.parties[0]), ("to", to_party)):
                if party:
                    cc, pid = party.replace("-", "*").split("*")
                    sent[f"OCPI-{side}-country-code"], sent[f"OCPI-{side}-party-id"] = cc, pid
        sent.update(headers or {})
        return await self.partner.http(method, url, headers=sent, json=json, data=data, params=params)

    async def get(self, path: str, **kwargs: Any) -> HubReply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> HubReply:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> HubReply:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> HubReply:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> HubReply:
        return await self.request("DELETE", path, **kwargs)
