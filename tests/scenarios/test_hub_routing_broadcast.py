"""Writes addressed to the hub are broadcast (RT-03…RT-08) and GETs addressed to the hub merge every party's
objects (GET All, RT-02 table, RT-15): the CPO B's location reaches the eMSPs A and C and the hub's own eMSP
with B's country/party in the URL and `last_updated` untouched, whatever one receiver answers; an eMSP's
token reaches the CPOs; a GET is never broadcast; A's GET All pages through the hosted CPO's locations and
B's. Three partners on loopback, both storage backends.

Test code: imports the scenario helpers, the fake OCPI partner and the core's models.
"""

from __future__ import annotations

import asyncio
import re

import structlog.testing

from hub.core.models import PartyRef, TokenType
from tests.scenarios.hub_support import (
    CPB,
    CPO_PATH,
    EMA,
    EMC,
    EMSP_PATH,
    HUB,
    OWN_CPO,
    T1,
    T2,
    T3,
    MakeHub,
    Roaming,
    a_location,
    a_token,
    answered_routing,
    ref,
    roaming,
    routing_of,
    settle,
)

NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')
B_LOCATION = f"{EMSP_PATH}/locations/DE/CPB"


async def test_rt03_to_rt06_a_cpo_location_pushed_to_the_hub_reaches_every_emsp_and_is_never_got_back(
    make_hub: MakeHub,
) -> None:
    async with roaming(make_hub) as net:
        net.c.fail("/receiver/locations", times=None)  # C answers HTTP 500 / 3000 to everything
        location = a_location("LOC-B1", last_updated="2026-03-01T10:00:00.5Z")
        b = net.client(net.b)

        with structlog.testing.capture_logs() as logs:
            answer = await b.put(f"{B_LOCATION}/LOC-B1", json=location, to_party=HUB)
            calls = {
                party: await partner.wait_for_calls("/receiver/locations/DE/CPB/LOC-B1", "PUT")
                for partner, party in ((net.a, EMA), (net.c, EMC))
            }
            await settle()

        assert (answer.status, answer.status_code) == (200, 1000), answer.body  # C's failure is not B's
        assert answered_routing(answer) == (HUB, CPB)
        for party, [call] in calls.items():
            assert call.json == location  # last_updated untouched (CO-11), nothing added or dropped
            assert call.token == f"hub-to-{party.split('*')[1]}"
            assert routing_of(call)[1] == party
        # RT-06: C's error is logged for C, once (no retry storm), and never forwarded to B.
        [failed] = [e for e in logs if e["event"] == "ocpi_broadcast_receiver_error"]
        assert (failed["platform_id"], failed["status_code"]) == ("platform-c", 3000)
        assert len(net.c.calls) == 1
        # The hub's own eMSP got it in process, under B's party.
        stored = await net.hub.core.records.get("locations", PartyRef.parse(CPB), "LOC-B1")
        assert stored is not None
        assert stored.data["last_updated"].startswith("2026-03-01T10:00:00.5")

        # RT-03: a GET addressed to the hub on a Receiver interface is 2001, never broadcast.
        listed = await b.get(f"{EMSP_PATH}/locations", to_party=HUB)
        one = await b.get(f"{B_LOCATION}/LOC-B1", to_party=HUB)

        for refused in (listed, one):
            assert refused.status_code == 2001, refused.body
        await settle()
        assert not net.b.calls  # never back to the pusher
        assert not net.a.calls_to(method="GET")
        assert not net.c.calls_to(method="GET")


async def test_get_all_merges_the_hosted_cpo_and_broadcast_locations_page_by_page(make_hub: MakeHub) -> None:
    async with roaming(make_hub) as net:
        b = net.client(net.b)
        for location_id in ("LOC-B1", "LOC-B2"):
            pushed = await b.put(f"{B_LOCATION}/{location_id}", json=a_location(location_id), to_party=HUB)
            assert pushed.status_code == 1000, pushed.body
        for partner in (net.a, net.c):
            await partner.wait_for_calls("/receiver/locations", "PUT", count=2)
        a = net.client(net.a)

        first = await a.get(f"{CPO_PATH}/locations", to_party=HUB, params={"limit": "2"})

        assert (first.status, first.status_code) == (200, 1000), first.body
        assert first.headers["x-total-count"] == "3"  # every object A may see, on every page (PG-02)
        assert [loc["id"] for loc in first.data] == ["LOC001", "LOC-B1"]
        assert answered_routing(first) == (HUB, EMA)
        link = NEXT.fullmatch(first.headers["link"])
        assert link is not None, first.headers
        assert link["url"].startswith(f"{net.hub.url}{CPO_PATH}/locations?")
        second = await a.get(link["url"], to_party=HUB)
        assert second.status_code == 1000, second.body
        assert second.headers["x-total-count"] == "3"
        assert "link" not in second.headers
        owners = [(loc["country_code"], loc["party_id"], loc["id"]) for loc in first.data + second.data]
        assert owners == [("NL", "CPO", "LOC001"), ("DE", "CPB", "LOC-B1"), ("DE", "CPB", "LOC-B2")]
        assert second.data[-1]["last_updated"] == "2026-03-01T10:00:00Z"  # as B sent it

        # Nothing of this is asked from B: what B broadcast is served from the hub.
        assert not net.b.calls
        # A single object of the merged list is found by its owner (open routing by content).
        one = await a.get(f"{CPO_PATH}/locations/LOC001", to_party=HUB)
        assert (one.status_code, one.data["id"], answered_routing(one)) == (1000, "LOC001", (OWN_CPO, EMA))


