"""The OCPI push service on the in-memory core: who receives which core outbox row (expansion per receiver),
what each receiver gets (URL, method, body, routing headers), the session ledger (PUT, PATCH with only new
closed periods, PUT when final or out of step), failures that must be retried and rows that are dropped."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from hub.core.agreements import Agreements
from hub.core.chargepoint import StatusReport
from hub.core.models import (
    ChargingPeriod,
    Command,
    CommandResultType,
    CommandType,
    ConnectorState,
    Dimension,
    DimensionType,
    Endpoint,
    OutboxMessage,
    PartyRef,
    Platform,
    PlatformRole,
    PlatformStatus,
    Role,
    Session,
    SessionStatus,
)
from hub.core.outbox import Topic, command_key, outbox_message, session_key
from hub.scheduler import OutboxDrainer
from ocpi_modules.common.client import OcpiResponse, OcpiTransportError
from ocpi_modules.common.runtime import HostedParty, OcpiConfig, OcpiRuntime
from ocpi_modules.v2_2_1.push import SESSION_LEDGER, OcpiPushService, PushFailedError
from tests.unit.core_kit import CPO, MSP, OWN_UID, T0, Kit, a_session, a_token, make_kit
from tests.unit.ocpi_v2_2_1.kit import wire

PRT = PartyRef.parse("DE*PRT")
CPX = PartyRef.parse("DE*CPX")
BASE = "https://partner.example/ocpi/2.2.1"
OK = OcpiResponse(200, 1000, None, None)


@dataclass
class Sent:
    method: str
    url: str
    body: Any
    params: Any
    from_party: PartyRef | None
    to_party: PartyRef | None
    token: str
    encode: bool


class FakeHttp:
    """Stands in for OcpiClient: records requests, answers scripted responses (success by default)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.answers: deque[OcpiResponse | Exception] = deque()

    async def request(
        self, method: str, url: str, *, token: str, encode: bool = True, **kw: Any
    ) -> OcpiResponse:
        body = wire(kw.get("json"))
        parties = (kw.get("from_party"), kw.get("to_party"))
        self.sent.append(Sent(method, url, body, kw.get("params"), *parties, token, encode))
        answer = self.answers.popleft() if self.answers else OK
        if isinstance(answer, Exception):
            raise answer
        return answer


def a_platform(
    pid: str = "p1",
    *,
    roles: tuple[tuple[PartyRef, Role], ...] = ((PRT, Role.EMSP),),
    status: PlatformStatus = PlatformStatus.CONNECTED,
    modules: tuple[str, ...] = ("locations", "sessions", "cdrs", "tariffs", "tokens"),
) -> Platform:
    return Platform(
        id=pid,
        name=pid,
        status=status,
        endpoints=tuple(Endpoint(identifier=m, role="RECEIVER", url=f"{BASE}/{pid}/{m}") for m in modules),
        roles=tuple(PlatformRole(party=party, role=role) for party, role in roles),
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

    async def drain(self) -> None:
        while await self.drainer.drain_once():
            pass

    async def add(self, topic: Topic, key: str, payload: dict[str, Any]) -> None:
        async with self.kit.db.unit_of_work() as uow:
            await uow.outbox.add(outbox_message(topic, key, payload, self.kit.clock.now()))
            await uow.commit()

    def ocpi_rows(self, topic: str | None = None) -> list[OutboxMessage]:
        return [m for m in self.kit.outbox() if m.topic.startswith("ocpi.") and topic in (None, m.topic)]


@pytest.fixture
async def rig() -> Rig:
    kit = await make_kit(evses=0)  # EVSEs are learned from status reports
    http = FakeHttp()
    config = OcpiConfig(
        public_url="https://hub.example",
        hub_party=PartyRef.parse("NL*HUB"),
        hub_name="Hub",
        hosted=(HostedParty(CPO, Role.CPO, "Own CPO"), HostedParty(MSP, Role.EMSP, "Own eMSP")),
    )
    rt = OcpiRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core, http=http)
    drainer = OutboxDrainer(kit.db, kit.clock)
    for prefix, deliverer in OcpiPushService(rt).deliverers():
        drainer.register(prefix, deliverer)
    await drainer.drain_once()  # what seeding wrote went nowhere: no platform yet
    assert not [m for m in kit.outbox() if m.delivered_at is None]
    return Rig(kit, http, rt, drainer)


