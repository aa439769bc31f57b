"""URLs only the original party can reach are proxied by the hub (RT-11, RT-14, CM-13): a command's
`response_url`, a page's `Link` and a CDR's `Location` (whether the eMSP answered 200 or 201) become hub URLs
that the partner they were handed to can call, and only that partner. Three partners on loopback, both
storage backends.

Test code: imports the scenario helpers and the fake OCPI partner.
"""

from __future__ import annotations

import re

from tests.scenarios.hub_support import (
    CPB,
    CPO_PATH,
    EMA,
    EMSP_PATH,
    MakeHub,
    Roaming,
    a_cdr,
    a_location,
    a_start_session,
    answered_routing,
    ids,
    roaming,
    routing_of,
)

NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


async def test_rt11_a_cdr_location_header_becomes_a_hub_url_whether_201_or_200(make_hub: MakeHub) -> None:
    async with roaming(make_hub) as net:
        for created, cdr_id in ((201, "CDR-B1"), (200, "CDR-B2")):
            net.a.cdr_http_status = created
            cdr = a_cdr(cdr_id)

            posted = await net.client(net.b).post(f"{EMSP_PATH}/cdrs", json=cdr, to_party=EMA)

            assert (posted.status, posted.status_code) == (created, 1000), posted.body
            location = posted.headers["location"]
            assert location.startswith(f"{net.hub.url}/ocpi/hub/"), created
            assert net.a.url not in location
            [post] = [c for c in net.a.calls_to("/receiver/cdrs", "POST") if c.json["id"] == cdr_id]
            assert (post.json, routing_of(post)) == (cdr, (CPB, EMA))

            assert (await net.client(net.c).get(location, to_party=EMA)).status == 404  # only B may use it
            fetched = await net.client(net.b).get(location, to_party=EMA)

            assert (fetched.status, fetched.status_code) == (200, 1000), fetched.body
            assert fetched.data == cdr
            assert answered_routing(fetched) == (EMA, CPB)
            [get] = net.a.calls_to(f"/receiver/cdrs/DE/CPB/{cdr_id}", "GET")
            assert routing_of(get) == (CPB, EMA)
            assert get.token == "hub-to-EMA"


async def a_command_result_reaches_the_emsp_through_a_hub_response_url(net: Roaming) -> None:
    original = f"{net.a.url}/ocpi/2.2.1/sender/commands/START_SESSION/cmd-1"
    command = a_start_session(original)

    answer = await net.client(net.a).post(
        f"{CPO_PATH}/commands/START_SESSION", json=command, to_party=CPB, headers=ids("a-1", "start-1")
    )

    assert (answer.status_code, answer.data["result"]) == (1000, "ACCEPTED"), answer.body
    assert answered_routing(answer) == (CPB, EMA)
    [at_b] = net.b.calls_to("/receiver/commands/START_SESSION", "POST")
    hub_url = at_b.json["response_url"]
    assert hub_url.startswith(f"{net.hub.url}/ocpi/hub/")  # B never sees A's URL …
    assert original not in repr(at_b.json)
    assert {**at_b.json, "response_url": original} == command  # … and everything else unchanged
    assert routing_of(at_b) == (EMA, CPB)

    # Nobody but B may use the hub URL (404, as for any unknown URL); nothing reaches A.
    for intruder in (net.a, net.c):
        refused = await net.client(intruder).post(hub_url, json={"result": "REJECTED"}, to_party=EMA)
        assert refused.status == 404, refused.body
    assert not net.a.calls

    # B posts the CommandResult to the hub URL; A gets it at its own URL, FROM B TO A.
    result = await net.client(net.b).post(
        hub_url, json={"result": "ACCEPTED"}, to_party=EMA, headers=ids("b-1", "result-1")
    )
    assert (result.status, result.status_code) == (200, 1000), result.body
    assert answered_routing(result) == (EMA, CPB)
    [at_a] = net.a.calls_to("/sender/commands/START_SESSION/cmd-1", "POST")
    assert at_a.json == {"result": "ACCEPTED"}
    assert routing_of(at_a) == (CPB, EMA)
    assert at_a.token == "hub-to-EMA"
    assert at_a.headers["x-correlation-id"] == "result-1"
    assert at_a.headers["x-request-id"] != "b-1"


async def a_paginated_list_pages_on_through_hub_links(net: Roaming) -> None:
    net.b.page_limit = 2
    net.b.lists["locations"] = [a_location(f"LOC-B{i}") for i in (1, 2, 3)]
    a = net.client(net.a)

    first = await a.get(f"{CPO_PATH}/locations", to_party=CPB, params={"date_from": "2026-01-01T00:00:00Z"})

    assert [loc["id"] for loc in first.data] == ["LOC-B1", "LOC-B2"], first.body
    assert (first.headers["x-total-count"], first.headers["x-limit"]) == ("3", "2")
    link = NEXT.fullmatch(first.headers["link"])
    assert link is not None, first.headers["link"]
    assert link["url"].startswith(f"{net.hub.url}/ocpi/hub/")
    assert net.b.url not in first.headers["link"]

    assert (await net.client(net.c).get(link["url"], to_party=CPB)).status == 404  # not C's link
    second = await a.get(link["url"], to_party=CPB)

    assert (second.status_code, [loc["id"] for loc in second.data]) == (1000, ["LOC-B3"]), second.body
    assert "link" not in second.headers  # the last page has none (PG-03)
    assert second.headers["x-total-count"] == "3"
    assert answered_routing(second) == (CPB, EMA)
    calls = net.b.calls_to("/sender/locations", "GET")
    assert [c.query.get("offset") for c in calls] == [None, "2"]
    assert calls[1].query["date_from"] == "2026-01-01T00:00:00Z"  # B's own next URL, filters kept
    assert [routing_of(c) for c in calls] == [(EMA, CPB), (EMA, CPB)]


async def test_rt11_rt14_response_urls_and_next_page_links_become_hub_urls(make_hub: MakeHub) -> None:
    """One hub: a command result, then a paginated list."""
    async with roaming(make_hub) as net:
        await a_command_result_reaches_the_emsp_through_a_hub_response_url(net)
        await a_paginated_list_pages_on_through_hub_links(net)
