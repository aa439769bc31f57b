"""Who is calling: the platform behind an `Authorization: Token …` header (checklist §1) and, for functional
modules, the partner party (OCPI-from-*) and the hosted party that answers (OCPI-to-*, §11).

An adapter module: imports aiohttp, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from aiohttp import web

from hub.core.models import PartyRef, Platform, PlatformRole, PlatformStatus, Role
from ocpi_modules.common.errors import InvalidParametersError, UnauthorizedError, UnknownReceiverError
from ocpi_modules.common.headers import routing_headers
from ocpi_modules.common.registration import credentials_lock, platform_of_request
from ocpi_modules.common.runtime import HostedParty, OcpiRuntime, runtime
from ocpi_modules.v2_2_1.stillalive import note_seen

log = structlog.get_logger(__name__)

# Registered platforms: they may use functional modules (PLANNED ones only reach versions and credentials).
REGISTERED = frozenset({PlatformStatus.CONNECTED, PlatformStatus.OFFLINE})


@dataclass(frozen=True)
class Caller:
    """An authenticated request: the platform, whether it used its invitation (Token A), the routing headers,
    and the token value it presented (a secret: kept out of repr)."""

    platform: Platform
    via_invitation: bool
    from_party: PartyRef | None
    to_party: PartyRef | None
    token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Functional:
    """A functional request: the calling platform, the caller's party (one of the platform's roles) and the
    hosted party that answers it."""

    platform: Platform
    party: PartyRef
    hosted: HostedParty


async def authenticate(request: web.Request, *, allow_invitation: bool = False) -> Caller:
    """The platform whose token the request carries, or UnauthorizedError (HTTP 401).

    Each candidate of the header is looked up, raw first then Base64-decoded (AU-07). Token A (an invitation)
    counts only where `allow_invitation` (versions and credentials, AU-05); a previous token only until its
    grace period ends (CR-07); a SUSPENDED platform is refused (CR-09)."""
    rt = runtime(request)
    platform, via_invitation, token = await platform_of_request(
        request, rt, allow_invitation=allow_invitation
    )
    note_seen(rt, platform.id)  # HC-08: anything it sends proves it alive
    routing = routing_headers(request)
    return Caller(
        platform=platform,
        via_invitation=via_invitation,
        from_party=routing.from_party,
        to_party=routing.to_party,
        token=token,
    )


async def functional_caller(request: web.Request, *, module: str, hosted_role: Role) -> Functional:
    """Authenticate a functional request (`module` under the hosted party role `hosted_role`).

    Only registered platforms pass (Token A and PLANNED platforms: 401, AU-05). FROM must be one of the
    platform's parties (AU-09; 401 otherwise) or, for a HUB platform, a party nobody else registered; without
    FROM a platform with a single party is that party.
    TO must be one of our hosted parties of `hosted_role` (4001 otherwise); TO missing or naming the hub
    itself → the single hosted party of that role (2001 when there is none or several)."""
    rt = runtime(request)
    caller = await authenticate(request)
    platform = caller.platform
    if platform.status not in REGISTERED:
        log.info("ocpi_unregistered_caller", path=request.path, platform_id=platform.id, module=module)
        raise UnauthorizedError("Platform is not registered")
    party = await calling_party(rt, platform, caller.from_party, module)
    hosted = _answering_party(rt, caller.to_party, hosted_role)
    if platform.role_of(party) is None:
        platform = await _learn_party(rt, platform, party, hosted_role)
    return Functional(platform=platform, party=party, hosted=hosted)


async def _learn_party(rt: OcpiRuntime, platform: Platform, party: PartyRef, hosted_role: Role) -> Platform:
    """A HUB platform spoke for `party` (its parties are not in its credentials, CR-11): remember the party
    on the platform so that what is owed to it later (sessions and CDRs of its tokens, command results) is
    routed there. Its role follows from whom it addressed: our CPO is called by eMSPs, our eMSP by CPOs."""
    role = Role.EMSP if hosted_role is Role.CPO else Role.CPO
    # Read-add-write under the platform's lock: two requests for two new parties must not lose one (this
    # process; another process sharing PostgreSQL learns the party again on its next request).
    async with credentials_lock(rt, platform.id):
        current = await rt.core.platforms.get(platform.id) or platform
        if current.role_of(party) is not None:
            return current
        learned = PlatformRole(party=party, role=role, name=f"via {current.name}")
        updated = current.model_copy(
            update={"roles": (*current.roles, learned), "last_updated": rt.clock.now()}
        )
        await rt.core.platforms.put(updated)
    log.info("ocpi_party_learned", platform_id=platform.id, party=str(party), role=str(role))
    return updated


async def calling_party(
    rt: OcpiRuntime, platform: Platform, from_party: PartyRef | None, module: str
) -> PartyRef:
    if from_party is None:
        parties = {role.party.key(): role.party for role in platform.roles}
        if len(parties) == 1:
            return next(iter(parties.values()))
        raise InvalidParametersError("OCPI-from-country-code/OCPI-from-party-id are required")
    entry = platform.role_of(from_party)
    if entry is not None:
        return entry.party
    if await speaks_for(rt, platform, from_party):
        return from_party
    log.info("ocpi_foreign_from", platform_id=platform.id, party=str(from_party), module=module)
    raise UnauthorizedError(f"Party {from_party} is not registered with this token")


async def speaks_for(rt: OcpiRuntime, platform: Platform, party: PartyRef) -> bool:
    """Whether `platform` may act for `party` (AU-09, CO-04): a party of its credentials roles, or — for a
    platform registered as a HUB, whose parties come through HubClientInfo rather than its credentials
    (CR-11) — any party that is neither ours nor registered by another platform."""
    if platform.role_of(party) is not None:
        return True
    if not any(entry.role is Role.HUB for entry in platform.roles):
        return False
    config = rt.config
    if party.key() == config.hub_party.key() or config.hosted_party(party) is not None:
        return False
    holder = await rt.core.platforms.find_by_party(party)
    return holder is None or holder.id == platform.id


def _answering_party(rt: OcpiRuntime, to_party: PartyRef | None, hosted_role: Role) -> HostedParty:
    config = rt.config
    if to_party is not None and to_party.key() != config.hub_party.key():
        hosted = config.hosted_party(to_party)
        if hosted is None or hosted.role is not hosted_role:
            raise UnknownReceiverError(f"Unknown receiver {to_party}")
        return hosted
    candidates = config.hosted_by_role(hosted_role)
    if len(candidates) != 1:
        raise InvalidParametersError("OCPI-to-country-code/OCPI-to-party-id are required")
    return candidates[0]
