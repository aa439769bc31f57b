"""Open routing (checklist §11 decision table, RT-12, RT-13): requests without OCPI-to-* go where their
content says — a START_SESSION to the CPO of the location, a CDR or a Session to the eMSP of its `cdr_token`,
a later Session PATCH (no `cdr_token`) to the eMSP the hub remembered, a STOP_SESSION to the session's CPO, a
real-time authorization to the eMSP that broadcast the token. Three partners on loopback, both storage
backends.

Test code: imports the scenario helpers and the fake OCPI partner.
"""

from __future__ import annotations

from tests.scenarios.hub_support import (
    CPB,
    CPO_PATH,
    EMA,
    EMC,
    EMSP_PATH,
    HUB,
    OWN_CPO,
    T2,
    MakeHub,
    Roaming,
    a_cdr,
    a_location,
    a_session,
    a_start_session,
    a_token,
    answered_routing,
    roaming,
    routing_of,
    settle,
)


async def b_broadcasts_its_location(net: Roaming) -> None:
    """The hub learns who owns LOC-B1 the way it learns every location: B pushes it to the hub."""
    pushed = await net.client(net.b).put(
        f"{EMSP_PATH}/locations/DE/CPB/LOC-B1", json=a_location("LOC-B1"), to_party=HUB
    )
    assert pushed.status_code == 1000, pushed.body
    for partner in (net.a, net.c):
        await partner.wait_for_calls("/receiver/locations/DE/CPB/LOC-B1", "PUT")


async def test_rt13_commands_and_authorizations_without_to_go_to_the_owner_of_location_or_token(
    make_hub: MakeHub,
) -> None:
    async with roaming(make_hub) as net:
        await b_broadcasts_its_location(net)
        command = a_start_session(f"{net.a.url}/ocpi/2.2.1/sender/commands/START_SESSION/open-1")

        answer = await net.client(net.a).post(f"{CPO_PATH}/commands/START_SESSION", json=command)

        assert (answer.status_code, answer.data["result"]) == (1000, "ACCEPTED"), answer.body
        assert answered_routing(answer) == (CPB, EMA)
        [call] = net.b.calls_to("/receiver/commands/START_SESSION", "POST")
        assert routing_of(call) == (EMA, CPB)  # the onward leg is addressed like a relay
        assert call.json["location_id"] == "LOC-B1"
        assert call.json["response_url"].startswith(f"{net.hub.url}/ocpi/hub/")

        # An unknown location names nobody: the hub's single CPO answers that it does not know it (2003).
        unknown = await net.client(net.a).post(
            f"{CPO_PATH}/commands/START_SESSION", json={**command, "location_id": "LOC-NOWHERE"}
        )
        assert (unknown.status_code, unknown.data["result"]) == (2003, "REJECTED"), unknown.body
        assert answered_routing(unknown) == (OWN_CPO, EMA)
        assert len(net.b.calls_to("/receiver/commands")) == 1

        # RT-13: B asks for a real-time authorization of a token A broadcast, without naming A.
        token = a_token("DEEMA0000042")
        net.a.lists["tokens"] = [token]
        pushed = await net.client(net.a).put(
            f"{CPO_PATH}/tokens/DE/EMA/DEEMA0000042", json=token, params={"type": "RFID"}, to_party=HUB
        )
        assert pushed.status_code == 1000, pushed.body
        await net.b.wait_for_calls("/receiver/tokens", "PUT")
        where = {"location_id": "LOC-B1"}

        authorized = await net.client(net.b).post(
            f"{EMSP_PATH}/tokens/DEEMA0000042/authorize", json=where, params={"type": "RFID"}
        )

        assert (authorized.status_code, authorized.data["allowed"]) == (1000, "ALLOWED"), authorized.body
        assert answered_routing(authorized) == (EMA, CPB)
        [asked] = net.a.calls_to("/sender/tokens/DEEMA0000042/authorize", "POST")
        assert (asked.json, asked.query, routing_of(asked)) == (where, {"type": "RFID"}, (CPB, EMA))
        await settle()
        assert [(c.method, c.path) for c in net.c.calls] == [
            ("PUT", "/ocpi/2.2.1/receiver/locations/DE/CPB/LOC-B1")  # C only heard the broadcast
        ]


async def test_rt12_cdrs_and_sessions_without_to_go_to_the_emsp_of_the_cdr_token(make_hub: MakeHub) -> None:
    async with roaming(make_hub) as net:
        b = net.client(net.b)
        cdr = a_cdr("CDR-OPEN-1", emsp=EMC)

        posted = await b.post(f"{EMSP_PATH}/cdrs", json=cdr)

        assert (posted.status_code, answered_routing(posted)) == (1000, (EMC, CPB)), posted.body
        [call] = net.c.calls_to("/receiver/cdrs", "POST")
        assert (call.json, routing_of(call)) == (cdr, (CPB, EMC))
        await settle()
        assert not net.a.calls  # never by evse_id or contract_id prefixes, never to everyone

        session = a_session("SES-OPEN-1", emsp=EMA)
        put = await b.put(f"{EMSP_PATH}/sessions/DE/CPB/SES-OPEN-1", json=session)
        patch = await b.patch(
            f"{EMSP_PATH}/sessions/DE/CPB/SES-OPEN-1",
            json={"kwh": 4.2, "status": "ACTIVE", "last_updated": T2},
        )

        assert (put.status_code, answered_routing(put)) == (1000, (EMA, CPB)), put.body
        assert (patch.status_code, answered_routing(patch)) == (1000, (EMA, CPB)), patch.body
        [at_put] = net.a.calls_to("/receiver/sessions/DE/CPB/SES-OPEN-1", "PUT")
        [at_patch] = net.a.calls_to("/receiver/sessions/DE/CPB/SES-OPEN-1", "PATCH")
        assert at_put.json == session
        assert at_patch.json == {"kwh": 4.2, "status": "ACTIVE", "last_updated": T2}
        assert routing_of(at_patch) == (CPB, EMA)

        # The eMSP stops it without naming the CPO: the hub remembered whose session it is.
        stop = await net.client(net.a).post(
            f"{CPO_PATH}/commands/STOP_SESSION",
            json={
                "response_url": f"{net.a.url}/ocpi/2.2.1/sender/commands/STOP_SESSION/1",
                "session_id": "SES-OPEN-1",
            },
        )
        assert (stop.status_code, answered_routing(stop)) == (1000, (CPB, EMA)), stop.body
        [at_b] = net.b.calls_to("/receiver/commands/STOP_SESSION", "POST")
        assert at_b.json["session_id"] == "SES-OPEN-1"
        await settle()
        assert [c.method for c in net.c.calls] == ["POST"]  # C only got its CDR