# --- expansion: who receives what --------------------------------------------------------------------------


async def test_location_change_goes_to_every_connected_emsp_with_a_locations_receiver(rig: Rig) -> None:
    core = rig.kit.core
    await core.platforms.put(a_platform("p1", roles=((PRT, Role.EMSP), (CPX, Role.CPO))))
    await core.platforms.put(a_platform("p2", roles=((PartyRef.parse("FR*OFF"), Role.EMSP),),
                                        status=PlatformStatus.OFFLINE))  # fmt: skip
    await core.platforms.put(
        a_platform("p3", roles=((PartyRef.parse("BE*NOL"), Role.EMSP),), modules=("cdrs",))
    )
    location = await core.locations.get(CPO, "LOC001")
    assert location is not None
    await core.locations.put(location.model_copy(update={"name": "Renamed", "last_updated": T0}))
    await rig.drain()

    [row] = rig.ocpi_rows()
    assert (row.topic, row.target, row.key) == (
        "ocpi.location.updated",
        "p1|DE*PRT",
        "p1|DE*PRT|location:NL*CPO:LOC001",
    )
    assert row.delivered_at is not None
    [sent] = rig.http.sent
    assert (sent.method, sent.url) == ("PUT", f"{BASE}/p1/locations/NL/CPO/LOC001")
    assert (sent.from_party, sent.to_party, sent.token, sent.encode) == (CPO, PRT, "token-p1", True)
    assert sent.body["name"] == "Renamed"
    assert sent.body["last_updated"] == "2026-01-05T09:00:00Z"
    assert all(m.delivered_at is not None for m in rig.kit.outbox())


async def test_lo_07_unpublished_location_is_pushed_to_nobody(rig: Rig) -> None:
    core = rig.kit.core
    await core.platforms.put(a_platform())
    location = await core.locations.get(CPO, "LOC001")
    assert location is not None
    await core.locations.put(location.model_copy(update={"publish": False, "last_updated": T0}))
    await rig.drain()
    assert rig.ocpi_rows() == []
    assert rig.http.sent == []


async def test_evse_status_written_with_its_location_change_is_pushed_once(rig: Rig) -> None:
    await rig.kit.core.platforms.put(a_platform())
    await rig.kit.online()
    await rig.kit.core.chargepoints.status(
        "CP001", StatusReport(evse_no=1, connector_no=1, state=ConnectorState.AVAILABLE)
    )
    await rig.drain()
    core_topics = [m.topic for m in rig.kit.outbox() if not m.topic.startswith("ocpi.")]
    assert {"location.updated", "evse.status"} <= set(core_topics)
    assert [s.method for s in rig.http.sent] == ["PUT"]  # the location PUT carries the status
    assert rig.http.sent[0].body["evses"][0]["status"] == "AVAILABLE"

    rig.kit.clock.advance(minutes=1)
    await rig.kit.core.chargepoints.status(
        "CP001", StatusReport(evse_no=1, connector_no=1, state=ConnectorState.CHARGING)
    )
    await rig.drain()
    patch = rig.http.sent[-1]
    assert (patch.method, patch.url) == ("PATCH", f"{BASE}/p1/locations/NL/CPO/LOC001/CP001%2A1")
    assert patch.body == {"status": "CHARGING", "last_updated": "2026-01-05T09:01:00Z"}
    assert len(rig.http.sent) == 2


