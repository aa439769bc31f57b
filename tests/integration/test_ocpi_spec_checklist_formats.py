"""The OCPI 2.2.1 checklist's format rules on the real hub over loopback HTTP, both storage backends: §5 types
(DateTime, CiString, number, TY-01 ids), §6 pagination on every list (PG-01…PG-06) and §9 versions (VE-01,
VE-02, VE-05, VE-06). Harness: test_ocpi_spec_checklist.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.conftest import OWN_TOKEN
from tests.integration.test_ocpi_spec_checklist import (
    AT,
    CPO,
    DATETIME,
    LISTS,
    T0,
    Env,
    MakeHub,
    Reply,
    V,
    a_cdr,
    a_session,
    a_wire_session,
    a_wire_tariff,
    a_wire_token,
    envelope_problems,
    start_env,
)


@pytest.fixture
async def env(make_hub: MakeHub) -> AsyncIterator[Env]:
    async with start_env(make_hub) as started:
        yield started


# --- §5 Types ----------------------------------------------------------------------------------------------


def datetimes_in(value: Any, key: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from datetimes_in(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from datetimes_in(item, key)
    elif key in ("timestamp", "last_updated", "expiry_date") or key.endswith("date_time"):
        yield key, value


async def test_ty_every_datetime_we_emit_is_utc_with_z(env: Env) -> None:
    await a_cdr(env.hub, "CDR-1", AT)
    paths = [*(f"{p}?date_from=2020-01-01T00:00:00Z" for p in LISTS), f"{V}/cpo/locations/LOC001"]
    seen = []
    for path in paths:
        reply = await env.call("GET", path)
        assert reply.code == 1000, path
        seen += list(datetimes_in(reply.body))
    assert {key for key, _ in seen} >= {"timestamp", "last_updated", "start_date_time", "end_date_time"}
    assert [(k, v) for k, v in seen if not (isinstance(v, str) and DATETIME.fullmatch(v))] == []


DATETIME_FORMS = {  # as sent → as we emit it
    "2026-03-01T10:00:00Z": "2026-03-01T10:00:00Z",
    "2026-03-01T10:00:00+00:00": "2026-03-01T10:00:00Z",
    "2026-03-01T11:00:00+01:00": "2026-03-01T10:00:00Z",
    "2026-03-01T10:00:00": "2026-03-01T10:00:00Z",
    "2026-03-01T10:00:00.5Z": "2026-03-01T10:00:00.500Z",
    "2026-03-01T10:00:00.123456789Z": "2026-03-01T10:00:00.123Z",
}


async def test_ty_22_3_datetimes_with_z_offset_no_designator_or_nine_fraction_digits_are_accepted(
    env: Env,
) -> None:
    for number, (sent, emitted) in enumerate(DATETIME_FORMS.items()):
        path = f"{V}/cpo/tokens/DE/PRT/T{number}"

        put = await env.call("PUT", path, json_body=a_wire_token(f"T{number}", last_updated=sent))

        assert (put.status, put.code) == (201, 1000), (sent, put.text)
        assert (await env.call("GET", path)).data["last_updated"] == emitted, sent


async def test_ty_cistrings_compare_case_insensitively_and_keep_their_case(env: Env) -> None:
    put = await env.call("PUT", f"{V}/cpo/tokens/de/prt/abc-1", json_body=a_wire_token("Abc-1"))
    tariff = await env.call("PUT", f"{V}/emsp/tariffs/de/cpx/tar-1", json_body=a_wire_tariff("Tar-1"))

    assert (put.status, tariff.status) == (201, 201)
    assert (await env.call("GET", f"{V}/cpo/tokens/DE/PRT/ABC-1")).data["uid"] == "Abc-1"
    got = await env.call("GET", f"{V}/emsp/tariffs/DE/CPX/TAR-1")
    assert (got.data["id"], got.data["country_code"], got.data["party_id"]) == ("Tar-1", "DE", "CPX")
    newer = a_wire_token("abc-1", valid=False, last_updated="2026-03-02T00:00:00Z")
    again = await env.call("PUT", f"{V}/cpo/tokens/DE/PRT/ABC-1", json_body=newer)
    assert (again.status, again.code) == (200, 1000)  # the same token, not a second one


async def test_ty_numbers_are_decimal_and_keep_their_digits(env: Env) -> None:
    path = f"{V}/emsp/sessions/DE/CPX/S1"
    text = json.dumps(a_wire_session("S1", kwh="KWH", total_cost={"excl_vat": "EXCL"}))
    text = text.replace('"KWH"', "12.3456789012345678901").replace('"EXCL"', "0.10")

    await env.call("PUT", path, data=text.encode())
    got = await env.call("GET", path)

    assert '"kwh":12.3456789012345678901' in got.text.replace(" ", "")
    assert '"excl_vat":0.10' in got.text.replace(" ", "")


async def test_ty_01_22_11_ids_with_any_printable_characters_travel_percent_encoded(env: Env) -> None:
    for object_id in ["A/B", "a/b/c", "é€ 1", "x%2Fy", "..", "🔌", "?#&="]:
        segment = quote(object_id, safe="")
        cdr = {"country_code": "DE", "party_id": "CPX", "id": object_id}
        answers = [
            await env.call("PUT", f"{V}/cpo/tokens/DE/PRT/{segment}", json_body=a_wire_token(object_id)),
            await env.call("PUT", f"{V}/emsp/tariffs/DE/CPX/{segment}", json_body=a_wire_tariff(object_id)),
            posted := await env.call("POST", f"{V}/emsp/cdrs", json_body=cdr),
        ]

        assert [(a.status, a.code) for a in answers] == [(201, 1000), (201, 1000), (200, 1000)], object_id
        assert (await env.call("GET", f"{V}/cpo/tokens/DE/PRT/{segment}")).data["uid"] == object_id
        assert (await env.call("GET", f"{V}/emsp/tariffs/DE/CPX/{segment}")).data["id"] == object_id
        location = posted.headers["location"]  # CD-02: where the CDR can be fetched again
        assert location == f"{env.hub.url}{V}/emsp/cdrs/DE/CPX/{segment}"
        assert (await env.call("GET", location.removeprefix(env.hub.url))).data["id"] == object_id


# --- §6 Pagination -----------------------------------------------------------------------------------------


async def dated_items(env: Env) -> dict[str, str]:
    """Two items or more per list, one of them (returned per list path) with last_updated = AT, the others
    at T0."""
    core = env.hub.core
    tariff = await core.tariffs.get(CPO, "STD")
    token = await core.tokens.get(OWN_TOKEN)
    location = await core.locations.get(CPO, "LOC102")
    assert tariff is not None
    assert token is not None
    assert location is not None
    await core.tariffs.put(tariff.model_copy(update={"id": "OLD"}))
    await core.tokens.put(token.model_copy(update={"uid": "OLD-TOKEN"}))
    await a_cdr(env.hub, "CDR-OLD", T0)
    env.clock.advance(hours=1)  # the core stamps what it stores with its clock
    await core.locations.put(location.model_copy(update={"name": "Moved", "last_updated": AT}))
    await core.tariffs.put(tariff.model_copy(update={"type": "AD_HOC_PAYMENT", "last_updated": AT}))
    await core.tokens.put(token.model_copy(update={"visual_number": "AT-1", "last_updated": AT}))
    await a_session(env.hub, "S-AT", AT)
    await a_cdr(env.hub, "CDR-AT", AT)
    return dict(zip(LISTS, ["LOC102", "S-AT", "CDR-AT", "STD", OWN_TOKEN], strict=True))


def ids_of(reply: Reply, path: str) -> list[str]:
    assert reply.code == 1000, (path, reply.text)
    return [item[LISTS[path]] for item in reply.data]


async def test_pg_01_date_from_is_inclusive_and_date_to_exclusive_on_every_list(env: Env) -> None:
    at, before = "2026-03-02T10:00:00Z", "2020-01-01T00:00:00Z"  # AT, and long before
    for path, wanted in (await dated_items(env)).items():
        from_at = await env.call("GET", f"{path}?date_from={at}")
        up_to_at = await env.call("GET", f"{path}?date_from={before}&date_to={at}")
        window = await env.call("GET", f"{path}?date_from={at}&date_to=2026-03-02T10:00:01Z")

        assert ids_of(from_at, path) == [wanted]
        assert from_at.headers["x-total-count"] == "1", path
        assert wanted not in ids_of(up_to_at, path)
        assert ids_of(window, path) == [wanted]


async def test_pg_02_pg_03_pg_05_every_list_counts_all_caps_limit_and_links_only_to_more(env: Env) -> None:
    await dated_items(env)
    for path in LISTS:
        everything = f"{path}?date_from=2020-01-01T00:00:00Z"
        total = len([item async for item in crawl(env, everything)])  # every page, following Link

        huge = await env.call("GET", f"{everything}&limit=1000000")
        zero = await env.call("GET", f"{everything}&limit=0&offset=1")

        assert total >= 2, path
        assert huge.headers["x-total-count"] == str(total), path
        assert huge.headers["x-limit"] == "3", path  # the server's cap, not the count returned
        assert len(huge.data) == min(total, 3), path
        assert ("link" in huge.headers) == (total > 3), path
        assert (zero.code, zero.data, zero.headers["x-total-count"]) == (1000, [], str(total)), path


async def crawl(env: Env, url: str) -> AsyncIterator[Any]:
    next_url: str | None = url
    seen = 0
    while next_url:
        reply = await env.call("GET", next_url.removeprefix(env.hub.url))
        assert reply.code == 1000, reply.text
        for item in reply.data:
            yield item
        seen += 1
        assert seen < 50, "Link loop"
        link = reply.headers.get("link")
        assert link is None or link.endswith('>; rel="next"'), link  # PG-03: absent or a next link, never ""
        next_url = link[1 : link.index(">")] if link else None


async def test_pg_04_the_next_link_keeps_every_filter_and_uses_the_public_url_not_the_host_header(
    env: Env,
) -> None:
    query = "date_from=2020-01-01T00:00:00Z&date_to=2030-01-01T00:00:00%2B01:00&limit=2"
    reply = await env.call("GET", f"{V}/cpo/locations?{query}", headers={"Host": "spoofed.example:8443"})

    link = reply.headers["link"]
    assert link.startswith(f"<{env.hub.url}{V}/cpo/locations?")
    assert link.endswith('>; rel="next"')
    params = parse_qs(urlsplit(link[1 : link.index(">")]).query)
    assert params == {
        "date_from": ["2020-01-01T00:00:00Z"],
        "date_to": ["2030-01-01T00:00:00+01:00"],
        "limit": ["2"],
        "offset": ["2"],
    }
    ids = [item["id"] async for item in crawl(env, f"{V}/cpo/locations?{query}")]
    assert sorted(ids) == ["LOC001", "LOC100", "LOC101", "LOC102", "LOC103"]


async def test_pg_06_pages_come_in_a_stable_oldest_first_order(env: Env) -> None:
    await dated_items(env)
    for path in LISTS:
        url = f"{path}?date_from=2020-01-01T00:00:00Z&limit=1"
        first = [item async for item in crawl(env, url)]
        second = [item async for item in crawl(env, url)]
        assert [i[LISTS[path]] for i in first] == [i[LISTS[path]] for i in second], path
        stamps = [datetime.fromisoformat(i["last_updated"]) for i in first]
        assert stamps == sorted(stamps), path


# --- §9 Versions ------------------------------------------------------------------------------------------

IDENTIFIERS = {"cdrs", "chargingprofiles", "commands", "credentials", "hubclientinfo", "locations"}
IDENTIFIERS |= {"sessions", "tariffs", "tokens"}
# How to reach an advertised endpoint: (method, suffix) per (identifier, role).
PROBES = {
    ("credentials", "SENDER"): ("GET", ""),
    ("locations", "SENDER"): ("GET", ""),
    ("locations", "RECEIVER"): ("GET", "/DE/CPX/NOPE"),
    ("sessions", "SENDER"): ("GET", "?date_from=2020-01-01T00:00:00Z"),
    ("sessions", "RECEIVER"): ("GET", "/DE/CPX/NOPE"),
    ("cdrs", "SENDER"): ("GET", ""),
    ("cdrs", "RECEIVER"): ("POST", ""),
    ("tariffs", "SENDER"): ("GET", ""),
    ("tariffs", "RECEIVER"): ("GET", "/DE/CPX/NOPE"),
    ("tokens", "SENDER"): ("GET", ""),
    ("tokens", "RECEIVER"): ("GET", "/DE/PRT/NOPE"),
    ("commands", "SENDER"): ("POST", "/START_SESSION/NOPE"),
    ("commands", "RECEIVER"): ("POST", "/START_SESSION"),
    ("chargingprofiles", "RECEIVER"): ("GET", "/NOPE?duration=60&response_url=http://x"),
    ("hubclientinfo", "SENDER"): ("GET", ""),
}


async def test_ve_01_versions_list_names_valid_versions_with_absolute_urls(env: Env) -> None:
    reply = await env.call("GET", "/ocpi/versions")

    assert reply.code == 1000
    assert reply.data == [
        {"version": "2.2.1", "url": f"{env.hub.url}{V}"},
        {"version": "2.1.1", "url": f"{env.hub.url}/ocpi/2.1.1"},
    ]


async def test_ve_02_ve_05_details_advertise_standard_modules_each_role_once_and_every_url_answers(
    env: Env,
) -> None:
    reply = await env.call("GET", V)
    endpoints = reply.data["endpoints"]
    pairs = [(e["identifier"], e["role"]) for e in endpoints]

    assert reply.data["version"] == "2.2.1"
    assert {e["identifier"] for e in endpoints} <= IDENTIFIERS  # VE-06: no custom modules
    assert {e["role"] for e in endpoints} <= {"SENDER", "RECEIVER"}
    assert len(pairs) == len(set(pairs))
    for identifier in {i for i, _ in pairs}:
        urls = [e["url"] for e in endpoints if e["identifier"] == identifier]
        assert len(urls) == len(set(urls)), identifier  # VE-05: SENDER and RECEIVER at different URLs
    for endpoint in endpoints:
        assert endpoint["url"].startswith(f"{env.hub.url}{V}/"), endpoint
        method, suffix = PROBES[(endpoint["identifier"], endpoint["role"])]
        answer = await env.call(method, endpoint["url"].removeprefix(env.hub.url) + suffix, json_body={})
        assert envelope_problems(answer, env) == [], endpoint
        routed = answer.status != 405 and answer.body.get("status_message") != "Not found"
        assert routed, (endpoint, answer.text)  # the router knows it: the handler answered
