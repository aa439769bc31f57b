"""The hub as Sender of credentials: invitations (Token A we hand out), register with a partner's Token A,
rotate (PUT) and unregister (DELETE). Imports structlog, ocpi_modules.common and the core only."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from hub.core.errors import ConflictError, NotFoundError
from hub.core.models import Platform, PlatformStatus
from ocpi_modules.common.auth import new_token
from ocpi_modules.common.client import check_partner_url, token_fingerprint
from ocpi_modules.common.errors import OcpiError
from ocpi_modules.common.handshake import send_credentials
from ocpi_modules.common.registration import announce_registered, credentials_lock, suspended
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.registration.credentials import check_roles, hub_credentials, parse_credentials
from ocpi_modules.v2_2_1.registration.discovery import discover
from ocpi_modules.v2_2_1.security import REGISTERED

log = structlog.get_logger(__name__)

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
            answer = await send_credentials(
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
            answer = await send_credentials(
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
                await send_credentials(
                    rt, "DELETE", credentials_url, platform.outbound_token, platform.encode_token, None
                )
            except OcpiError as exc:
                log.warning("ocpi_unregister_partner_failed", platform_id=platform.id, error=exc.message)
        platform = suspended(platform, rt)
        await rt.core.platforms.put(platform)
    log.info("ocpi_unregistered", platform_id=platform.id, initiated_by="hub")
    return platform
