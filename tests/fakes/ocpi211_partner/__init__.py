"""A fake OCPI 2.1.1 partner platform on a loopback port (one party, CPO or eMSP), its client calling the hub
the 2.1.1 way (raw token, no routing headers), and the wire objects of both versions for the 2.1.1 tests.

    async with Fake211Partner(role="EMSP") as partner:
        await partner.register_with(f"{hub.url}/ocpi/versions", token_a)
        answer = await partner.client(hub.url).get("/ocpi/2.1.1/locations")

Test support: imports aiohttp, hypothesis and the standard library only.
"""

from tests.fakes.ocpi211_partner.partner import Fake211Partner
from tests.fakes.ocpi211_partner.wire import Call, Client211, HubReply, problems_211

__all__ = ["Call", "Client211", "Fake211Partner", "HubReply", "problems_211"]
