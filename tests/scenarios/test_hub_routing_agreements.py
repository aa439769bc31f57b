"""Roaming agreements decide who may exchange what through the hub (issue 4 "Roaming agreements", RT-04 [P]):
with one `[[agreements]]` entry letting the eMSP A and the CPO B exchange locations only, A's command to B,
B's read of A's tokens, C's request to B and A's request to the hub's own CPO are refused with 4000 and a
clear message and never forwarded; B's broadcast reaches A but skips C and the hub's own eMSP; GET All shows
each requester only the parties it has an agreement with. Three partners on loopback, both storage backends.

Test code: imports the scenario helpers and the fake OCPI partner.
"""

from __future__ import annotations

import structlog.testing

from tests.scenarios.hub_support import (
    CPB,
    CPO_PATH,
    EMA,
    EMC,
    EMSP_PATH,
    HUB,
    OWN_CPO,
    MakeHub,
    Roaming,
    a_location,
    a_start_session,
    ref,
    roaming,
    routing_of,
    settle,
)

AGREEMENTS = [{"parties": [EMA, CPB], "modules": ["locations"]}]


async def requests_outside_the_agreement_are_refused_with_4000_and_never_forwarded(net: Roaming) -> None:
    net.b.lists["locations"] = [a_location("LOC-B1")]
    net.a.lists["tokens"] = []
    a, b = net.client(net.a), net.client(net.b)

    with structlog.testing.capture_logs() as logs:
        allowed = await a.get(f"{CPO_PATH}/locations", to_party=CPB)
        command = await a.post(
            f"{CPO_PATH}/commands/START_SESSION",
            json=a_start_session(f"{net.a.url}/ocpi/2.2.1/sender/commands/START_SESSION/1"),
            to_party=CPB,
        )
        from_c = await net.client(net.c).get(f"{CPO_PATH}/locations", to_party=CPB)
        to_our_cpo = await a.get(f"{CPO_PATH}/locations", to_party=OWN_CPO)
        # The same pair, the other direction: B may push a location to A, not read A's tokens.
        pushed = await b.put(f"{EMSP_PATH}/locations/DE/CPB/LOC-B2", json=a_location("LOC-B2"), to_party=EMA)
        tokens = await b.get(f"{EMSP_PATH}/tokens", to_party=EMA)

    assert (allowed.status_code, [loc["id"] for loc in allowed.data]) == (1000, ["LOC-B1"]), allowed.body
    assert (command.status, command.status_code) == (200, 4000), command.body
    assert command.body["status_message"] == "No roaming agreement between DE*EMA and DE*CPB for commands"
    assert from_c.status_code == 4000, from_c.body
    assert "No roaming agreement between DE*EMC and DE*CPB" in from_c.body["status_message"]
    assert to_our_cpo.status_code == 4000, to_our_cpo.body
    assert "No roaming agreement between DE*EMA and NL*CPO" in to_our_cpo.body["status_message"]
    assert pushed.status_code == 1000, pushed.body
    assert tokens.status_code == 4000, tokens.body
    assert tokens.body["status_message"] == "No roaming agreement between DE*CPB and DE*EMA for tokens"
    refused = [(e["sender"], e["module"]) for e in logs if e["event"] == "ocpi_relay_refused"]
    assert refused == [(EMA, "commands"), (EMC, "locations"), (CPB, "tokens")]
    await settle()
    assert [c.path for c in net.b.calls] == ["/ocpi/2.2.1/sender/locations"]  # only the allowed ones
    assert [(c.method, c.path) for c in net.a.calls] == [
        ("PUT", "/ocpi/2.2.1/receiver/locations/DE/CPB/LOC-B2")
    ]


async def a_broadcast_skips_parties_without_an_agreement(net: Roaming) -> None:
    location = a_location("LOC-B1")

    answer = await net.client(net.b).put(f"{EMSP_PATH}/locations/DE/CPB/LOC-B1", json=location, to_party=HUB)

    assert answer.status_code == 1000, answer.body
    [call] = await net.a.wait_for_calls("/receiver/locations/DE/CPB/LOC-B1", "PUT")
    assert (call.json, routing_of(call)[1]) == (location, EMA)
    await settle()
    assert not net.c.calls  # C has no agreement with B
    assert await net.hub.core.records.get("locations", ref(CPB), "LOC-B1") is None  # nor our eMSP

    # GET All: A sees B's location (and not our CPO's: no agreement); C sees nothing.
    seen_by_a = await net.client(net.a).get(f"{CPO_PATH}/locations", to_party=HUB)
    seen_by_c = await net.client(net.c).get(f"{CPO_PATH}/locations", to_party=HUB)
    assert [(loc["party_id"], loc["id"]) for loc in seen_by_a.data] == [("CPB", "LOC-B1")], seen_by_a.body
    assert (seen_by_c.status_code, seen_by_c.data, seen_by_c.headers["x-total-count"]) == (1000, [], "0")


async def test_agreements_refuse_requests_outside_them_and_narrow_broadcasts_and_get_all(
    make_hub: MakeHub,
) -> None:
    """One hub with AGREEMENTS: requests both ways, then a broadcast and GET All."""
    async with roaming(make_hub, agreements=AGREEMENTS) as net:
        await requests_outside_the_agreement_are_refused_with_4000_and_never_forwarded(net)
        await a_broadcast_skips_parties_without_an_agreement(net)
