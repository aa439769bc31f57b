"""`/ocpi/2.1.1` (version details: `{identifier, url}`, no role) and `/ocpi/2.1.1/credentials`, the hub as
Receiver of a 2.1.1 registration (credentials.md, checklist §10): POST with our Token A (role from the
invitation, callback GETs with the partner's token, Token C), PUT to rotate or switch to 2.1.1, DELETE to
unregister, GET our credentials.

An adapter module: imports aiohttp, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from hub.core.models import Platform, Role
from ocpi_modules.common.auth import new_token
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import MethodNotAllowedError
from ocpi_modules.common.json import loads
from ocpi_modules.common.registration import (
    ALREADY_REGISTERED,
    NOT_REGISTERED,
    REGISTERED,
    announce_registered,
    check_parties,
    credentials_lock,
    invited_platform,
    registered,
    rotated,
    still_registered,
    suspended,
)
from ocpi_modules.common.runtime import OcpiConfig, OcpiRuntime, runtime
from ocpi_modules.v2_1_1.credentials import (
    Credentials,
    hub_credentials,
    parse_credentials,
    registered_roles,
    role_of,
)
from ocpi_modules.v2_1_1.discovery import Discovery, discover
from ocpi_modules.v2_1_1.security import Caller, authenticate
from ocpi_modules.v2_1_1.urls import BASE_PATH, MODULES, VERSION, details_url, module_url

log = structlog.get_logger(__name__)


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
        raise MethodNotAllowedError(ALREADY_REGISTERED)
    async with credentials_lock(rt, caller.platform.id):
        platform = await invited_platform(rt, caller.platform.id, caller.token)
        offered, role, found = await _discovered(request, rt, platform)
        token_c = new_token()
        platform = registered(
            platform,
            found,
            roles=registered_roles(offered, role),
            inbound_token=token_c,
            outbound_token=offered.token,
            now=rt.clock.now(),
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
        platform = await still_registered(rt, caller.platform.id)
        offered, role, found = await _discovered(request, rt, platform)
        token_c = new_token()
        platform = rotated(
            platform,
            found,
            roles=registered_roles(offered, role),
            inbound_token=token_c,
            outbound_token=offered.token,
            previous_token=caller.token,
            grace_s=rt.config.token_grace_s,
            now=rt.clock.now(),
        )
        await rt.core.platforms.put(platform)
    log.info("ocpi_credentials_rotated", platform_id=platform.id, initiated_by="partner", version=VERSION)
    return ocpi_response(request, hub_credentials(rt.config, token_c))


async def delete_credentials(request: web.Request) -> web.Response:
    """Unregistration (CR-09): every token of the platform is dead, status SUSPENDED."""
    rt = runtime(request)
    caller = await _registered_caller(request)
    async with credentials_lock(rt, caller.platform.id):
        platform = await still_registered(rt, caller.platform.id)
        await rt.core.platforms.put(suspended(platform, rt))
    log.info("ocpi_unregistered", platform_id=platform.id, initiated_by="partner", version=VERSION)
    return ocpi_response(request)


async def _discovered(
    request: web.Request, rt: OcpiRuntime, platform: Platform
) -> tuple[Credentials, Role, Discovery]:
    """The partner's credentials from the body, its role, and its discovered 2.1.1 endpoints (the callback
    GETs with its token, within `callback_timeout_s`)."""
    offered = parse_credentials(loads(await request.read()))
    role = role_of(platform, offered.party)
    await check_parties(rt, (offered.party,), platform.id)
    found = await discover(rt, offered.url, offered.token, role, timeout_s=rt.config.callback_timeout_s)
    return offered, role, found


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
