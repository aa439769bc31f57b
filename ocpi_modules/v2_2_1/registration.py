"""Credentials handshakes (checklist §10): discovering a partner's version and endpoints, the Credentials
object in and out, and the hub as Sender — register with a partner's Token A, rotate (PUT), unregister
(DELETE) — plus invitations (Token A we hand out).

An adapter module: imports pydantic, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.core.errors import ConflictError, NotFoundError
from hub.core.models import Endpoint, PartyRef, Platform, PlatformRole, PlatformStatus, Role
from ocpi_modules.common.auth import is_valid_token, new_token
from ocpi_modules.common.client import (
    OcpiClient,
    OcpiResponse,
    OcpiTransportError,
    check_partner_url,
    token_fingerprint,
)
from ocpi_modules.common.errors import (
    InvalidParametersError,
    NoMatchingEndpointsError,
    OcpiError,
    UnableToUseClientApiError,
    UnsupportedVersionError,
)
from ocpi_modules.common.runtime import OcpiConfig, OcpiRuntime
from ocpi_modules.v2_2_1.security import REGISTERED

log = structlog.get_logger(__name__)

VERSION = "2.2.1"
# Version strings a partner may publish for what we speak, best first: a `2.2` is often 2.2.1 (VE-07).
ACCEPTED_VERSIONS = ("2.2.1", "2.2")
# Without these in the partner's version details, no handshake can go on (CR-02 → 3003).
REQUIRED_ENDPOINTS = ("credentials",)
_LOCKS_KEY = "ocpi.credentials_locks"
_LISTENERS_KEY = "ocpi.registration_listeners"


# --- The Credentials object ---------------------------------------------------------------------------------


class _BusinessDetails(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(default="", max_length=100)
    website: str | None = None


class _CredentialsRole(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Role
    business_details: _BusinessDetails = _BusinessDetails()
    # §20; the same shapes routing headers accept (RT-01), so every registered party can be addressed.
    party_id: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    country_code: str = Field(pattern=r"^[A-Za-z]{2}$")


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str
    url: str
    roles: list[_CredentialsRole] = Field(min_length=1)


@dataclass(frozen=True)
class Credentials:
    """A partner's Credentials object, checked: its token (a secret), versions URL and roles."""

    token: str
    url: str
    roles: tuple[PlatformRole, ...]

    def __repr__(self) -> str:
        return (
            f"Credentials(token={token_fingerprint(self.token)}, url={self.url!r}, roles={len(self.roles)})"
        )


def parse_credentials(data: Any) -> Credentials:
    """Check a Credentials object; InvalidParametersError (2001) names what is wrong: the token must be 1–64
    printable ASCII characters (AU-06), each (role, country_code, party_id) appear once (CR-10)."""
    try:
        parsed = _Credentials.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "credentials"
        raise InvalidParametersError(f"Invalid credentials: {where}: {first['msg']}") from None
    if not is_valid_token(parsed.token):
        raise InvalidParametersError("Invalid credentials: token must be 1-64 printable ASCII characters")
    seen: set[tuple[str, str]] = set()
    roles: list[PlatformRole] = []
    for entry in parsed.roles:
        party = PartyRef(country_code=entry.country_code, party_id=entry.party_id)
        key = (str(entry.role), party.key())
        if key in seen:
            raise InvalidParametersError(f"Invalid credentials: role {entry.role} of {party} appears twice")
        seen.add(key)
        details = entry.business_details
        roles.append(PlatformRole(party=party, role=entry.role, name=details.name, website=details.website))
    return Credentials(token=parsed.token, url=parsed.url.strip(), roles=tuple(roles))


def hub_credentials(config: OcpiConfig, token: str) -> dict[str, Any]:
    """Our Credentials object: exactly one role, HUB, with the hub's identity (CR-11)."""
    return {
        "token": token,
        "url": config.url("/versions"),
        "roles": [
            {
                "role": "HUB",
                "business_details": {"name": config.hub_name},
                "party_id": config.hub_party.party_id,
                "country_code": config.hub_party.country_code,
            }
        ],
    }


async def check_roles(rt: OcpiRuntime, roles: tuple[PlatformRole, ...], platform_id: str) -> None:
    """Refuse (2001) parties that are ours (the hub or a hosted party) or already registered by another
    platform (CR-12)."""
    config = rt.config
    for entry in roles:
        party = entry.party
        if party.key() == config.hub_party.key() or config.hosted_party(party) is not None:
            raise InvalidParametersError(f"Party {party} is a party of this hub")
        holder = await rt.core.platforms.find_by_party(party)
        if holder is not None and holder.id != platform_id:
            raise InvalidParametersError(f"Party {party} is already registered by another platform")


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


RegistrationListener = Callable[[OcpiRuntime, Platform], Awaitable[None]]


