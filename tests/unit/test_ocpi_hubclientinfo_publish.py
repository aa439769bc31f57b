"""HubClientInfo pushes and the still-alive job on the in-memory core (checklist §12): what `publish_changes`
queues for whom (full list to a new receiver, only changes afterwards, never a party to its own platform, none
for OFFLINE platforms), what the deliverer sends (PUT per party, no routing headers, retried on failure), and
the still-alive probe turning a silent platform OFFLINE and back CONNECTED (HC-05, HC-06, HC-08, HC-09)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from hub.core.models import Endpoint, OutboxMessage, PartyRef, Platform, PlatformRole, PlatformStatus, Role
from hub.scheduler import OutboxDrainer
from ocpi_modules.common.client import OcpiResponse, OcpiTransportError
from ocpi_modules.common.runtime import HostedParty, OcpiConfig, OcpiRuntime
from ocpi_modules.v2_2_1 import hubclientinfo, stillalive
from ocpi_modules.v2_2_1.hubclientinfo import PUBLISHED, TOPIC, publish_changes, still_alive
from tests.unit.core_kit import CPO, MSP, T0, Kit, make_kit

PRT = PartyRef.parse("DE*PRT")
CPX = PartyRef.parse("DE*CPX")
BASE = "https://partner.example/ocpi/2.2.1"
OK = OcpiResponse(200, 1000, None, None)


@dataclass
class Sent:
    method: str
    url: str
    body: Any
    token: str
    encode: bool
    extra: dict[str, Any]


@dataclass
class FakeHttp:
    """Stands in for OcpiClient: records requests, answers scripted responses (success by default)."""

    sent: list[Sent] = field(default_factory=list)
    answers: deque[OcpiResponse | Exception] = field(default_factory=deque)

    async def request(
        self, method: str, url: str, *, token: str, encode: bool = True, **kw: Any
    ) -> OcpiResponse:
        self.sent.append(Sent(method, url, kw.pop("json", None), token, encode, kw))
        answer = self.answers.popleft() if self.answers else OK
        if isinstance(answer, Exception):
            raise answer
        return answer

    def puts(self) -> list[tuple[str, str]]:
        """(platform, "CC*PID status") of every PUT, in order."""
        return [
            (s.url.split("/")[-4], f"{s.body['country_code']}*{s.body['party_id']} {s.body['status']}")
            for s in self.sent
            if s.method == "PUT"
        ]


def a_platform(
    pid: str,
    *parties: tuple[PartyRef, Role],
    status: PlatformStatus = PlatformStatus.CONNECTED,
    receiver: bool = True,
) -> Platform:
    endpoints = [Endpoint(identifier="versions", role="SENDER", url=f"{BASE}/{pid}/versions")]
    if receiver:
        endpoints.append(
            Endpoint(identifier="hubclientinfo", role="RECEIVER", url=f"{BASE}/{pid}/hubclientinfo")
        )
    return Platform(
        id=pid,
        name=pid,
        status=status,
        versions_url=f"https://partner.example/{pid}/versions",
        endpoints=tuple(endpoints),
        roles=tuple(PlatformRole(party=party, role=role) for party, role in parties),
        outbound_token=f"token-{pid}",
        encode_token=pid != "raw",
        last_updated=T0,
    )


@dataclass
class Rig:
    kit: Kit
    http: FakeHttp
    rt: OcpiRuntime
    drainer: OutboxDrainer

    async def publish(self) -> list[tuple[str, str]]:
        """Publish, deliver, and return what was PUT (then forget it)."""
        await publish_changes(self.rt)
        while await self.drainer.drain_once():
            pass
        puts = self.http.puts()
        self.http.sent.clear()
        return puts

    async def put(self, platform: Platform) -> None:
        await self.kit.core.platforms.put(platform)

    async def status_of(self, platform_id: str) -> PlatformStatus:
        platform = await self.kit.core.platforms.get(platform_id)
        assert platform is not None
        return platform.status


@pytest.fixture
async def rig() -> Rig:
    kit = await make_kit(evses=0)
    http = FakeHttp()
    config = OcpiConfig(
        public_url="https://hub.example",
        hub_party=PartyRef.parse("NL*HUB"),
        hub_name="Hub",
        hosted=(HostedParty(CPO, Role.CPO, "Own CPO"), HostedParty(MSP, Role.EMSP, "Own eMSP")),
    )
    rt = OcpiRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core, http=http)
    drainer = OutboxDrainer(kit.db, kit.clock)
    drainer.register("session.", _ignore)  # what seeding wrote is not ours
    for prefix, deliverer in hubclientinfo.deliverers(rt):
        drainer.register(prefix, deliverer)
    return Rig(kit, http, rt, drainer)


async def _ignore(_message: OutboxMessage) -> None:
    return None


async def test_hc05_first_publication_stores_hosted_parties_and_queues_nothing_without_receivers(
    rig: Rig,
) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP), receiver=False))

    publication = await publish_changes(rig.rt)

    assert [(str(i.party), i.status, i.last_updated) for i in publication.changed] == [
        ("DE*PRT", "CONNECTED", T0),
        ("NL*CPO", "CONNECTED", T0),
        ("NL*MSP", "CONNECTED", T0),
    ]
    assert publication.queued == 0
    records = await rig.kit.core.records.list(PUBLISHED)
    assert {(r.id, r.data["role"], r.data["status"]) for r in records} == {
        ("DE*PRT", "EMSP", "CONNECTED"),
        ("NL*CPO", "CPO", "CONNECTED"),
        ("NL*MSP", "EMSP", "CONNECTED"),
    }
    assert (await publish_changes(rig.rt)).changed == ()


async def test_hc05_a_new_receiver_gets_the_full_list_then_only_changes_never_its_own_parties(
    rig: Rig,
) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP)))
    assert await rig.publish() == [("p1", "NL*CPO CONNECTED"), ("p1", "NL*MSP CONNECTED")]

    rig.kit.clock.advance(minutes=1)
    await rig.put(a_platform("p2", (CPX, Role.CPO)))
    puts = await rig.publish()

    assert sorted(puts) == [
        ("p1", "DE*CPX CONNECTED"),
        ("p2", "DE*PRT CONNECTED"),
        ("p2", "NL*CPO CONNECTED"),
        ("p2", "NL*MSP CONNECTED"),
    ]
    assert await rig.publish() == []  # nothing changed: nothing sent

    rig.kit.clock.advance(minutes=1)
    await rig.put(a_platform("p2", (CPX, Role.CPO), status=PlatformStatus.OFFLINE))
    assert await rig.publish() == [("p1", "DE*CPX OFFLINE")]  # and nothing for the OFFLINE platform


async def test_hc06_the_put_goes_to_the_party_url_without_routing_headers_with_the_platforms_token(
    rig: Rig,
) -> None:
    await rig.put(a_platform("raw", (PRT, Role.EMSP)))
    await publish_changes(rig.rt)
    while await rig.drainer.drain_once():
        pass

    first = rig.http.sent[0]
    assert (first.method, first.url, first.token, first.encode) == (
        "PUT",
        f"{BASE}/raw/hubclientinfo/NL/CPO",
        "token-raw",
        False,
    )
    assert first.body == {
        "party_id": "CPO",
        "country_code": "NL",
        "role": "CPO",
        "status": "CONNECTED",
        "last_updated": "2026-01-05T09:00:00Z",
    }
    assert first.extra.get("from_party") is None
    assert first.extra.get("to_party") is None


async def test_hc09_agreements_limit_what_is_pushed(rig: Rig) -> None:
    rig.rt.extras["agreements"] = [SimpleNamespace(parties=("DE*PRT", "NL*CPO"), modules=("locations",))]
    await rig.put(a_platform("p1", (PRT, Role.EMSP)))

    assert await rig.publish() == [("p1", "NL*CPO CONNECTED")]


async def test_hc02_a_row_for_a_platform_gone_offline_is_dropped_not_kept(rig: Rig) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP)))
    await publish_changes(rig.rt)
    await rig.put(a_platform("p1", (PRT, Role.EMSP), status=PlatformStatus.OFFLINE))

    while await rig.drainer.drain_once():
        pass

    assert rig.http.sent == []
    assert all(m.delivered_at is not None for m in rig.kit.outbox(TOPIC))


async def test_a_failed_put_is_retried_by_the_outbox(rig: Rig) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP)))
    rig.http.answers.extend(
        [OcpiResponse(500, 3000, "down", None), OcpiTransportError("x", url="u", reason="timeout")]
    )
    await publish_changes(rig.rt)

    await rig.drainer.drain_once()

    failed = [m for m in rig.kit.outbox(TOPIC) if m.delivered_at is None]
    assert [m.attempts for m in failed] == [1, 1]
    rig.kit.clock.advance(minutes=5)
    while await rig.drainer.drain_once():
        pass
    assert all(m.delivered_at is not None for m in rig.kit.outbox(TOPIC))
    assert len(rig.http.sent) == 4


# --- still alive -------------------------------------------------------------------------------------------


async def test_hc08_a_platform_silent_for_five_minutes_is_probed_and_marked_offline_then_connected(
    rig: Rig,
) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP)))
    await rig.put(a_platform("p2", (CPX, Role.CPO)))
    await rig.publish()
    stillalive.note_seen(rig.rt, "p1")
    stillalive.note_seen(rig.rt, "p2")
    rig.kit.clock.advance(minutes=4)
    stillalive.note_seen(rig.rt, "p2")  # p2 keeps talking to us

    rig.kit.clock.advance(seconds=59)
    await still_alive(rig.rt)
    assert rig.http.sent == []  # 4:59 of silence: no probe yet

    rig.kit.clock.advance(seconds=1)
    rig.http.answers.append(OcpiTransportError("refused", url="u", reason="connection"))
    await still_alive(rig.rt)

    probe = rig.http.sent[0]
    assert (probe.method, probe.url, probe.token, probe.extra["timeout_s"]) == (
        "GET",
        "https://partner.example/p1/versions",
        "token-p1",
        stillalive.PROBE_TIMEOUT_S,
    )
    assert await rig.status_of("p1") is PlatformStatus.OFFLINE
    assert await rig.status_of("p2") is PlatformStatus.CONNECTED
    rig.http.sent.clear()
    while await rig.drainer.drain_once():
        pass
    assert rig.http.puts() == [("p2", "DE*PRT OFFLINE")]

    # An OFFLINE platform is probed at every run; it answers now: CONNECTED, and it gets the full list.
    rig.http.sent.clear()
    rig.kit.clock.advance(minutes=1)
    await still_alive(rig.rt)
    assert [s.url for s in rig.http.sent] == ["https://partner.example/p1/versions"]
    assert await rig.status_of("p1") is PlatformStatus.CONNECTED
    rig.http.sent.clear()
    while await rig.drainer.drain_once():
        pass
    assert sorted(rig.http.puts()) == [
        ("p1", "DE*CPX CONNECTED"),
        ("p1", "NL*CPO CONNECTED"),
        ("p1", "NL*MSP CONNECTED"),
        ("p2", "DE*PRT CONNECTED"),
    ]


async def test_hc08_a_probe_answered_with_an_error_status_counts_as_a_failure(rig: Rig) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP)))
    stillalive.note_seen(rig.rt, "p1")
    rig.kit.clock.advance(minutes=5)
    rig.http.answers.append(OcpiResponse(401, 2000, "who are you", None))

    await still_alive(rig.rt)

    assert await rig.status_of("p1") is PlatformStatus.OFFLINE


async def test_hc08_planned_and_suspended_platforms_are_never_probed(rig: Rig) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP), status=PlatformStatus.PLANNED))
    await rig.put(a_platform("p2", (CPX, Role.CPO), status=PlatformStatus.SUSPENDED))
    rig.kit.clock.advance(minutes=10)
    await still_alive(rig.rt)
    rig.kit.clock.advance(minutes=10)
    await still_alive(rig.rt)

    assert [s for s in rig.http.sent if s.method == "GET"] == []
    assert await rig.status_of("p1") is PlatformStatus.PLANNED


async def test_hc08_a_platform_never_seen_since_start_counts_as_seen_at_the_first_run(rig: Rig) -> None:
    await rig.put(a_platform("p1", (PRT, Role.EMSP)))

    await still_alive(rig.rt)  # e.g. right after a restart: no probe storm
    assert rig.http.sent == []
    rig.kit.clock.advance(minutes=5)
    await still_alive(rig.rt)

    assert [s.url for s in rig.http.sent] == ["https://partner.example/p1/versions"]
    assert await rig.status_of("p1") is PlatformStatus.CONNECTED
