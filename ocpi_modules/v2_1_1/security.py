"""Who is calling a 2.1.1 URL (checklist §1, V211-01): the platform behind the `Authorization: Token …`
header (raw or Base64, AU-07), and for functional modules its one party and role. 2.1.1 requests carry no
routing headers: the token alone names the sender.

An adapter module: imports aiohttp, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from aiohttp import web

from hub.core.models import PartyRef, Platform, Role
from ocpi_modules.common.errors import ClientError, UnauthorizedError
from ocpi_modules.common.registration import REGISTERED, platform_of_request
from ocpi_modules.common.runtime import runtime
from ocpi_modules.v2_1_1.urls import VERSION

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Caller:
    """An authenticated request: the platform, whether it used its invitation (Token A), and the token it
    presented (a secret: kept out of repr)."""

    platform: Platform
    via_invitation: bool
    token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Partner:
    """A registered 2.1.1 platform calling a functional module: its one party and that party's role."""

    platform: Platform
    party: PartyRef
    role: Role


async def authenticate(request: web.Request, *, allow_invitation: bool = False) -> Caller:
    """The platform whose token the request carries, or UnauthorizedError (HTTP 401, AU-04); Token A counts
    only where `allow_invitation` (versions and credentials, AU-05)."""
    platform, via_invitation, token = await platform_of_request(
        request, runtime(request), allow_invitation=allow_invitation
    )
    return Caller(platform=platform, via_invitation=via_invitation, token=token)


async def functional_partner(request: web.Request) -> Partner:
    """A registered platform that agreed on 2.1.1 (401 for Token A and unregistered platforms, AU-05; 403 for
    a platform registered in another version: its URLs are that version's)."""
    caller = await authenticate(request)
    platform = caller.platform
    if platform.status not in REGISTERED:
        raise UnauthorizedError("Platform is not registered")
    if platform.version != VERSION:
        log.info(
            "ocpi211_wrong_version", platform_id=platform.id, version=platform.version, path=request.path
        )
        raise ClientError(
            f"Registered for OCPI {platform.version}: use that version's endpoints", http_status=403
        )
    if not platform.roles:
        raise UnauthorizedError("Platform has no party")
    entry = platform.roles[0]
    return Partner(platform=platform, party=entry.party, role=entry.role)
