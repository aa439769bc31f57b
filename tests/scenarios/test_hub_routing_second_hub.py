"""A second ocpi-hub instance is one of the hub's partners (CR-11: its credentials carry only its HUB role):
hub 2 (DE*HB2, its own port and database) hosts the CPO DE*CP2 and the eMSP DE*MS2 and registers with hub 1
through hub 1's invitation, next to the partners A (eMSP) and B (CPO). A reads DE*CP2's location by relay
through hub 1 to hub 2; hub 2's operator starts a charge for DE*MS2 at B's location, relayed by hub 1, and
B's CommandResult travels back through hub 1's proxy URL to hub 2. Real HTTP throughout, both backends.

Test code: imports the hub's test fixtures, the scenario helpers, the fake OCPI partner and the core's models.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.core.models import PartyRef, Platform
from tests.conftest import IN_CI, RunningHub
from tests.fakes.ocpi_partner import bind_public_url, welcomed
from tests.scenarios.hub_support import (
    CPB,
    CPO_PATH,
    EMA,
    MakeHub,
    a_location,
    answered_routing,
    ids,
    roaming,
    routing_of,
)

INVITATION = "routing-hub-two-token-a"
ADMIN_TWO = "routing-hub-two-admin"
CP2, MS2 = "DE*CP2", "DE*MS2"
TOKEN_UID = "DEMS20000000001"
WAIT_S = 10.0


@pytest.fixture
async def second_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Hub 2's own database on the same backend; named before `make_hub`, so the hubs stop before it goes."""
    from tests.db import fresh_database_url, postgres_available

    if backend == "postgres" and not await postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")
    url, cleanup = await fresh_database_url(backend, tmp_path)
    try:
        yield url
    finally:
        await cleanup()


async def start_hub_two(make_hub: MakeHub, database_url: str) -> RunningHub:
    location = {
        "id": "LOC2", "party": CP2, "name": "Depot Zwei", "address": "Ring 2", "city": "Hamburg",
        "country": "DEU", "latitude": "53.55000", "longitude": "9.99000", "time_zone": "Europe/Berlin",
    }  # fmt: skip
    two = await make_hub(
        hub={"name": "Hub Two", "country_code": "DE", "party_id": "HB2", "database_url": database_url},
        parties=[
            {"country_code": "DE", "party_id": "CP2", "role": "CPO", "name": "Hub Two CPO"},
            {"country_code": "DE", "party_id": "MS2", "role": "EMSP", "name": "Hub Two eMSP"},
        ],
        ocpp={"stations": []},
        locations=[location],
        tariffs=[],
        tokens=[],  # imported after the registration (see the test)
        admin={"token": ADMIN_TWO},
        ocpi={"allow_private_urls": True},
    )
    bind_public_url(two)
    return two


async def admin(hub: RunningHub, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, hub.url + path, json=body, headers={"Authorization": f"Bearer {ADMIN_TWO}"}
        ) as response,
    ):
        return response.status, await response.json()


async def hub_two_at_one(one: RunningHub, *, carrying: str) -> Platform:
    """Hub 2's platform at hub 1 once hub 1 knows `carrying` is behind it (learned when hub 2 spoke for
    it), or after WAIT_S."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while True:
        [platform] = [p for p in await one.core.platforms.list() if p.name == "hub-two"]
        if platform.role_of(PartyRef.parse(carrying)) is not None or loop.time() > deadline:
            return platform
        await asyncio.sleep(0.02)


async def test_parties_behind_a_second_hub_and_ours_reach_each_other_by_relay(
    second_database_url: str, make_hub: MakeHub
) -> None:
    invitation = {"invitations": [{"name": "hub-two", "token": INVITATION}]}
    async with roaming(make_hub, parties=(EMA, CPB), ocpi=invitation) as net:
        two = await start_hub_two(make_hub, second_database_url)
        status, registered = await admin(
            two,
            "POST",
            "/admin/ocpi/register",
            {"versions_url": f"{net.hub.url}/ocpi/versions", "token": INVITATION, "name": "hub-one"},
        )
        assert (status, registered["status"]) == (201, "CONNECTED"), registered
        # Each hub welcomes the other with its parties' objects; hub 1 learns DE*CP2 from hub 2's location
        # push (FROM DE*CP2). Both queues are delivered before anything else happens.
        await welcomed(two)
        await welcomed(net.hub)
        platform = await hub_two_at_one(net.hub, carrying=CP2)
        assert platform.role_of(PartyRef.parse(CP2)) is not None, platform.roles

        # --- A (at hub 1) reads DE*CP2's location (at hub 2) by naming DE*CP2 ------------------------------
        got = await net.client(net.a).get(
            f"{CPO_PATH}/locations/LOC2", to_party=CP2, headers=ids("a-2", "a-to-cp2")
        )
        assert (got.status, got.status_code) == (200, 1000), got.body
        assert (got.data["country_code"], got.data["party_id"], got.data["id"]) == ("DE", "CP2", "LOC2")
        assert answered_routing(got) == (CP2, EMA)
        assert got.headers["x-correlation-id"] == "a-to-cp2"
        # Hub 2 got the request FROM A through hub 1, so A is now a party it knows behind hub 1.
        [one_at_two] = [p for p in await two.core.platforms.list() if p.name == "hub-one"]
        assert one_at_two.role_of(PartyRef.parse(EMA)) is not None, one_at_two.roles
        await asyncio.sleep(0.1)
        assert not net.b.calls_to("/sender/locations")  # nobody but hub 2 was asked

        # --- hub 2's eMSP starts a charge at B's location; B's result goes back through hub 1 --------------
        token = {"uid": TOKEN_UID, "type": "RFID", "contract_id": "DE-MS2-C00000001-X", "valid": True}
        status, report = await admin(two, "POST", "/admin/tokens/import", [token])
        assert (status, report["imported"]) == (200, 1), report
        net.b.lists["locations"] = [a_location("LOC-B1")]
        status, start = await admin(
            two,
            "POST",
            "/admin/ocpi/start-session",
            {"token_uid": TOKEN_UID, "location_id": "LOC-B1", "evse_uid": "LOC-B1-E1", "cpo": CPB},
        )
        assert status == 200, start
        assert (start["status_code"], start["response"]["result"]) == (1000, "ACCEPTED"), start
        [command] = net.b.calls_to("/receiver/commands/START_SESSION", "POST")
        assert routing_of(command) == (MS2, CPB)
        assert command.json["token"]["uid"] == TOKEN_UID
        hub_url = command.json["response_url"]
        assert hub_url.startswith(f"{net.hub.url}/ocpi/hub/")  # hub 1's proxy, not hub 2's own URL
        assert two.url not in hub_url

        result = await net.client(net.b).post(hub_url, json={"result": "ACCEPTED"}, to_party=MS2)
        assert (result.status_code, answered_routing(result)) == (1000, (MS2, CPB)), result.body
        status, stored = await admin(two, "GET", f"/admin/ocpi/command-results/{start['command_id']}?wait=5")
        assert (status, stored["result"]["result"]) == (200, "ACCEPTED"), stored