async def test_own_token_goes_to_cpos_and_partner_tokens_nowhere(rig: Rig) -> None:
    core = rig.kit.core
    await core.platforms.put(a_platform("p1", roles=((CPX, Role.CPO), (PRT, Role.EMSP))))
    await core.tokens.put(a_token(valid=False, last_updated=T0))
    await core.tokens.put(a_token("DEPRT1", party=PRT, own=False, contract_id="X", last_updated=T0))
    await rig.drain()
    [row] = rig.ocpi_rows()
    assert (row.topic, row.target) == ("ocpi.token.updated", "p1|DE*CPX")
    [sent] = rig.http.sent
    assert (sent.method, sent.url, sent.params) == (
        "PUT",
        f"{BASE}/p1/tokens/NL/MSP/{OWN_UID}",
        {"type": "RFID"},
    )
    assert (sent.from_party, sent.to_party) == (MSP, CPX)
    assert sent.body["valid"] is False


async def test_agreements_limit_who_receives(rig: Rig) -> None:
    core = rig.kit.core
    other = PartyRef.parse("FR*AGR")
    await core.platforms.put(a_platform("p1", roles=((PRT, Role.EMSP), (other, Role.EMSP))))
    rig.rt.agreements = Agreements.of([SimpleNamespace(parties=("NL*CPO", "FR*AGR"), modules=("tariffs",))])
    tariff = await core.tariffs.get(CPO, "STD")
    assert tariff is not None
    await core.tariffs.put(tariff.model_copy(update={"currency": "USD", "last_updated": T0}))
    await core.tariffs.delete(CPO, "STD")
    await rig.drain()
    assert [(s.method, s.to_party) for s in rig.http.sent] == [("PUT", other), ("DELETE", other)]
    assert rig.http.sent[0].url == f"{BASE}/p1/tariffs/NL/CPO/STD"


# --- sessions: the ledger --------------------------------------------------------------------------------


def period(minutes: float, kwh: str) -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=T0 + timedelta(minutes=minutes),
        dimensions=(Dimension(type=DimensionType.ENERGY, volume=Decimal(kwh)),),
    )


async def push_session(rig: Rig, session: Session) -> None:
    await rig.add(Topic.SESSION_UPDATED, session_key(session.id), session.model_dump(mode="json"))
    await rig.drain()


async def test_se_05_session_put_then_patches_with_only_new_closed_periods_then_final_put(rig: Rig) -> None:
    await rig.kit.core.platforms.put(a_platform())
    s = a_session(token_party=PRT, token_uid="DEPRT1", charging_periods=(period(0, "1"),))
    await push_session(rig, s)
    await push_session(rig, s.model_copy(update={"kwh": Decimal(2), "charging_periods": (period(0, "2"),)}))
    grown = (period(0, "3"), period(30, "0.5"))
    await push_session(rig, s.model_copy(update={"kwh": Decimal("3.5"), "charging_periods": grown}))
    final = s.model_copy(
        update={"status": SessionStatus.COMPLETED, "end": T0 + timedelta(hours=1), "charging_periods": grown}
    )
    await push_session(rig, final)

    methods = [x.method for x in rig.http.sent]
    assert methods == ["PUT", "PATCH", "PATCH", "PUT"]
    url = f"{BASE}/p1/sessions/NL/CPO/ses-1"
    assert {x.url for x in rig.http.sent} == {url}
    assert rig.http.sent[0].body["charging_periods"] == []  # the open period is not sent yet
    assert "charging_periods" not in rig.http.sent[1].body
    assert rig.http.sent[1].body["kwh"] == 2
    assert [p["dimensions"][0]["volume"] for p in rig.http.sent[2].body["charging_periods"]] == [3]
    assert len(rig.http.sent[3].body["charging_periods"]) == 2
    assert rig.http.sent[3].body["status"] == "COMPLETED"
    assert await rig.kit.core.records.get(SESSION_LEDGER, PRT, "ses-1") is None  # final: forgotten


async def test_co_07_session_patch_answered_404_is_replaced_by_a_put(rig: Rig) -> None:
    await rig.kit.core.platforms.put(a_platform())
    s = a_session(token_party=PRT, token_uid="DEPRT1")
    await push_session(rig, s)
    rig.http.answers.append(OcpiResponse(404, 2001, None, None))
    await push_session(rig, s.model_copy(update={"kwh": Decimal(1)}))
    assert [x.method for x in rig.http.sent] == ["PUT", "PATCH", "PUT"]
    assert rig.http.sent[-1].body["kwh"] == 1


