"""The fake 2.1.1 partner's view of the wire: envelopes, the raw `Authorization: Token` header, recorded
calls, a strict check that what it receives has 2.1.1 shapes (a 2.2.1 payload forwarded untranslated is
caught and answered 2001), and `Client211`, which calls the hub as a 2.1.1 partner does (raw token, no
routing headers).

Test support: imports aiohttp and the standard library only (independent of the hub's own wire code).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.ocpi211_partner.partner import Fake211Partner

# identifier → what a 2.1.1 party of that role serves at it (mod_*.md "Interfaces").
ROLE_MODULES = {
    "EMSP": ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands"),
    "CPO": ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands"),
}
COMMAND_RESULTS_211 = {"ACCEPTED", "REJECTED", "NOT_SUPPORTED", "TIMEOUT", "UNKNOWN_SESSION"}


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(data: Any = None, status_code: int = 1000, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": now_text()}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return body


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def reply(
    data: Any = None,
    status_code: int = 1000,
    http: int = 200,
    headers: dict[str, str] | None = None,
    message: str | None = None,
) -> web.Response:
    import json

    body = json.dumps(envelope(data, status_code, message), default=json_default)
    return web.Response(text=body, status=http, headers=headers, content_type="application/json")


@dataclass
class Call:
    """One request the partner received (header names lower-case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    token: str | None  # the raw value after `Token `
    answered: int = 0


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

    @property
    def message(self) -> str:
        """The status message ("" when absent)."""
        return str(self.body.get("status_message") or "") if isinstance(self.body, dict) else ""


# --- what a strict 2.1.1 receiver refuses -----------------------------------------------------------------

_LOCATION_221 = {"country_code", "party_id", "publish", "parking_type", "publish_allowed_to", "state"}
_CONNECTOR_221 = {"max_voltage", "max_amperage", "tariff_ids", "max_electric_power"}


def _connector_problems(connector: Any, where: str) -> list[str]:
    if not isinstance(connector, dict):
        return [f"{where}: not an object"]
    problems = [f"{where}.{name}: 2.2.1 field" for name in _CONNECTOR_221 & connector.keys()]
    problems += [f"{where}.{name}: missing" for name in ("voltage", "amperage") if name not in connector]
    return problems


def _evse_problems(evse: Any, where: str) -> list[str]:
    if not isinstance(evse, dict):
        return [f"{where}: not an object"]
    problems: list[str] = []
    for n, connector in enumerate(evse.get("connectors") or ()):
        problems += _connector_problems(connector, f"{where}.connectors[{n}]")
    return problems


def location_problems(location: Any, where: str = "location") -> list[str]:
    if not isinstance(location, dict):
        return [f"{where}: not an object"]
    problems = [f"{where}.{name}: 2.2.1 field" for name in _LOCATION_221 & location.keys()]
    if "type" not in location:
        problems.append(f"{where}.type: missing")
    for n, evse in enumerate(location.get("evses") or ()):
        problems += _evse_problems(evse, f"{where}.evses[{n}]")
    return problems


def token_problems(token: Any, where: str = "token") -> list[str]:
    if not isinstance(token, dict):
        return [f"{where}: not an object"]
    problems = [
        f"{where}.{name}: 2.2.1 field"
        for name in ("contract_id", "country_code", "party_id")
        if name in token
    ]
    if "auth_id" not in token:
        problems.append(f"{where}.auth_id: missing")
    if token.get("type") not in ("RFID", "OTHER"):
        problems.append(f"{where}.type: {token.get('type')!r} is no 2.1.1 TokenType")
    return problems


def problems_211(module: str, depth: int, body: Any) -> list[str]:
    """What makes `body` (pushed to `module`, a URL `depth` segments below it) no 2.1.1 object."""
    if module == "locations":
        check: Callable[[Any, str], list[str]] = (location_problems, _evse_problems, _connector_problems)[
            depth - 3
        ]
        return check(body, "body")
    if module == "sessions" and isinstance(body, dict):
        problems = [
            f"{n}: 2.2.1 field"
            for n in ("cdr_token", "location_id", "start_date_time", "country_code")
            if n in body
        ]
        if isinstance(body.get("total_cost"), dict):
            problems.append("total_cost: a Price, not a number")
        if "location" in body:
            problems += location_problems(body["location"])
        return problems
    if module == "cdrs" and isinstance(body, dict):
        problems = [
            f"{n}: 2.2.1 field"
            for n in ("cdr_token", "cdr_location", "end_date_time", "country_code")
            if n in body
        ]
        problems += [f"{n}: missing" for n in ("auth_id", "location", "stop_date_time") if n not in body]
        if isinstance(body.get("total_cost"), dict):
            problems.append("total_cost: a Price, not a number")
        return problems + location_problems(body.get("location"))
    if module == "tariffs" and isinstance(body, dict):
        problems = [
            f"{n}: 2.2.1 field" for n in ("country_code", "party_id", "min_price", "type") if n in body
        ]
        for element in body.get("elements") or ():
            problems += ["vat: 2.2.1 field" for c in element.get("price_components") or () if "vat" in c]
        return problems
    if module == "tokens":
        return token_problems(body)
    if module == "commands" and isinstance(body, dict):
        problems = token_problems(body["token"]) if "token" in body else []
        if "reservation_id" in body and not isinstance(body["reservation_id"], int):
            problems.append("reservation_id: not an int")
        return problems + [
            f"{n}: 2.2.1 field" for n in ("connector_id", "authorization_reference") if n in body
        ]
    return [] if isinstance(body, dict) else ["body: not an object"]


def result_problems(body: Any) -> list[str]:
    if not isinstance(body, dict) or body.get("result") not in COMMAND_RESULTS_211:
        return [f"result: {body!r} is no 2.1.1 CommandResponse"]
    return [f"{n}: 2.2.1 field" for n in ("message", "timeout") if n in body]


# --- the partner calling the hub --------------------------------------------------------------------------


class Client211:
    """Calls the hub as the 2.1.1 partner: its current token raw (2.1.1 practice) unless `token` is given,
    never routing headers (2.1.1 has none)."""

    def __init__(self, partner: Fake211Partner, hub_url: str) -> None:
        self.partner, self.hub_url = partner, hub_url.rstrip("/")

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
        auth: bool = True,
    ) -> HubReply:
        url = path if path.startswith("http") else self.hub_url + path
        headers = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        value = token if token is not None else self.partner.outbound_token
        if value is not None and auth:
            headers["Authorization"] = f"Token {value}"
        return await self.partner.http(method, url, headers=headers, json=json, params=params)

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