def on_registered(rt: OcpiRuntime, listener: RegistrationListener) -> None:
    """Run `listener(rt, platform)` in the background after every successful registration, whichever side
    started it (e.g. send a new partner what it must know from the start: tokens, locations)."""
    rt.extras.setdefault(_LISTENERS_KEY, []).append(listener)


def announce_registered(rt: OcpiRuntime, platform: Platform) -> None:
    """Start the `on_registered` listeners for a platform that has just become CONNECTED."""
    for listener in rt.extras.get(_LISTENERS_KEY, ()):
        rt.core.tasks.spawn(listener(rt, platform), name=f"ocpi-registered-{platform.id}")


def credentials_lock(rt: OcpiRuntime, platform_id: str) -> asyncio.Lock:
    """Serialises handshakes of one platform (two POSTs with the same Token A must not both succeed)."""
    locks: dict[str, asyncio.Lock] = rt.extras.setdefault(_LOCKS_KEY, {})
    return locks.setdefault(platform_id, asyncio.Lock())


# --- The hub as Sender -------------------------------------------------------------------------------------


async def invite(rt: OcpiRuntime, name: str) -> tuple[Platform, str]:
    """A PLANNED platform with a fresh Token A; hand the token and our versions URL to the partner."""
    token = new_token()
    platform = Platform(
        id=uuid.uuid4().hex,
        name=name,
        status=PlatformStatus.PLANNED,
        invitation_token=token,
        last_updated=rt.clock.now(),
    )
    await rt.core.platforms.put(platform)
    log.info("ocpi_invitation_created", platform_id=platform.id, name=name, token_fp=token_fingerprint(token))
    return platform, token


async def _send_credentials(
    rt: OcpiRuntime, method: str, url: str, token: str, encode: bool, body: dict[str, Any] | None
) -> OcpiResponse:
    url = _checked_url(rt, url, "credentials URL")
    try:
        response = await _client(rt).request(
            method, url, token=token, encode=encode, json=body, timeout_s=rt.config.request_timeout_s
        )
    except OcpiTransportError as exc:
        raise UnableToUseClientApiError(f"{method} {url} failed: {exc}") from None
    if not response.ok:
        detail = f": {response.status_message}" if response.status_message else ""
        raise UnableToUseClientApiError(
            f"{method} {url} answered HTTP {response.http_status}, status {response.status_code}{detail}"
        )
    return response


async def register(rt: OcpiRuntime, *, versions_url: str, token_a: str, name: str) -> Platform:
    """Register with a partner that gave us Token A and its versions URL (the hub is Sender, §10 steps 2–6).

    Token B is stored as the partner's inbound token BEFORE the POST, so its callback GETs succeed. Raises
    OcpiError (3001/3002/3003 when the partner cannot be used, 2001 for bad credentials in its answer) and
    ConflictError when a connected platform already has this versions URL. A failed attempt leaves a PLANNED
    platform without tokens; retrying with the same URL reuses it."""
    versions_url = versions_url.strip()
    platform = await _reusable_platform(rt, versions_url, name)
    async with credentials_lock(rt, platform.id):
        found = await discover(rt, versions_url, token_a, timeout_s=rt.config.request_timeout_s)
        token_b = new_token()
        platform = platform.model_copy(
            update={
                "versions_url": found.versions_url,
                "version": found.version,
                "endpoints": found.endpoints,
                "encode_token": found.encode,
                "inbound_token": token_b,
                "last_updated": rt.clock.now(),
            }
        )
        await rt.core.platforms.put(platform)
        try:
            answer = await _send_credentials(
                rt,
                "POST",
                found.endpoint("credentials") or "",
                token_a,
                found.encode,
                hub_credentials(rt.config, token_b),
            )
            offered = parse_credentials(answer.data)
            await check_roles(rt, offered.roles, platform.id)
        except Exception:
            # Token B dies with the attempt: the partner never got a usable registration.
            failed = platform.model_copy(update={"inbound_token": None, "last_updated": rt.clock.now()})
            await rt.core.platforms.put(failed)
            raise
        now = rt.clock.now()
        platform = platform.model_copy(
            update={
                "status": PlatformStatus.CONNECTED,
                "outbound_token": offered.token,
                "roles": offered.roles,
                "versions_url": _answered_url(rt, offered.url, found.versions_url),
                "registered_at": now,
                "last_updated": now,
            }
        )
        await rt.core.platforms.put(platform)
    log.info(
        "ocpi_registered_with_partner", platform_id=platform.id, name=platform.name, roles=_roles(platform)
    )
    announce_registered(rt, platform)
    return platform


async def _reusable_platform(rt: OcpiRuntime, versions_url: str, name: str) -> Platform:
    for existing in await rt.core.platforms.list():
        if existing.versions_url != versions_url or existing.invitation_token is not None:
            continue
        if existing.status in REGISTERED:
            raise ConflictError(f"platform {existing.id} is already registered with {versions_url}")
        return existing.model_copy(update={"name": name, "status": PlatformStatus.PLANNED})
    return Platform(id=uuid.uuid4().hex, name=name, last_updated=rt.clock.now())


