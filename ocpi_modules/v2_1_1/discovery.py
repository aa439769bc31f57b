"""Discovering a 2.1.1 partner (version_information_endpoint.md): GET its versions with its token, pick 2.1.1,
GET the version details and keep the usable endpoints. 2.1.1 endpoints carry no role: each gets the role it
plays for the partner's own role (a CPO's `locations` is a Sender, an eMSP's a Receiver), which is how the
router finds them (`Platform.endpoint(module, role)`).

An adapter module: imports structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog

from hub.core.models import Endpoint, Role
from ocpi_modules.common.client import OcpiClient, OcpiResponse, OcpiTransportError, check_partner_url
from ocpi_modules.common.errors import (
    NoMatchingEndpointsError,
    UnableToUseClientApiError,
    UnsupportedVersionError,
)
from ocpi_modules.common.routing import RECEIVER, SENDER
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_1_1.urls import VERSION

log = structlog.get_logger(__name__)

# What a partner may publish for 2.1.1, best first: "2.1" is deprecated and taken as 2.1.1 (VE-07).
ACCEPTED_VERSIONS = ("2.1.1", "2.1")
# The role of a 2.1.1 partner's endpoint, by the partner's role (mod_*.md "Interfaces and endpoints").
PARTNER_INTERFACES: dict[Role, dict[str, str]] = {
    Role.CPO: {
        "locations": SENDER, "sessions": SENDER, "cdrs": SENDER, "tariffs": SENDER,
        "tokens": RECEIVER, "commands": RECEIVER,
    },
    Role.EMSP: {
        "locations": RECEIVER, "sessions": RECEIVER, "cdrs": RECEIVER, "tariffs": RECEIVER,
        "tokens": SENDER, "commands": SENDER,
    },
}  # fmt: skip


@dataclass(frozen=True)
class Discovery:
    """A 2.1.1 partner's versions URL, its endpoints (with roles) and whether it took our token
    Base64-encoded (raw is tried first for 2.1.1 peers, AU-08)."""

    versions_url: str
    version: str
    endpoints: tuple[Endpoint, ...]
    encode: bool

    def endpoint(self, identifier: str) -> str | None:
        return next((e.url for e in self.endpoints if e.identifier.lower() == identifier), None)


def pick_version(entries: Any) -> str | None:
    """The details URL of the partner's 2.1.1 (or 2.1), or None."""
    offered: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("version"), str)
            and isinstance(entry.get("url"), str)
        ):
            offered.setdefault(entry["version"].strip(), entry["url"].strip())
    return next((offered[v] for v in ACCEPTED_VERSIONS if v in offered), None)


def parse_endpoints(data: Any, partner_role: Role) -> tuple[Endpoint, ...]:
    """The usable `{identifier, url}` entries of 2.1.1 version details, each with the role it plays for a
    partner of `partner_role`; identifiers 2.1.1 does not define for that role are left out."""
    roles = PARTNER_INTERFACES.get(partner_role, {})
    raw = data.get("endpoints") if isinstance(data, dict) else None
    endpoints: list[Endpoint] = []
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, dict):
            continue
        identifier, url = entry.get("identifier"), entry.get("url")
        if not (isinstance(identifier, str) and isinstance(url, str) and identifier and url):
            continue
        name = identifier.lower()
        role = SENDER if name == "credentials" else roles.get(name)
        if role is not None:
            endpoints.append(Endpoint(identifier=name, role=role, url=url.strip()))
    return tuple(endpoints)


def _client(rt: OcpiRuntime) -> OcpiClient:
    if rt.http is None:
        raise UnableToUseClientApiError("The hub's HTTP client is not started")
    client: OcpiClient = rt.http
    return client


def checked_url(rt: OcpiRuntime, url: str, what: str) -> str:
    try:
        return check_partner_url(url, allow_private=rt.config.allow_private_urls)
    except ValueError as exc:
        raise UnableToUseClientApiError(f"Refused {what}: {exc}") from None


async def _get(rt: OcpiRuntime, url: str, token: str, encode: bool, timeout_s: float) -> OcpiResponse:
    try:
        return await _client(rt).request("GET", url, token=token, encode=encode, timeout_s=timeout_s)
    except OcpiTransportError as exc:
        raise UnableToUseClientApiError(f"GET {url} failed: {exc}") from None


def _failed(response: OcpiResponse, url: str) -> UnableToUseClientApiError:
    detail = f": {response.status_message}" if response.status_message else ""
    return UnableToUseClientApiError(
        f"GET {url} answered HTTP {response.http_status}, status {response.status_code}{detail}"
    )


async def discover(
    rt: OcpiRuntime,
    versions_url: str,
    token: str,
    partner_role: Role,
    *,
    timeout_s: float,
    encode: bool | None = None,
) -> Discovery:
    """GET the partner's versions and 2.1.1 details with `token` within `timeout_s` (CR-04). `encode=None`
    tries the token raw first and Base64-encoded after an HTTP 401. Raises UnableToUseClientApiError (3001),
    UnsupportedVersionError (3002: no 2.1.1) or NoMatchingEndpointsError (3003: no credentials endpoint)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await _discover(rt, versions_url, token, partner_role, timeout_s, encode)
    except TimeoutError:
        raise UnableToUseClientApiError(f"{versions_url} did not answer within {timeout_s:g} s") from None


async def _discover(
    rt: OcpiRuntime, versions_url: str, token: str, partner_role: Role, timeout_s: float, encode: bool | None
) -> Discovery:
    url = checked_url(rt, versions_url, "versions URL")
    modes = (False, True) if encode is None else (encode,)
    for mode in modes:
        response = await _get(rt, url, token, mode, timeout_s)
        if response.http_status != 401:
            break
    if not response.ok or not isinstance(response.data, list):
        raise _failed(response, url)
    details = pick_version(response.data)
    if details is None:
        offered = [e.get("version") for e in response.data if isinstance(e, dict)]
        raise UnsupportedVersionError(
            f"No mutual version: this endpoint speaks {VERSION}, the partner offers {offered}"
        )
    details = checked_url(rt, details, "version details URL")
    answer = await _get(rt, details, token, mode, timeout_s)
    if not answer.ok or not isinstance(answer.data, dict):
        raise _failed(answer, details)
    endpoints = tuple(e for e in parse_endpoints(answer.data, partner_role) if _usable(rt, e))
    found = Discovery(versions_url=url, version=VERSION, endpoints=endpoints, encode=mode)
    if found.endpoint("credentials") is None:
        raise NoMatchingEndpointsError(f"The partner's {VERSION} details lack: credentials")
    return found


def _usable(rt: OcpiRuntime, endpoint: Endpoint) -> bool:
    try:
        check_partner_url(endpoint.url, allow_private=rt.config.allow_private_urls)
    except ValueError as exc:
        log.warning("ocpi_partner_endpoint_refused", identifier=endpoint.identifier, reason=str(exc))
        return False
    return True
