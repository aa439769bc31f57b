"""`/ocpi/2.2.1/credentials` (checklist §10), the hub as Receiver of a registration: POST with our Token A
(callback GETs, then Token C), PUT to rotate, DELETE to unregister, GET our credentials.

An adapter module: imports aiohttp, structlog, ocpi_modules and the core only.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from hub.core.models import Platform
from ocpi_modules.common.auth import new_token
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import MethodNotAllowedError
from ocpi_modules.common.json import loads
from ocpi_modules.common.registration import (
    ALREADY_REGISTERED,
    NOT_REGISTERED,
    announce_registered,
    credentials_lock,
    invited_platform,
    registered,
    rotated,
    still_registered,
    suspended,
)
from ocpi_modules.common.runtime import OcpiRuntime, runtime
from ocpi_modules.v2_2_1.api.versions import BASE_PATH, VERSION
from ocpi_modules.v2_2_1.registration import (
    Credentials,
    Discovery,
    check_roles,
    discover,
    hub_credentials,
    parse_credentials,
)
from ocpi_modules.v2_2_1.security import REGISTERED, Caller, authenticate

log = structlog.get_logger(__name__)


async def _registered_caller(request: web.Request) -> Caller:
    """A caller with a registration (CR-01: PUT and DELETE without one → 405). Token A is valid on this
    module (AU-05), so it gets the 405 too, not a 401."""
    caller = await authenticate(request, allow_invitation=True)
    if caller.via_invitation or caller.platform.status not in REGISTERED:
        raise MethodNotAllowedError(NOT_REGISTERED)
    return caller


async def _discovered(
    request: web.Request, rt: OcpiRuntime, platform: Platform
) -> tuple[Credentials, Discovery]:
    """The partner's credentials from the body (its roles checked) and its discovered endpoints (the
    callback GETs with its token, within `callback_timeout_s`)."""
    offered = parse_credentials(loads(await request.read()))
    await check_roles(rt, offered.roles, platform.id)
    found = await discover(rt, offered.url, offered.token, timeout_s=rt.config.callback_timeout_s)
    return offered, found


async def get_credentials(request: web.Request) -> web.Response:
    """Our credentials as the caller sees them: its current token towards us (CR-05)."""
    caller = await authenticate(request, allow_invitation=True)
    if caller.via_invitation:
        raise MethodNotAllowedError(NOT_REGISTERED)
    rt = runtime(request)
    return ocpi_response(request, hub_credentials(rt.config, caller.platform.inbound_token or caller.token))


async def post_credentials(request: web.Request) -> web.Response:
    """Registration with our Token A (§10 steps 3–5). Token A stays valid until this succeeds (CR-03)."""
    rt = runtime(request)
    caller = await authenticate(request, allow_invitation=True)
    if not caller.via_invitation:
        raise MethodNotAllowedError(ALREADY_REGISTERED)
    async with credentials_lock(rt, caller.platform.id):
        platform = await invited_platform(rt, caller.platform.id, caller.token)
        offered, found = await _discovered(request, rt, platform)
        token_c = new_token()
        platform = registered(
            platform,
            found,
            roles=offered.roles,
            inbound_token=token_c,
            outbound_token=offered.token,
            now=rt.clock.now(),
        )
        await rt.core.platforms.put(platform)
    log.info(
        "ocpi_partner_registered", platform_id=platform.id, name=platform.name, roles=len(platform.roles)
    )
    announce_registered(rt, platform)
    return ocpi_response(request, hub_credentials(rt.config, token_c))


async def put_credentials(request: web.Request) -> web.Response:
    """Rotation/upgrade by the partner (CR-06): re-fetch its versions and details, store its new token, issue
    a new one. The token this PUT was made with keeps working for `token_grace_s` (CR-07), so a PUT whose
    answer got lost can be retried with it."""
    rt = runtime(request)
    caller = await _registered_caller(request)
    async with credentials_lock(rt, caller.platform.id):
        platform = await still_registered(rt, caller.platform.id)
        offered, found = await _discovered(request, rt, platform)
        token_c = new_token()
        platform = rotated(
            platform,
            found,
            roles=offered.roles,
            inbound_token=token_c,
            outbound_token=offered.token,
            previous_token=caller.token,
            grace_s=rt.config.token_grace_s,
            now=rt.clock.now(),
        )
        await rt.core.platforms.put(platform)
    log.info("ocpi_credentials_rotated", platform_id=platform.id, initiated_by="partner")
    return ocpi_response(request, hub_credentials(rt.config, token_c))


async def delete_credentials(request: web.Request) -> web.Response:
    """Unregistration by the partner (CR-09): every token of the platform is dead, status SUSPENDED."""
    rt = runtime(request)
    caller = await _registered_caller(request)
    async with credentials_lock(rt, caller.platform.id):
        platform = await still_registered(rt, caller.platform.id)
        await rt.core.platforms.put(suspended(platform, rt))
    log.info("ocpi_unregistered", platform_id=platform.id, initiated_by="partner")
    return ocpi_response(request)


def add_routes(router: web.UrlDispatcher) -> None:
    path = f"{BASE_PATH}/{VERSION}/credentials"
    router.add_get(path, get_credentials)
    router.add_post(path, post_credentials)
    router.add_put(path, put_credentials)
    router.add_delete(path, delete_credentials)