async def an_emsp_token_pushed_to_the_hub_reaches_the_cpos_only(net: Roaming) -> None:
    token = a_token("DEEMA0000042")

    answer = await net.client(net.a).put(
        f"{CPO_PATH}/tokens/DE/EMA/DEEMA0000042", json=token, params={"type": "RFID"}, to_party=HUB
    )

    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    [call] = await net.b.wait_for_calls("/receiver/tokens/DE/EMA/DEEMA0000042", "PUT")
    assert call.json == token
    assert call.query == {"type": "RFID"}
    assert routing_of(call)[1] == CPB
    at_our_cpo = await net.hub.core.tokens.get("DEEMA0000042", ref(EMA), TokenType.RFID)
    assert at_our_cpo is not None
    assert at_our_cpo.contract_id == token["contract_id"]
    await settle()
    assert not net.c.calls
    assert not net.a.calls


async def evse_patches_are_broadcast_and_get_all_filters_by_date(net: Roaming) -> None:
    """LO-15: a CPO PATCHes the EVSEs of one location at the same moment; none of the changes is lost in
    what the hub keeps for GET All."""
    b = net.client(net.b)
    two = a_location("LOC-B2", last_updated=T1)
    two["evses"] = [{**two["evses"][0], "uid": f"LOC-B2-E{i}"} for i in range(1, 11)]
    await b.put(f"{B_LOCATION}/LOC-B1", json=a_location("LOC-B1", last_updated=T1), to_party=HUB)
    await b.put(f"{B_LOCATION}/LOC-B2", json=two, to_party=HUB)
    change = {"status": "CHARGING", "last_updated": T3}

    patched = await asyncio.gather(
        *(b.patch(f"{B_LOCATION}/LOC-B2/LOC-B2-E{i}", json=change, to_party=HUB) for i in range(1, 11))
    )

    assert [p.status_code for p in patched] == [1000] * 10, [p.body for p in patched]
    for partner in (net.a, net.c):
        calls = await partner.wait_for_calls("/receiver/locations/DE/CPB/LOC-B2/", "PATCH", count=10)
        assert [c.json for c in calls] == [change] * 10
    # GET All with date_from: B's untouched LOC-B1 drops out, LOC-B2 (changed at T3) and ours stay.
    since = await net.client(net.a).get(f"{CPO_PATH}/locations", to_party=HUB, params={"date_from": T2})
    assert since.status_code == 1000, since.body
    assert [loc["id"] for loc in since.data] == ["LOC001", "LOC-B2"]
    assert since.headers["x-total-count"] == "2"
    evses = since.data[1]["evses"]
    assert [(e["uid"], e["status"], e["last_updated"]) for e in evses] == [
        (f"LOC-B2-E{i}", "CHARGING", T3) for i in range(1, 11)
    ]
    until = await net.client(net.a).get(f"{CPO_PATH}/locations", to_party=HUB, params={"date_to": T2})
    assert [loc["id"] for loc in until.data] == ["LOC-B1"], until.body
    for partner in (net.a, net.c):  # let the queued PUTs arrive before the partners stop
        await partner.wait_for_calls("/receiver/locations/DE/CPB", "PUT", count=2)


async def test_rt04_tokens_reach_the_cpos_and_evse_patches_the_emsps_and_get_all_filters_by_date(
    make_hub: MakeHub,
) -> None:
    """One hub: an eMSP token broadcast, then a CPO EVSE PATCH broadcast and GET All by date."""
    async with roaming(make_hub) as net:
        await an_emsp_token_pushed_to_the_hub_reaches_the_cpos_only(net)
        await evse_patches_are_broadcast_and_get_all_filters_by_date(net)
