"""What a registration stores and checks, the same in every OCPI version (credentials.md, checklist §10): the
per-platform handshake lock and registration listeners (shared on the runtime, so one handshake per platform
at a time whichever version's endpoint is called), which tokens a platform accepts, the refused parties, and
the platform as a handshake leaves it.

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

import structlog
from aiohttp import web

from hub.core.models import PartyRef, Platform, PlatformRole, PlatformStatus
from ocpi_modules.common.auth import token_candidates
from ocpi_modules.common.client import token_fingerprint
from ocpi_modules.common.errors import InvalidParametersError, MethodNotAllowedError, UnauthorizedError
from ocpi_modules.common.handshake import Discovery
from ocpi_modules.common.headers import AUTHORIZATION
from ocpi_modules.common.runtime import OcpiRuntime

log = structlog.get_logger(__name__)

_LOCKS_KEY = "ocpi.credentials_locks"
_LISTENERS_KEY = "ocpi.registration_listeners"

# Registered platforms may use functional modules (PLANNED ones reach versions and credentials only).
REGISTERED = frozenset({PlatformStatus.CONNECTED, PlatformStatus.OFFLINE})
ALREADY_REGISTERED = "Already registered: use PUT to update or DELETE to unregister"
NOT_REGISTERED = "Not registered: POST credentials with the token you were given first"

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


def accepts_token(rt: OcpiRuntime, platform: Platform, token: str, allow_invitation: bool) -> bool | None:
    """True: accepted as the invitation; False: as a current or previous token; None: refused (a SUSPENDED
    platform, CR-09; a previous token after its grace period, CR-07; Token A where not allowed, AU-05)."""
    if platform.status is PlatformStatus.SUSPENDED:
        return None
    if platform.inbound_token == token:
        return False
    if (
        platform.previous_inbound_token == token
        and platform.previous_inbound_until is not None
        and rt.clock.now() < platform.previous_inbound_until
    ):
        return False
    if platform.invitation_token == token and allow_invitation and platform.status is PlatformStatus.PLANNED:
        return True
    return None


async def check_parties(rt: OcpiRuntime, parties: Iterable[PartyRef], platform_id: str) -> None:
    """Refuse (2001) parties that are ours (the hub or a hosted party) or already registered by another
    platform (CR-12)."""
    config = rt.config
    for party in parties:
        if party.key() == config.hub_party.key() or config.hosted_party(party) is not None:
            raise InvalidParametersError(f"Party {party} is a party of this hub")
        holder = await rt.core.platforms.find_by_party(party)
        if holder is not None and holder.id != platform_id:
            raise InvalidParametersError(f"Party {party} is already registered by another platform")


async def invited_platform(rt: OcpiRuntime, platform_id: str, token_a: str) -> Platform:
    """The platform re-read under the handshake lock, still PLANNED with `token_a` as its invitation; 405 when
    a concurrent POST with the same Token A won the race."""
    platform = await rt.core.platforms.get(platform_id)
    if (
        platform is None
        or platform.status is not PlatformStatus.PLANNED
        or platform.invitation_token != token_a
    ):
        raise MethodNotAllowedError(ALREADY_REGISTERED)
    return platform


async def still_registered(rt: OcpiRuntime, platform_id: str) -> Platform:
    """The platform re-read under the handshake lock (a concurrent DELETE may have ended it); 405 if so."""
    platform = await rt.core.platforms.get(platform_id)
    if platform is None or platform.status not in REGISTERED:
        raise MethodNotAllowedError(NOT_REGISTERED)
    return platform


def registered(
    platform: Platform,
    found: Discovery,
    *,
    roles: tuple[PlatformRole, ...],
    inbound_token: str,
    outbound_token: str,
    now: datetime,
) -> Platform:
    """The platform CONNECTED by a partner's POST: Token A gone, Token C issued, no previous token (CR-03)."""
    return platform.model_copy(
        update={
            **_connected(found, roles, inbound_token, outbound_token, now),
            "invitation_token": None,
            "previous_inbound_token": None,
            "previous_inbound_until": None,
            "registered_at": now,
        }
    )


def rotated(
    platform: Platform,
    found: Discovery,
    *,
    roles: tuple[PlatformRole, ...],
    inbound_token: str,
    outbound_token: str,
    previous_token: str,
    grace_s: float,
    now: datetime,
) -> Platform:
    """The platform after a partner's PUT (CR-06): the token it used stays valid for `grace_s` (CR-07)."""
    return platform.model_copy(
        update={
            **_connected(found, roles, inbound_token, outbound_token, now),
            "previous_inbound_token": previous_token,
            "previous_inbound_until": now + timedelta(seconds=grace_s),
        }
    )


def _connected(
    found: Discovery,
    roles: tuple[PlatformRole, ...],
    inbound_token: str,
    outbound_token: str,
    now: datetime,
) -> dict[str, object]:
    return {
        "status": PlatformStatus.CONNECTED,
        "version": found.version,
        "versions_url": found.versions_url,
        "endpoints": found.endpoints,
        "roles": roles,
        "inbound_token": inbound_token,
        "outbound_token": outbound_token,
        "encode_token": found.encode,
        "last_updated": now,
    }


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


async def platform_of_request(
    request: web.Request, rt: OcpiRuntime, *, allow_invitation: bool
) -> tuple[Platform, bool, str]:
    """(platform, via its invitation, the token) of the `Authorization: Token …` header, or UnauthorizedError
    (HTTP 401, AU-04). Each candidate is looked up, raw first then Base64-decoded (AU-07); a refused token
    (SUSPENDED, CR-09; an expired previous token, CR-07; Token A where not allowed, AU-05) is logged with
    its fingerprint only (AU-10). Every OCPI version authenticates through this."""
    candidates = token_candidates(request.headers.get(AUTHORIZATION))
    for candidate in candidates:
        platform = await rt.core.platforms.find_by_token(candidate)
        if platform is None:
            continue
        via_invitation = accepts_token(rt, platform, candidate, allow_invitation)
        if via_invitation is None:
            log.info(
                "ocpi_token_refused",
                path=request.path,
                platform_id=platform.id,
                status=str(platform.status),
                token_fp=token_fingerprint(candidate),
            )
            continue
        return platform, via_invitation, candidate
    log.info(
        "ocpi_unauthorized",
        path=request.path,
        token_fp=token_fingerprint(candidates[0]) if candidates else None,
    )
    raise UnauthorizedError("Unknown or missing token" if candidates else "Missing Authorization header")
