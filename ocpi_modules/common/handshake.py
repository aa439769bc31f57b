"""The hub's calls during a credentials handshake, the same in every OCPI version: GET a partner's versions
and version details (trying the token raw and Base64-encoded, AU-08) and send it our credentials. Each
version package picks its version and reads its endpoints; this module only fetches and checks.

An adapter module: imports structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from hub.core.models import Endpoint
from ocpi_modules.common.client import OcpiClient, OcpiResponse, OcpiTransportError, check_partner_url
from ocpi_modules.common.errors import UnableToUseClientApiError
from ocpi_modules.common.runtime import OcpiRuntime

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Discovery:
    """What a partner's versions endpoint told us: the agreed version, its usable endpoints, and whether the
    partner accepted our token Base64-encoded (AU-08)."""

    versions_url: str
    version: str
    endpoints: tuple[Endpoint, ...]
    encode: bool

    def endpoint(self, identifier: str) -> str | None:
        return next((e.url for e in self.endpoints if e.identifier.lower() == identifier), None)


@dataclass(frozen=True)
class Versions:
    """A partner's answered versions list: the checked URL, its entries and the token encoding that worked."""

    url: str
    entries: list[Any]
    encode: bool


def offered_versions(entries: Any) -> dict[str, str]:
    """`{version: details URL}` of a versions list's well-formed entries, the first of each version kept."""
    offered: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("version"), str)
            and isinstance(entry.get("url"), str)
        ):
            offered.setdefault(entry["version"].strip(), entry["url"].strip())
    return offered


def client(rt: OcpiRuntime) -> OcpiClient:
    if rt.http is None:
        raise UnableToUseClientApiError("The hub's HTTP client is not started")
    started: OcpiClient = rt.http
    return started


def checked_url(rt: OcpiRuntime, url: str, what: str) -> str:
    """`url` if the hub may call it (VE-08), else UnableToUseClientApiError (3001) naming `what`."""
    try:
        return check_partner_url(url, allow_private=rt.config.allow_private_urls)
    except ValueError as exc:
        raise UnableToUseClientApiError(f"Refused {what}: {exc}") from None


def usable_endpoints(rt: OcpiRuntime, endpoints: Iterable[Endpoint]) -> tuple[Endpoint, ...]:
    """The endpoints whose URL `check_partner_url` accepts; the others are logged and dropped (VE-08)."""
    return tuple(e for e in endpoints if _usable(rt, e))


def _usable(rt: OcpiRuntime, endpoint: Endpoint) -> bool:
    try:
        check_partner_url(endpoint.url, allow_private=rt.config.allow_private_urls)
    except ValueError as exc:
        log.warning("ocpi_partner_endpoint_refused", identifier=endpoint.identifier, reason=str(exc))
        return False
    return True


def _failed(method: str, response: OcpiResponse, url: str) -> UnableToUseClientApiError:
    detail = f": {response.status_message}" if response.status_message else ""
    return UnableToUseClientApiError(
        f"{method} {url} answered HTTP {response.http_status}, status {response.status_code}{detail}"
    )


async def _get(rt: OcpiRuntime, url: str, token: str, encode: bool, timeout_s: float) -> OcpiResponse:
    try:
        return await client(rt).request("GET", url, token=token, encode=encode, timeout_s=timeout_s)
    except OcpiTransportError as exc:
        raise UnableToUseClientApiError(f"GET {url} failed: {exc}") from None


async def within(timeout_s: float, versions_url: str, discovery: Awaitable[T]) -> T:
    """`discovery` awaited within `timeout_s` (CR-04), else UnableToUseClientApiError (3001)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await discovery
    except TimeoutError:
        raise UnableToUseClientApiError(f"{versions_url} did not answer within {timeout_s:g} s") from None


async def get_versions(
    rt: OcpiRuntime, versions_url: str, token: str, modes: tuple[bool, ...], timeout_s: float
) -> Versions:
    """GET the partner's versions list with `token`, encoded as each of `modes` in turn while the partner
    answers HTTP 401 (AU-08: "by trial and error"). 3001 for a refused URL or an answer that is no list."""
    url = checked_url(rt, versions_url, "versions URL")
    for mode in modes:
        response = await _get(rt, url, token, mode, timeout_s)
        if response.http_status != 401:
            break
    if not response.ok or not isinstance(response.data, list):
        raise _failed("GET", response, url)
    return Versions(url=url, entries=response.data, encode=mode)


async def get_details(rt: OcpiRuntime, details_url: str, token: str, encode: bool, timeout_s: float) -> Any:
    """GET a version details object; 3001 for a refused URL or an answer that is no object."""
    details = checked_url(rt, details_url, "version details URL")
    answer = await _get(rt, details, token, encode, timeout_s)
    if not answer.ok or not isinstance(answer.data, dict):
        raise _failed("GET", answer, details)
    return answer.data


async def send_credentials(
    rt: OcpiRuntime, method: str, url: str, token: str, encode: bool, body: dict[str, Any] | None
) -> OcpiResponse:
    """POST/PUT/DELETE to a partner's credentials endpoint; 3001 when it cannot be reached or refuses."""
    url = checked_url(rt, url, "credentials URL")
    try:
        response = await client(rt).request(
            method, url, token=token, encode=encode, json=body, timeout_s=rt.config.request_timeout_s
        )
    except OcpiTransportError as exc:
        raise UnableToUseClientApiError(f"{method} {url} failed: {exc}") from None
    if not response.ok:
        raise _failed(method, response, url)
    return response
