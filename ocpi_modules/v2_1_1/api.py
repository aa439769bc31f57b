"""`/ocpi/2.1.1` (version details: `{identifier, url}`, no role) and `/ocpi/2.1.1/credentials`, the hub as
Receiver of a 2.1.1 registration (credentials.md, checklist §10): POST with our Token A (role from the
invitation, callback GETs with the partner's token, Token C), PUT to rotate or switch to 2.1.1, DELETE to
unregister, GET our credentials.

An adapter module: imports aiohttp, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from aiohttp import web

from hub.core.models import Platform, PlatformStatus
from ocpi_modules.common.auth import new_token
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import MethodNotAllowedError
from ocpi_modules.common.json import loads
from ocpi_modules.common.runtime import OcpiConfig, runtime
from ocpi_modules.v2_1_1.credentials import (
    announce_registered,
    check_party,
    credentials_lock,
    hub_credentials,
    parse_credentials,
    registered_roles,
    role_of,
    suspended,
)
from ocpi_modules.v2_1_1.discovery import discover
from ocpi_modules.v2_1_1.security import REGISTERED, Caller, authenticate
from ocpi_modules.v2_1_1.urls import BASE_PATH, MODULES, VERSION, details_url, module_url

log = structlog.get_logger(__name__)

NOT_REGISTERED = "Not registered: POST credentials with the token you were given first"


def version_details(config: OcpiConfig) -> dict[str, object]:
    return {
        "version": VERSION,
        "endpoints": [{"identifier": module, "url": module_url(config, module)} for module in MODULES],
    }


async def get_version_details(request: web.Request) -> web.Response:
    """Token A, B or C; no side effects (VE-03)."""
    await authenticate(request, allow_invitation=True)
    return ocpi_response(request, version_details(runtime(request).config))


async def _registered_caller(request: web.Request) -> Caller:
    caller = await authenticate(request, allow_invitation=True)
    if caller.via_invitation or caller.platform.status not in REGISTERED:
        raise MethodNotAllowedError(NOT_REGISTERED)  # CR-01
    return caller


async def get_credentials(request: web.Request) -> web.Response:
    caller = await authenticate(request, allow_invitation=True)
    if caller.via_invitation:
        raise MethodNotAllowedError(NOT_REGISTERED)
    rt = runtime(request)
    return ocpi_response(request, hub_credentials(rt.config, caller.platform.inbound_token or caller.token))


async def post_credentials(request: web.Request) -> web.Response:
    """Registration with our Token A; the token stays valid until this succeeds (CR-03)."""
    rt = runtime(request)
    caller = await authenticate(request, allow_invitation=True)
    if not caller.via_invitation:
        raise MethodNotAllowedError("Already registered: use PUT to update or DELETE to unregister")
    async with credentials_lock(rt, caller.platform.id):
        platform = await rt.core.platforms.get(caller.platform.id)
        if (
            platform is None
            or platform.status is not PlatformStatus.PLANNED
            or platform.invitation_token != caller.token
        ):
            raise MethodNotAllowedError("Already registered: use PUT to update or DELETE to unregister")
        offered = parse_credentials(loads(await request.read()))
        role = role_of(platform, offered.party)
        await check_party(rt, offered.party, platform.id)
        found = await discover(rt, offered.url, offered.token, role, timeout_s=rt.config.callback_timeout_s)
        token_c = new_token()
        now = rt.clock.now()
        platform = platform.model_copy(
            update={
                "status": PlatformStatus.CONNECTED,
                "version": VERSION,
                "versions_url": found.versions_url,
                "endpoints": found.endpoints,
                "roles": registered_roles(offered, role),
                "invitation_token": None,
                "inbound_token": token_c,
                "previous_inbound_token": None,
                "previous_inbound_until": None,
                "outbound_token": offered.token,
                "encode_token": found.encode,
                "registered_at": now,
                "last_updated": now,
            }
        )
        await rt.core.platforms.put(platform)
    log.info(
        "ocpi_partner_registered",
        platform_id=platform.id,
        name=platform.name,
        version=VERSION,
        role=str(role),
    )
    announce_registered(rt, platform)
    return ocpi_response(request, hub_credentials(rt.config, token_c))


async def put_credentials(request: web.Request) -> web.Response:
    """Rotation, endpoint change or a switch to 2.1.1 (CR-06); the token used stays valid for `token_grace_s`
    (CR-07)."""
    rt = runtime(request)
    caller = await _registered_caller(request)
    async with credentials_lock(rt, caller.platform.id):
        platform = await _still_registered(request, caller)
        offered = parse_credentials(loads(await request.read()))
        role = role_of(platform, offered.party)
        await check_party(rt, offered.party, platform.id)
        found = await discover(rt, offered.url, offered.token, role, timeout_s=rt.config.callback_timeout_s)
        token_c = new_token()
        now = rt.clock.now()
        platform = platform.model_copy(
            update={
                "status": PlatformStatus.CONNECTED,
                "version": VERSION,
                "versions_url": found.versions_url,
                "endpoints": found.endpoints,
                "roles": registered_roles(offered, role),
                "inbound_token": token_c,
                "previous_inbound_token": caller.token,
                "previous_inbound_until": now + timedelta(seconds=rt.config.token_grace_s),
                "outbound_token": offered.token,
                "encode_token": found.encode,
                "last_updated": now,
            }
        )
        await rt.core.platforms.put(platform)
    log.info("ocpi_credentials_rotated", platform_id=platform.id, initiated_by="partner", version=VERSION)
    return ocpi_response(request, hub_credentials(rt.config, token_c))


async def delete_credentials(request: web.Request) -> web.Response:
    """Unregistration (CR-09): every token of the platform is dead, status SUSPENDED."""
    rt = runtime(request)
    caller = await _registered_caller(request)
    async with credentials_lock(rt, caller.platform.id):
        platform = await _still_registered(request, caller)
        await rt.core.platforms.put(suspended(platform, rt))
    log.info("ocpi_unregistered", platform_id=platform.id, initiated_by="partner", version=VERSION)
    return ocpi_response(request)


async def _still_registered(request: web.Request, caller: Caller) -> Platform:
    """The caller's platform re-read under the handshake lock (a concurrent DELETE may have ended it)."""
    platform = await runtime(request).core.platforms.get(caller.platform.id)
    if platform is None or platform.status not in REGISTERED:
        raise MethodNotAllowedError(NOT_REGISTERED)
    return platform


def add_routes(router: web.UrlDispatcher) -> None:
    """With and without a trailing slash: 2.1.1's own examples publish URLs ending in `/` (VE-08)."""
    for slash in ("", "/"):
        router.add_get(f"{BASE_PATH}/{VERSION}{slash}", get_version_details)
        path = f"{BASE_PATH}/{VERSION}/credentials{slash}"
        router.add_get(path, get_credentials)
        router.add_post(path, post_credentials)
        router.add_put(path, put_credentials)
        router.add_delete(path, delete_credentials)


__all__ = ["add_routes", "details_url", "version_details"]
