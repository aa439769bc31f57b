"""The hub registering with a partner that offers only OCPI 2.1.1 (credentials.md, checklist §10, the hub
as Sender): discover its versions with its Token A, hand it our 2.1.1 credentials with a new Token B (stored
first, so its callback GETs succeed), keep the Token C it answers. The partner's role is the one the operator
named on the platform (`invited_role`): 2.1.1 credentials carry none.

An adapter module: imports structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

import structlog

from hub.core.models import Platform, PlatformStatus, Role
from ocpi_modules.common.auth import new_token
from ocpi_modules.common.errors import UnableToUseClientApiError
from ocpi_modules.common.handshake import send_credentials
from ocpi_modules.common.registration import announce_registered, check_parties, credentials_lock
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_1_1.credentials import hub_credentials, parse_credentials, registered_roles, role_of
from ocpi_modules.v2_1_1.discovery import discover
from ocpi_modules.v2_1_1.urls import VERSION

log = structlog.get_logger(__name__)


async def register(rt: OcpiRuntime, platform: Platform, versions_url: str, token_a: str) -> Platform:
    """Register `platform` (PLANNED, its `invited_role` set) with the partner at `versions_url`, which gave
    us `token_a`. Raises OcpiError: 3001 (no role named, partner unreachable or refusing), 3002 (no 2.1.1),
    3003 (no credentials endpoint), 2001 (bad credentials in its answer, or a party already registered). A
    failed attempt leaves the platform PLANNED without tokens."""
    role = _role(platform)
    async with credentials_lock(rt, platform.id):
        found = await discover(rt, versions_url.strip(), token_a, role, timeout_s=rt.config.request_timeout_s)
        token_b = new_token()
        platform = platform.model_copy(
            update={
                "status": PlatformStatus.PLANNED,
                "version": VERSION,
                "versions_url": found.versions_url,
                "endpoints": found.endpoints,
                "encode_token": found.encode,
                "inbound_token": token_b,
                "last_updated": rt.clock.now(),
            }
        )
        await rt.core.platforms.put(platform)
        try:
            answer = await send_credentials(
                rt,
                "POST",
                found.endpoint("credentials") or "",
                token_a,
                found.encode,
                hub_credentials(rt.config, token_b),
            )
            offered = parse_credentials(answer.data)
            await check_parties(rt, (offered.party,), platform.id)
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
                "roles": registered_roles(offered, role),
                "registered_at": now,
                "last_updated": now,
            }
        )
        await rt.core.platforms.put(platform)
    log.info("ocpi_registered_with_partner", platform_id=platform.id, name=platform.name, version=VERSION)
    announce_registered(rt, platform)
    return platform


def _role(platform: Platform) -> Role:
    """The role named for the partner (or, re-registering, the one it had); 3001 without one."""
    if platform.roles:
        return role_of(platform, platform.roles[0].party)
    if platform.invited_role in (Role.CPO, Role.EMSP):
        return platform.invited_role
    raise UnableToUseClientApiError(
        "OCPI 2.1.1 credentials carry no role: name the partner's role (CPO or EMSP) before registering"
    )
