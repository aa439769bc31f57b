"""A partner that has just registered is sent what it must know from the start: an eMSP our CPO's published
locations and tariffs, a CPO our eMSP's tokens (issue 3: pushes go to every connected eMSP / CPO)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.conftest import OWN_TOKEN, RunningHub
from tests.fakes.ocpi_partner import FakePartner, welcomed

MakeHub = Callable[..., Awaitable[RunningHub]]
TOKEN_A = "welcome-token-a"


async def start(make_hub: MakeHub) -> RunningHub:
    return await make_hub(ocpi={"allow_private_urls": True, "invitations": [{"name": "P", "token": TOKEN_A}]})


async def test_a_new_emsp_receives_our_locations_and_tariffs(make_hub: MakeHub) -> None:
    hub = await start(make_hub)
    async with FakePartner(roles=[("DE", "PRT", "EMSP")]) as partner:
        answer = await partner.register_with(f"{hub.url}/ocpi/versions", TOKEN_A)
        assert answer.status_code == 1000
        await welcomed(hub)
        [location] = partner.calls_to("/receiver/locations/NL/CPO/LOC001", "PUT")
        [tariff] = partner.calls_to("/receiver/tariffs/NL/CPO/STD", "PUT")
    assert (location.json["id"], location.json["party_id"]) == ("LOC001", "CPO")
    assert tariff.json["currency"] == "EUR"
    assert location.headers["ocpi-to-party-id"] == "PRT"
    assert not partner.calls_to("/receiver/tokens/")


async def test_a_new_cpo_receives_our_tokens_and_they_count_as_distributed(make_hub: MakeHub) -> None:
    hub = await start(make_hub)
    async with FakePartner(roles=[("DE", "CPX", "CPO")]) as partner:
        answer = await partner.register_with(f"{hub.url}/ocpi/versions", TOKEN_A)
        assert answer.status_code == 1000
        await welcomed(hub)
        [put] = partner.calls_to(f"/receiver/tokens/NL/MSP/{OWN_TOKEN}", "PUT")
        assert not partner.calls_to("/receiver/locations/")
    assert (put.json["uid"], put.json["valid"]) == (OWN_TOKEN, True)
    async with hub.db.unit_of_work() as uow:
        [row] = await uow.outbox.latest("ocpi.token.updated")
    assert row.target is not None
    assert row.target.endswith("|DE*CPX")
    assert row.delivered_at is not None
