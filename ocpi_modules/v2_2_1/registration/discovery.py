"""Discovering a partner: GET its versions, pick the mutual one, GET its details and keep the usable
endpoints (the calls themselves are common.handshake). Imports ocpi_modules.common and the core only."""

from __future__ import annotations

from typing import Any

from hub.core.models import Endpoint
from ocpi_modules.common.errors import NoMatchingEndpointsError, UnsupportedVersionError
from ocpi_modules.common.handshake import (
    Discovery,
    get_details,
    get_versions,
    offered_versions,
    usable_endpoints,
    within,
)
from ocpi_modules.common.runtime import OcpiRuntime

VERSION = "2.2.1"
# Version strings a partner may publish for what we speak, best first: a `2.2` is often 2.2.1 (VE-07).
ACCEPTED_VERSIONS = ("2.2.1", "2.2")
# Without these in the partner's version details, no handshake can go on (CR-02 → 3003).
REQUIRED_ENDPOINTS = ("credentials",)


# --- Discovery: versions → version details ---------------------------------------------------------------


def pick_version(entries: Any) -> tuple[str, str] | None:
    """(version as we name it, details URL) of the best mutual version, or None (VE-07)."""
    offered = offered_versions(entries)
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


async def discover(
    rt: OcpiRuntime, versions_url: str, token: str, *, timeout_s: float, encode: bool | None = None
) -> Discovery:
    """GET the partner's versions with `token`, pick 2.2.1 (or its `2.2`), GET its details; all of it
    within `timeout_s` (CR-04: inside a partner's POST the budget is its HTTP client's patience).

    `encode=None` tries the token Base64-encoded first and raw after an HTTP 401 (AU-08: "by trial and
    error"). Endpoints whose URL `check_partner_url` refuses are dropped (VE-08). Raises
    UnableToUseClientApiError (3001: unreachable, timeout, refused URL, not a success, malformed),
    UnsupportedVersionError (3002) or NoMatchingEndpointsError (3003: no usable credentials endpoint)."""
    return await within(timeout_s, versions_url, _discover(rt, versions_url, token, timeout_s, encode))


async def _discover(
    rt: OcpiRuntime, versions_url: str, token: str, timeout_s: float, encode: bool | None
) -> Discovery:
    versions = await get_versions(
        rt, versions_url, token, (True, False) if encode is None else (encode,), timeout_s
    )
    picked = pick_version(versions.entries)
    if picked is None:
        offered = [e.get("version") for e in versions.entries if isinstance(e, dict)]
        raise UnsupportedVersionError(f"No mutual version: we speak {VERSION}, the partner offers {offered}")
    version, details = picked
    data = await get_details(rt, details, token, versions.encode, timeout_s)
    endpoints = usable_endpoints(rt, parse_endpoints(data))
    found = Discovery(versions_url=versions.url, version=version, endpoints=endpoints, encode=versions.encode)
    missing = [name for name in REQUIRED_ENDPOINTS if found.endpoint(name) is None]
    if missing:
        raise NoMatchingEndpointsError(f"The partner's {VERSION} details lack: {', '.join(missing)}")
    return found
