"""A fake OCPI 2.2.1 partner platform on a loopback port: versions, details and credentials (both ways of
registering), Receiver endpoints that store and record every push, Sender endpoints (paginated lists, token
authorize) serving configured data, configurable failures, and a client that calls the hub with its token.

    async with FakePartner(roles=[("DE", "PRT", "CPO")]) as partner:
        await partner.register_with(bind_public_url(hub), token_a)   # or: hub registers with partner.invite()
        answer = await partner.client(hub.url).get("/ocpi/2.2.1/emsp/tokens")
        pushes = await partner.wait_for_calls("/receiver/tokens", "PUT")

Test support: imports aiohttp and the standard library only.
"""

from tests.fakes.ocpi_partner.partner import FakePartner
from tests.fakes.ocpi_partner.wire import (
    DEFAULT_ROLES,
    ROLE_MODULES,
    Call,
    Failure,
    HubClient,
    HubReply,
    bind_public_url,
    envelope,
    welcomed,
)

__all__ = [
    "DEFAULT_ROLES",
    "ROLE_MODULES",
    "Call",
    "Failure",
    "FakePartner",
    "HubClient",
    "HubReply",
    "bind_public_url",
    "envelope",
    "welcomed",
]