async def test_session_of_our_own_emsp_or_unknown_party_is_not_pushed(rig: Rig) -> None:
    await rig.kit.core.platforms.put(a_platform())
    await push_session(rig, a_session(token_party=MSP))
    await push_session(rig, a_session("ses-2", token_party=PartyRef.parse("FR*ZZZ")))
    assert rig.http.sent == []
    assert rig.ocpi_rows() == []


async def test_failed_push_raises_and_is_retried_in_order(rig: Rig) -> None:
    await rig.kit.core.platforms.put(a_platform())
    s = a_session(token_party=PRT, token_uid="DEPRT1")
    rig.http.answers.extend(
        [OcpiResponse(200, 3000, "down", None), OcpiTransportError("x", url="u", reason="timeout")]
    )
    await push_session(rig, s)
    await push_session(rig, s.model_copy(update={"kwh": Decimal(1)}))
    [first, second] = rig.ocpi_rows("ocpi.session.updated")
    assert (first.attempts, first.delivered_at, second.attempts) == (1, None, 0)  # the later one waits
    rig.kit.clock.advance(seconds=3)
    await rig.drain()  # second attempt: transport error
    rig.kit.clock.advance(seconds=10)
    await rig.drain()
    assert [x.method for x in rig.http.sent] == ["PUT", "PUT", "PUT", "PATCH"]
    assert all(m.delivered_at is not None for m in rig.ocpi_rows())


async def test_receiver_gone_drops_and_offline_keeps_cdrs_but_drops_locations(rig: Rig) -> None:
    core = rig.kit.core
    service = OcpiPushService(rig.rt)
    row = OutboxMessage(
        topic="ocpi.location.updated", key="k", target="p1|DE*PRT", payload={}, created=T0, next_attempt_at=T0
    )
    await service.push(row)  # no such platform: dropped without a call
    await core.platforms.put(a_platform(status=PlatformStatus.OFFLINE))
    await service.push(row)
    assert rig.http.sent == []
    cdr_row = row.model_copy(update={"topic": "ocpi.cdr.created"})
    with pytest.raises(PushFailedError):
        await service.push(cdr_row)


# --- command results -------------------------------------------------------------------------------------


def a_command(**changes: Any) -> Command:
    values: dict[str, Any] = {
        "id": "cmd-1",
        "type": CommandType.START_SESSION,
        "requester": PRT,
        "station_id": "CP001",
        "reply_to": "https://partner.example/cb/1",
        "result": CommandResultType.TIMEOUT,
        "created": T0,
        "last_updated": T0,
    }
    return Command(**(values | changes))


async def test_cm_03_command_result_is_posted_to_the_response_url(rig: Rig) -> None:
    await rig.kit.core.platforms.put(a_platform(modules=()))  # no receiver endpoints needed
    await rig.add(Topic.COMMAND_RESULT, command_key("cmd-1"), a_command().model_dump(mode="json"))
    limit = a_command(
        id="cmd-2", type=CommandType.SET_CHARGING_LIMIT, result=CommandResultType.UNKNOWN_SESSION
    )
    await rig.add(Topic.COMMAND_RESULT, command_key("cmd-2"), limit.model_dump(mode="json"))
    own = a_command(id="cmd-3", requester=MSP)
    await rig.add(Topic.COMMAND_RESULT, command_key("cmd-3"), own.model_dump(mode="json"))
    await rig.drain()
    assert [(x.method, x.url, x.body) for x in rig.http.sent] == [
        ("POST", "https://partner.example/cb/1", {"result": "TIMEOUT"}),  # CM-03: a bare CommandResult
        ("POST", "https://partner.example/cb/1", {"result": "UNKNOWN"}),  # CP-03: ChargingProfileResult
    ]
    assert all((x.from_party, x.to_party) == (CPO, PRT) for x in rig.http.sent)
