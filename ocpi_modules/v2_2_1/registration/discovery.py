"""Discovering a partner: GET its versions, pick the mutual one, GET its details and keep the usable
endpoints. Imports structlog, ocpi_modules.common and the core only."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog

from hub.core.models import Endpoint
from ocpi_modules.common.client import OcpiClient, OcpiResponse, OcpiTransportError, check_partner_url
from ocpi_modules.common.errors import (
    NoMatchingEndpointsError,
    UnableToUseClientApiError,
    UnsupportedVersionError,
)
from ocpi_modules.common.runtime import OcpiRuntime

log = structlog.get_logger(__name__)

VERSION = "2.2.1"
# Version strings a partner may publish for what we speak, best first: a `2.2` is often 2.2.1 (VE-07).
ACCEPTED_VERSIONS = ("2.2.1", "2.2")
# Without these in the partner's version details, no handshake can go on (CR-02 → 3003).
REQUIRED_ENDPOINTS = ("credentials",)


# --- Discovery: versions → version details ---------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """What a partner's versions endpoint told us: the agreed version, its endpoints, and whether the
    partner accepted our token Base64-encoded (AU-08)."""

    versions_url: str
    version: str
    endpoints: tuple[Endpoint, ...]
    encode: bool

    def endpoint(self, identifier: str) -> str | None:
        return next((e.url for e in self.endpoints if e.identifier.lower() == identifier), None)


def pick_version(entries: Any) -> tuple[str, str] | None:
    """(version as we name it, details URL) of the best mutual version, or None (VE-07)."""
    offered: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("version"), str)
            and isinstance(entry.get("url"), str)
        ):
            offered.setdefault(entry["version"].strip(), entry["url"].strip())
    for version in ACCEPTED_VERSIONS:
        if version in offered:
            return VERSION, offered[version]
    return None


def parse_endpoints(data: Any) -> tuple[Endpoint, ...]:
    """The usable entries of a version details' `endpoints` (identifier, SENDER/RECEIVER, url); the role
    of `credentials` does not matter (VE-04)."""
    raw = data.get("endpoints") if isinstance(data, dict) else None
    endpoints: list[Endpoint] = []
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, dict):
            continue
        identifier, role, url = entry.get("identifier"), entry.get("role"), entry.get("url")
        if not (isinstance(identifier, str) and isinstance(url, str) and identifier and url):
            continue
        role = role.upper() if isinstance(role, str) else None
        if role not in ("SENDER", "RECEIVER"):
            if identifier.lower() != "credentials":
                continue
            role = "SENDER"
        endpoints.append(Endpoint(identifier=identifier, role=role, url=url.strip()))
    return tuple(endpoints)


def _client(rt: OcpiRuntime) -> OcpiClient:
    if rt.http is None:
        raise UnableToUseClientApiError("The hub's HTTP client is not started")
    client: OcpiClient = rt.http
    return client


def _checked_url(rt: OcpiRuntime, url: str, what: str) -> str:
    try:
        return check_partner_url(url, allow_private=rt.config.allow_private_urls)
    except ValueError as exc:
        raise UnableToUseClientApiError(f"Refused {what}: {exc}") from None


async def _get(rt: OcpiRuntime, url: str, token: str, encode: bool, timeout_s: float) -> OcpiResponse:
    try:
        return await _client(rt).request("GET", url, token=token, encode=encode, timeout_s=timeout_s)
    except OcpiTransportError as exc:
        raise UnableToUseClientApiError(f"GET {url} failed: {exc}") from None


def _usable(rt: OcpiRuntime, endpoint: Endpoint) -> bool:
    try:
        check_partner_url(endpoint.url, allow_private=rt.config.allow_private_urls)
    except ValueError as exc:
        log.warning("ocpi_partner_endpoint_refused", identifier=endpoint.identifier, reason=str(exc))
        return False
    return True


def _failed(response: OcpiResponse, url: str) -> UnableToUseClientApiError:
    detail = f": {response.status_message}" if response.status_message else ""
    return UnableToUseClientApiError(
        f"GET {url} answered HTTP {response.http_status}, status {response.status_code}{detail}"
    )


async def discover(
    rt: OcpiRuntime, versions_url: str, token: str, *, timeout_s: float, encode: bool | None = None
) -> Discovery:
    """GET the partner's versions with `token`, pick 2.2.1 (or its `2.2`), GET its details; all of it
    within `timeout_s` (CR-04: inside a partner's POST the budget is its HTTP client's patience).

    `encode=None` tries the token Base64-encoded first and raw after an HTTP 401 (AU-08: "by trial and
    error"). Endpoints whose URL `check_partner_url` refuses are dropped (VE-08). Raises
    UnableToUseClientApiError (3001: unreachable, timeout, refused URL, not a success, malformed),
    UnsupportedVersionError (3002) or NoMatchingEndpointsError (3003: no usable credentials endpoint)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await _discover(rt, versions_url, token, timeout_s, encode)
    except TimeoutError:
        raise UnableToUseClientApiError(f"{versions_url} did not answer within {timeout_s:g} s") from None


async def _discover(
    rt: OcpiRuntime, versions_url: str, token: str, timeout_s: float, encode: bool | None
) -> Discovery:
    url = _checked_url(rt, versions_url, "versions URL")
    modes = (True, False) if encode is None else (encode,)
    for mode in modes:
        response = await _get(rt, url, token, mode, timeout_s)
        if response.http_status != 401:
            break
    if not response.ok or not isinstance(response.data, list):
        raise _failed(response, url)
    picked = pick_version(response.data)
    if picked is None:
        offered = [e.get("version") for e in response.data if isinstance(e, dict)]
        raise UnsupportedVersionError(f"No mutual version: we speak {VERSION}, the partner offers {offered}")
    version, details = picked
    details = _checked_url(rt, details, "version details URL")
    answer = await _get(rt, details, token, mode, timeout_s)
    if not answer.ok or not isinstance(answer.data, dict):
        raise _failed(answer, details)
    endpoints = tuple(e for e in parse_endpoints(answer.data) if _usable(rt, e))
    found = Discovery(versions_url=url, version=version, endpoints=endpoints, encode=mode)
    missing = [name for name in REQUIRED_ENDPOINTS if found.endpoint(name) is None]
    if missing:
        raise NoMatchingEndpointsError(f"The partner's {VERSION} details lack: {', '.join(missing)}")
    return found
