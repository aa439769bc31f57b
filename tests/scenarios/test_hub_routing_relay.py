"""Partners reach each other through the hub (checklist §11 relay, RT-01, RT-09, RT-10, ID-03, SC-01): the
eMSP A reads the locations of the CPO B by naming B in OCPI-to-*, over real HTTP on loopback, with a third
partner C and the hub's own parties around; both storage backends.

Test code: imports the scenario helpers and the fake OCPI partner.
"""

from __future__ import annotations

from tests.scenarios.hub_support import (
    CPB,
    CPO_PATH,
    EMA,
    EMC,
    OWN_CPO,
    MakeHub,
    a_location,
    answered_routing,
    ids,
    roaming,
    routing_of,
    settle,
)

LOCATIONS = f"{CPO_PATH}/locations"


async def test_rt10_sc01_a_get_relayed_to_b_with_new_request_id_and_its_own_errors_unchanged(
    make_hub: MakeHub,
) -> None:
    async with roaming(make_hub) as net:
        net.b.lists["locations"] = [a_location("LOC-B1"), a_location("LOC-B2")]
        a = net.client(net.a)

        answer = await a.get(LOCATIONS, to_party=CPB, headers=ids("req-from-a-1", "corr-from-a-1"))

        assert (answer.status, answer.status_code) == (200, 1000), answer.body
        assert [loc["id"] for loc in answer.data] == ["LOC-B1", "LOC-B2"]
        assert answered_routing(answer) == (CPB, EMA)  # both response legs: FROM receiver, TO requester
        assert answer.headers["x-request-id"] == "req-from-a-1"
        assert answer.headers["x-correlation-id"] == "corr-from-a-1"
        assert answer.headers["x-total-count"] == "2"
        [call] = net.b.calls_to("/sender/locations", "GET")
        assert call.token == "hub-to-CPB"  # the token B issued to the hub, not A's
        assert call.encoded  # Base64, as a 2.2.1 peer expects (AU-08)
        assert routing_of(call) == (EMA, CPB)
        assert call.headers["x-correlation-id"] == "corr-from-a-1"
        assert call.headers["x-request-id"] not in ("", "req-from-a-1")
        assert not net.c.calls
        assert not net.a.calls

        # SC-01: what B itself answers with 2xxx/3xxx reaches A unchanged, HTTP status included.
        net.b.fail("/sender/locations/LOC-BUSY", http_status=200, status_code=3001)
        unknown = await a.get(f"{LOCATIONS}/LOC-NONE", to_party=CPB)
        busy = await a.get(f"{LOCATIONS}/LOC-BUSY", to_party=CPB)
        one = await a.get(f"{LOCATIONS}/LOC-B1", to_party=CPB)

        assert (unknown.status, unknown.status_code) == (404, 2001)  # B's answer, not a hub 4xxx
        assert answered_routing(unknown) == (CPB, EMA)
        assert (busy.status, busy.status_code) == (200, 3001)
        assert (one.status, one.status_code, one.data["id"]) == (200, 1000, "LOC-B1")
        assert [c.path.rsplit("/", 1)[1] for c in net.b.calls_to("/sender/locations/")] == [
            "LOC-NONE",
            "LOC-BUSY",
            "LOC-B1",
        ]


async def test_hosted_parties_answer_from_the_hub_and_configuration_modules_are_never_routed(
    make_hub: MakeHub,
) -> None:
    async with roaming(make_hub) as net:
        a = net.client(net.a)

        answer = await a.get(LOCATIONS, to_party=OWN_CPO)
        one = await a.get(f"{LOCATIONS}/LOC001", to_party=OWN_CPO)
        # RT-02: HubClientInfo is the hub's own list; a TO header on it is ignored, nothing is relayed.
        client_info = await a.get("/ocpi/2.2.1/hubclientinfo", to_party=CPB)

        assert (answer.status, answer.status_code) == (200, 1000), answer.body
        assert [(loc["country_code"], loc["party_id"], loc["id"]) for loc in answer.data] == [
            ("NL", "CPO", "LOC001")
        ]
        assert answered_routing(answer) == (OWN_CPO, EMA)
        assert (one.status_code, one.data["id"]) == (1000, "LOC001")
        assert (client_info.status, client_info.status_code) == (200, 1000), client_info.body
        assert isinstance(client_info.data, list)
        await settle()
        assert not net.b.calls
        assert not net.c.calls


async def test_relay_works_both_ways_between_three_partners(make_hub: MakeHub) -> None:
    """B pushes a location to A and to C by name (never stored by the hub, RT-07)."""
    async with roaming(make_hub) as net:
        location = a_location("LOC-B7", last_updated="2026-03-01T10:00:00.123Z")
        b = net.client(net.b)

        to_a = await b.put("/ocpi/2.2.1/emsp/locations/DE/CPB/LOC-B7", json=location, to_party=EMA)
        to_c = await b.put("/ocpi/2.2.1/emsp/locations/DE/CPB/LOC-B7", json=location, to_party=EMC)

        assert (to_a.status_code, to_c.status_code) == (1000, 1000), (to_a.body, to_c.body)
        assert answered_routing(to_a) == (EMA, CPB)
        assert answered_routing(to_c) == (EMC, CPB)
        for partner, party in ((net.a, EMA), (net.c, EMC)):
            [call] = partner.calls_to("/receiver/locations/DE/CPB/LOC-B7", "PUT")
            assert call.json == location  # byte-for-byte the object B sent, last_updated untouched
            assert routing_of(call) == (CPB, party)
        # A named push is only forwarded: GET All through the hub does not show it (RT-07).
        merged = await net.client(net.a).get(LOCATIONS, to_party="NL*HUB")
        assert [loc["id"] for loc in merged.data] == ["LOC001"]
