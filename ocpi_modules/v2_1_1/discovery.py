"""Discovering a 2.1.1 partner (version_information_endpoint.md): GET its versions with its token, pick 2.1.1,
GET the version details and keep the usable endpoints. 2.1.1 endpoints carry no role: each gets the role it
plays for the partner's own role (a CPO's `locations` is a Sender, an eMSP's a Receiver), which is how the
router finds them (`Platform.endpoint(module, role)`).

The calls themselves are common.handshake. An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

from typing import Any

from hub.core.models import Endpoint, Role
from ocpi_modules.common.errors import NoMatchingEndpointsError, UnsupportedVersionError
from ocpi_modules.common.handshake import (
    Discovery,
    get_details,
    get_versions,
    offered_versions,
    usable_endpoints,
    within,
)
from ocpi_modules.common.routing import RECEIVER, SENDER
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_1_1.urls import VERSION

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


def pick_version(entries: Any) -> str | None:
    """The details URL of the partner's 2.1.1 (or 2.1), or None."""
    offered = offered_versions(entries)
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
    return await within(
        timeout_s, versions_url, _discover(rt, versions_url, token, partner_role, timeout_s, encode)
    )


async def _discover(
    rt: OcpiRuntime, versions_url: str, token: str, partner_role: Role, timeout_s: float, encode: bool | None
) -> Discovery:
    versions = await get_versions(
        rt, versions_url, token, (False, True) if encode is None else (encode,), timeout_s
    )
    details = pick_version(versions.entries)
    if details is None:
        offered = [e.get("version") for e in versions.entries if isinstance(e, dict)]
        raise UnsupportedVersionError(
            f"No mutual version: this endpoint speaks {VERSION}, the partner offers {offered}"
        )
    data = await get_details(rt, details, token, versions.encode, timeout_s)
    endpoints = usable_endpoints(rt, parse_endpoints(data, partner_role))
    found = Discovery(versions_url=versions.url, version=VERSION, endpoints=endpoints, encode=versions.encode)
    if found.endpoint("credentials") is None:
        raise NoMatchingEndpointsError(f"The partner's {VERSION} details lack: credentials")
    return found


__all__ = ["Discovery", "discover", "parse_endpoints", "pick_version"]
