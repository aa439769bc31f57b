"""HubClientInfo over real HTTP (checklist §12), on both storage backends: fake partner platforms register
with the running hub and read the paginated party list (HC-03, HC-09, §6), receive a PUT per party when
another partner registers or unregisters (HC-05, HC-06), and the still-alive job marks a silent partner
OFFLINE when its versions endpoint fails and CONNECTED again when it answers (HC-08).

The hub's clock is fixed and the still-alive job is called directly. `wire` does what the composition root is
asked to do (deliverer, publish after registration); doing it twice is harmless.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.app import SCHEDULER_KEY
from hub.core.clock import FixedClock
from hub.core.models import Platform, PlatformStatus
from ocpi_modules.common.runtime import OCPI_KEY, OcpiRuntime
from ocpi_modules.v2_2_1 import hubclientinfo
from ocpi_modules.v2_2_1.hubclientinfo import publish_changes, still_alive
from ocpi_modules.v2_2_1.registration import on_registered
from tests.conftest import RunningHub
from tests.fakes.ocpi_partner import FakePartner, HubReply, bind_public_url, welcomed

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LIST = "/ocpi/2.2.1/hubclientinfo"
TOKEN_A, TOKEN_B, TOKEN_UNUSED = "hci-invitation-A-0001", "hci-invitation-B-0001", "hci-invitation-C-0001"

MakeHub = Callable[..., Awaitable[RunningHub]]


def rt(hub: RunningHub) -> OcpiRuntime:
    return hub.app[OCPI_KEY]


def wire(hub: RunningHub) -> None:
    """The wiring the composition root provides: the PUT deliverer, and a publication after registration."""
    drainer = hub.app[SCHEDULER_KEY].drainer
    for prefix, deliverer in hubclientinfo.deliverers(rt(hub)):
        drainer.register(prefix, deliverer)

    async def publish(runtime: OcpiRuntime, _platform: Platform) -> None:
        await publish_changes(runtime)

    on_registered(rt(hub), publish)


async def deliver(hub: RunningHub) -> None:
    """Wait for the registration listeners, then deliver whatever is due."""
    await welcomed(hub)


@dataclass
class Env:
    hub: RunningHub
    clock: FixedClock
    a: FakePartner  # DE*PRT, an eMSP
    b: FakePartner  # DE*CPX, a CPO

    async def register(self, partner: FakePartner, token: str) -> None:
        answer = await partner.register_with(f"{self.hub.url}/ocpi/versions", token)
        assert answer.status_code == 1000, answer.body
        await deliver(self.hub)

    async def platform(self, name: str) -> Platform:
        return next(p for p in await self.hub.core.platforms.list() if p.name == name)

    async def listing(self, partner: FakePartner, **params: str) -> HubReply:
        return await partner.client(self.hub.url).get(LIST, routing=False, params=params or None)


def client_info_puts(partner: FakePartner) -> list[str]:
    return [
        f"{c.json['country_code']}*{c.json['party_id']} {c.json['status']}"
        for c in partner.calls_to("/receiver/hubclientinfo", "PUT")
        if c.answered == 200
    ]


def rows(reply: HubReply) -> list[tuple[str, str, str]]:
    return [(f"{i['country_code']}*{i['party_id']}", i["role"], i["status"]) for i in reply.data]


async def start(make_hub: MakeHub, **overrides: Any) -> tuple[RunningHub, FixedClock]:
    clock = FixedClock(T0)
    ocpi = {
        "allow_private_urls": True,
        "invitations": [
            {"name": "A", "token": TOKEN_A},
            {"name": "B", "token": TOKEN_B},
            {"name": "C", "token": TOKEN_UNUSED},
        ],
        **overrides.pop("ocpi", {}),
    }
    hub = await make_hub(clock=clock, ocpi=ocpi, **overrides)
    bind_public_url(hub)
    wire(hub)
    return hub, clock


@pytest.fixture
async def partners() -> AsyncIterator[tuple[FakePartner, FakePartner]]:
    async with (
        FakePartner(roles=[("DE", "PRT", "EMSP")], name="A", client_info=True) as a,
        FakePartner(roles=[("DE", "CPX", "CPO")], name="B", client_info=True) as b,
    ):
        yield a, b


@pytest.fixture
async def env(make_hub: MakeHub, partners: tuple[FakePartner, FakePartner]) -> Env:
    hub, clock = await start(make_hub)
    return Env(hub, clock, *partners)


# --- the Sender interface: list, pagination, visibility ----------------------------------------------------


async def test_hc03_hc09_the_list_shows_every_party_but_the_callers_own_without_routing_headers(
    env: Env,
) -> None:
    await env.register(env.a, TOKEN_A)
    await env.register(env.b, TOKEN_B)

    answer = await env.listing(env.a)

    assert (answer.status, answer.status_code) == (200, 1000)
    assert sorted(rows(answer)) == [
        ("DE*CPX", "CPO", "CONNECTED"),
        ("NL*CPO", "CPO", "CONNECTED"),
        ("NL*MSP", "EMSP", "CONNECTED"),
    ]
    assert answer.headers["x-total-count"] == "3"
    assert not any(h.startswith("ocpi-") for h in answer.headers)  # a configuration module (RT-02)
    assert sorted(rows(await env.listing(env.b)))[0] == ("DE*PRT", "EMSP", "CONNECTED")


async def test_hc03_only_registered_platforms_may_read_the_list(env: Env) -> None:
    await env.register(env.a, TOKEN_A)
    client = env.a.client(env.hub.url)

    assert (await client.get(LIST, routing=False, auth=False)).status == 401
    assert (await client.get(LIST, routing=False, token="no-such-token")).status == 401
    assert (await client.get(LIST, routing=False, token=TOKEN_UNUSED)).status == 401  # Token A (AU-05)


async def test_hc03_hc09_pagination_dates_and_agreements(
    make_hub: MakeHub, partners: tuple[FakePartner, FakePartner]
) -> None:
    agreements = [
        {"parties": ["DE*PRT", "NL*CPO"]},
        {"parties": ["DE*PRT", "DE*CPX"], "modules": ["sessions"]},
        {"parties": ["DE*PRT", "FR*NEW"]},
    ]
    hub, clock = await start(make_hub, agreements=agreements, ocpi={"page_limit": 2})
    env = Env(hub, clock, *partners)
    await env.register(env.a, TOKEN_A)
    t1 = clock.advance(minutes=1)
    await env.register(env.b, TOKEN_B)

    first = await env.listing(env.a)

    # oldest change first: FR*NEW (named in an agreement only) and NL*CPO at T0, DE*CPX at T1; no NL*MSP
    assert rows(first) == [("FR*NEW", "CPO", "PLANNED"), ("NL*CPO", "CPO", "CONNECTED")]
    assert (first.headers["x-total-count"], first.headers["x-limit"]) == ("3", "2")
    assert [i["last_updated"] for i in first.data] == ["2026-03-02T10:00:00Z"] * 2
    link = first.headers["link"]
    assert link.startswith(f"<{hub.url}{LIST}?")
    assert link.endswith('>; rel="next"')
    second = await env.a.client(hub.url).get(link[1 : link.index(">")], routing=False)
    assert rows(second) == [("DE*CPX", "CPO", "CONNECTED")]
    assert second.data[0]["last_updated"] == "2026-03-02T10:01:00Z"
    assert "link" not in second.headers
    since = await env.listing(env.a, date_from="2026-03-02T10:01:00Z", limit="5")
    assert rows(since) == [("DE*CPX", "CPO", "CONNECTED")]
    before = await env.listing(env.a, date_to=t1.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert [r[0] for r in rows(before)] == ["FR*NEW", "NL*CPO"]
    assert rows(await env.listing(env.b)) == [("DE*PRT", "EMSP", "CONNECTED")]


# --- pushes ------------------------------------------------------------------------------------------------


async def test_hc05_registration_of_a_second_partner_is_pushed_to_the_first_which_got_the_full_list(
    env: Env,
) -> None:
    env.a.fail("/receiver/hubclientinfo", method="PUT", times=1)  # the first PUT fails: it is retried
    await env.register(env.a, TOKEN_A)
    env.clock.advance(seconds=10)
    await deliver(env.hub)
    assert sorted(client_info_puts(env.a)) == ["NL*CPO CONNECTED", "NL*MSP CONNECTED"]

    env.clock.advance(minutes=1)
    await env.register(env.b, TOKEN_B)

    assert sorted(client_info_puts(env.a)) == ["DE*CPX CONNECTED", "NL*CPO CONNECTED", "NL*MSP CONNECTED"]
    assert sorted(client_info_puts(env.b)) == ["DE*PRT CONNECTED", "NL*CPO CONNECTED", "NL*MSP CONNECTED"]
    put = env.a.calls_to("/receiver/hubclientinfo/DE/CPX", "PUT")[0]
    assert put.json == {
        "party_id": "CPX",
        "country_code": "DE",
        "role": "CPO",
        "status": "CONNECTED",
        "last_updated": "2026-03-02T10:01:10Z",
    }
    assert (put.token, put.encoded) == (env.a.inbound_token, True)
    assert not any(h.startswith("ocpi-") for h in put.headers)  # HC-06: no routing headers
    assert env.a.objects["hubclientinfo/DE/CPX"] == put.json


async def test_hc05_cr09_an_unregistered_partner_is_pushed_as_suspended_and_stays_listed(env: Env) -> None:
    await env.register(env.a, TOKEN_A)
    await env.register(env.b, TOKEN_B)
    b_calls = len(env.b.calls)

    assert (await env.b.unregister_from_hub()).status_code == 1000
    await publish_changes(rt(env.hub))  # the composition root calls it after an unregistration
    await deliver(env.hub)

    assert client_info_puts(env.a)[-1] == "DE*CPX SUSPENDED"
    assert env.a.objects["hubclientinfo/DE/CPX"]["status"] == "SUSPENDED"
    assert len(env.b.calls) == b_calls  # nothing more for the gone platform
    assert ("DE*CPX", "CPO", "SUSPENDED") in rows(await env.listing(env.a))


# --- still alive -------------------------------------------------------------------------------------------


async def test_hc08_a_silent_partner_is_marked_offline_when_its_versions_fail_and_connected_when_they_answer(
    env: Env,
) -> None:
    await env.register(env.a, TOKEN_A)
    await env.register(env.b, TOKEN_B)
    env.clock.advance(minutes=4)
    await env.listing(env.b)  # B keeps talking to the hub; A stays silent
    probes_before = len(env.a.calls_to("/ocpi/versions", "GET"))
    b_probes_before = len(env.b.calls_to("/ocpi/versions", "GET"))

    env.clock.advance(minutes=1)
    env.a.fail("/ocpi/versions", method="GET", times=None)
    await still_alive(rt(env.hub))
    await deliver(env.hub)

    probes = env.a.calls_to("/ocpi/versions", "GET")[probes_before:]
    assert [(p.token, p.encoded, p.answered) for p in probes] == [(env.a.inbound_token, True, 500)]
    assert len(env.b.calls_to("/ocpi/versions", "GET")) == b_probes_before  # B spoke a minute ago
    assert (await env.platform("A")).status is PlatformStatus.OFFLINE
    assert (await env.platform("B")).status is PlatformStatus.CONNECTED
    assert client_info_puts(env.b)[-1] == "DE*PRT OFFLINE"
    a_puts = len(client_info_puts(env.a))

    env.a.failures.clear()
    env.clock.advance(minutes=1)
    await still_alive(rt(env.hub))
    await deliver(env.hub)

    assert (await env.platform("A")).status is PlatformStatus.CONNECTED
    assert client_info_puts(env.b)[-1] == "DE*PRT CONNECTED"
    # back from OFFLINE: A gets the full list again, its trigger to resync
    assert sorted(client_info_puts(env.a)[a_puts:]) == [
        "DE*CPX CONNECTED",
        "NL*CPO CONNECTED",
        "NL*MSP CONNECTED",
    ]
    assert ("DE*PRT", "EMSP", "CONNECTED") in rows(await env.listing(env.b))
