"""Put a FakePartner into the hub's database as an already registered (CONNECTED) platform, for tests that
are not about registration itself.

Test support: imports the core models only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.core.models import Endpoint, PartyRef, Platform, PlatformRole, PlatformStatus, Role


async def connect_platform(
    hub: Any,
    partner: Any,
    *,
    hub_token: str,
    partner_token: str,
    platform_id: str = "platform-cpx",
    now: datetime | None = None,
) -> Platform:
    """Store `partner` as CONNECTED with its roles and endpoints: it calls the hub with `partner_token`, the
    hub calls it with `hub_token`."""
    partner.inbound_token, partner.outbound_token = hub_token, partner_token
    platform = Platform(
        id=platform_id,
        name=partner.name,
        status=PlatformStatus.CONNECTED,
        version="2.2.1",
        endpoints=tuple(Endpoint(**e) for e in partner.endpoints()),
        roles=tuple(
            PlatformRole(party=PartyRef(country_code=cc, party_id=pid), role=Role(role))
            for cc, pid, role in partner.roles
        ),
        inbound_token=partner_token,
        outbound_token=hub_token,
        last_updated=now or hub.core.clock.now(),
    )
    return await hub.core.platforms.put(platform)