def _answered_url(rt: OcpiRuntime, answered: str, fallback: str) -> str:
    try:
        return check_partner_url(answered, allow_private=rt.config.allow_private_urls)
    except ValueError:
        log.warning("ocpi_partner_url_refused", url=answered)
        return fallback


def _roles(platform: Platform) -> list[str]:
    return [f"{entry.role}:{entry.party}" for entry in platform.roles]


async def _registered(rt: OcpiRuntime, platform_id: str) -> Platform:
    platform = await rt.core.platforms.get(platform_id)
    if platform is None:
        raise NotFoundError(f"unknown platform {platform_id}")
    if platform.status not in REGISTERED or platform.outbound_token is None:
        raise ConflictError(f"platform {platform_id} is not registered (status {platform.status})")
    return platform


async def update(rt: OcpiRuntime, platform_id: str) -> Platform:
    """Rotate credentials with a registered partner (PUT, CR-06/CR-08): re-read its versions and details,
    give it a new token, store the one it answers. Our previous token for it stays valid for
    `token_grace_s` (CR-07). Raises NotFoundError, ConflictError (not registered) or OcpiError."""
    async with credentials_lock(rt, platform_id):
        platform = await _registered(rt, platform_id)
        assert platform.outbound_token is not None
        found = await discover(
            rt,
            platform.versions_url or "",
            platform.outbound_token,
            timeout_s=rt.config.request_timeout_s,
            encode=platform.encode_token,
        )
        old_b, new_b = platform.inbound_token, new_token()
        now = rt.clock.now()
        grace_until = now + timedelta(seconds=rt.config.token_grace_s)
        platform = platform.model_copy(
            update={
                "version": found.version,
                "endpoints": found.endpoints,
                "inbound_token": new_b,
                "previous_inbound_token": old_b,
                "previous_inbound_until": grace_until,
                "last_updated": now,
            }
        )
        await rt.core.platforms.put(platform)  # before the PUT: its callback GETs use the new token
        try:
            answer = await _send_credentials(
                rt,
                "PUT",
                found.endpoint("credentials") or "",
                platform.outbound_token or "",
                found.encode,
                hub_credentials(rt.config, new_b),
            )
            offered = parse_credentials(answer.data)
            await check_roles(rt, offered.roles, platform.id)
        except Exception:
            # The partner may or may not have stored the new token: keep the old one, and the new one for the
            # grace period.
            kept = platform.model_copy(
                update={
                    "inbound_token": old_b,
                    "previous_inbound_token": new_b,
                    "last_updated": rt.clock.now(),
                }
            )
            await rt.core.platforms.put(kept)
            raise
        platform = platform.model_copy(
            update={
                "status": PlatformStatus.CONNECTED,
                "outbound_token": offered.token,
                "roles": offered.roles,
                "versions_url": _answered_url(rt, offered.url, found.versions_url),
                "last_updated": rt.clock.now(),
            }
        )
        await rt.core.platforms.put(platform)
    log.info("ocpi_credentials_rotated", platform_id=platform.id, initiated_by="hub")
    return platform


async def unregister(rt: OcpiRuntime, platform_id: str) -> Platform:
    """End a registration: DELETE our credentials at the partner (a failure is logged, not raised: the
    operator's decision stands), then clear every token and mark the platform SUSPENDED (CR-09). A PLANNED
    platform's invitation is simply revoked. Raises NotFoundError for an unknown id."""
    async with credentials_lock(rt, platform_id):
        platform = await rt.core.platforms.get(platform_id)
        if platform is None:
            raise NotFoundError(f"unknown platform {platform_id}")
        credentials_url = platform.endpoint("credentials", "SENDER")
        if platform.status in REGISTERED and platform.outbound_token and credentials_url:
            try:
                await _send_credentials(
                    rt, "DELETE", credentials_url, platform.outbound_token, platform.encode_token, None
                )
            except OcpiError as exc:
                log.warning("ocpi_unregister_partner_failed", platform_id=platform.id, error=exc.message)
        platform = suspended(platform, rt)
        await rt.core.platforms.put(platform)
    log.info("ocpi_unregistered", platform_id=platform.id, initiated_by="hub")
    return platform


def suspended(platform: Platform, rt: OcpiRuntime) -> Platform:
    """The platform with every token cleared and status SUSPENDED (CR-09)."""
    return platform.model_copy(
        update={
            "status": PlatformStatus.SUSPENDED,
            "invitation_token": None,
            "inbound_token": None,
            "previous_inbound_token": None,
            "previous_inbound_until": None,
            "outbound_token": None,
            "last_updated": rt.clock.now(),
        }
    )
