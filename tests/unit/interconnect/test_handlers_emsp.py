"""We are the EMSP on a 互联互通 partner's pile: a core START_SESSION on a virtual station goes out as
query_equip_business_policy + query_start_charge, STOP_SESSION as query_stop_charge; the partner's start
result, charge status, stop result and order become the core session and its CDR (priced with the partner's
policy), the order is confirmed or disputed, check_charge_orders answered. In-memory core, a fake client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from structlog.testing import capture_logs

from hub.core.clock import FixedClock, SequentialIds
from hub.core.events import EventBus
from hub.core.gateways import RoutingGateway
from hub.core.models import (
    CommandResultType,
    Connector,
    Evse,
    Location,
    Party,
    PartyRef,
    Role,
    Session,
    SessionStatus,
    Token,
    WhitelistType,
)
from hub.core.services import Core, CoreOptions, build_core
from interconnect.client import InterconnectCallError
from interconnect.gateway import ORDERS_MODULE, InterconnectGateway, is_virtual_station
from interconnect.handlers_emsp import HANDLERS
from interconnect.runtime import (
    Call,
    InterconnectConfig,
    InterconnectRuntime,
    KeySet,
    PartnerConfig,
    virtual_station_id,
)
from tests.fakes.gateway import FakeGateway
from tests.fakes.memory import InMemoryDatabase

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
KDN = PartyRef.parse("CN*KDN")
EMSP = PartyRef.parse("DE*PRT")
KEYS = KeySet(
    operator_secret="s", data_secret=b"1234567890abcdef", data_iv=b"abcdef1234567890", sig_secret=b"g"
)
PARTNER = PartnerConfig(
    name="快电",
    operator_id="MA005DBW1",
    kind="operator",
    base_url="http://partner.invalid/evcs/v1.0/",
    ocpi_party=KDN,
    our_operator_id="MA24YKWR9",
    allow_ips=(),
    ours=KEYS,
    theirs=KEYS,
)
STATION = virtual_station_id(PARTNER, "E1")
# Electricity 1.0000 and service 0.8000 元/kWh all day: 12.34 kWh cost 22.21 (12.34 + 9.87).
POLICY = [{"StartTime": "000000", "ElecPrice": Decimal("1.0000"), "SevicePrice": Decimal("0.8000")}]


def beijing(moment: datetime) -> str:
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class FakeClient:
    """Records every call; answers from `answers` (interface → payload → Data) or raises what it holds."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)

    async def call(self, partner: PartnerConfig, interface: str, payload: Any) -> Any:
        assert partner is PARTNER
        self.calls.append((interface, payload))
        answer = self.answers.get(interface, default_answer)(payload)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def payloads(self, interface: str) -> list[dict[str, Any]]:
        return [p for i, p in self.calls if i == interface]


def default_answer(payload: dict[str, Any]) -> dict[str, Any]:
    if "EquipBizSeq" in payload:
        return {**payload, "SuccStat": 0, "FailReason": 0, "SumPeriod": 1, "PolicyInfos": POLICY}
    return {**payload, "StartChargeSeqStat": 1, "SuccStat": 0, "FailReason": 0}


@dataclass
class Kit:
    core: Core
    runtime: InterconnectRuntime
    client: FakeClient
    clock: FixedClock
    gateway: InterconnectGateway

    async def handle(self, interface: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await HANDLERS[interface](Call(self.runtime, PARTNER, interface), payload)

    async def start(self) -> tuple[str, str]:
        """START_SESSION on connector C1; returns (command id, StartChargeSeq)."""
        command = await self.core.commands.start_session(evse_uid="C1", token=A_TOKEN, requester=EMSP)
        done = await self.core.commands.wait_result(command.id, 2)
        assert done.result is CommandResultType.ACCEPTED, done.message
        assert done.data is not None
        return command.id, str(done.data["start_charge_seq"])

    async def session(self) -> Session:
        [session] = await self.core.sessions.list(KDN)
        return session


A_TOKEN = Token(
    uid="DEPRT0000000001",
    party=EMSP,
    contract_id="DE-PRT-C00000001-K",
    whitelist=WhitelistType.ALLOWED,
    own=False,
    last_updated=T0 - timedelta(days=1),
)


async def make_kit() -> Kit:
    holder: dict[str, Core] = {}
    clock = FixedClock(T0)
    client = FakeClient()
    config = InterconnectConfig(
        operator_id="MA24YKWR9", base_path="/evcs/v1.0", public_url="http://hub.invalid", partners=(PARTNER,)
    )
    runtime = InterconnectRuntime(config=config, clock=clock, core_getter=lambda: holder.get("core"))
    runtime.client = client  # type: ignore[assignment]
    gateway = InterconnectGateway(runtime)
    core = build_core(
        InMemoryDatabase(),
        EventBus(),
        options=CoreOptions(default_cpo=PartyRef.parse("NL*CPO"), command_timeout_s=5.0),
        gateway=RoutingGateway(FakeGateway(), [(is_virtual_station, gateway)]),
        clock=clock,
        ids=SequentialIds("id"),
    )
    holder["core"] = core
    await core.parties.ensure(Party(ref=KDN, role=Role.CPO, name="快电", last_updated=T0))
    evse = Evse(
        uid="C1",
        connectors=(Connector(id="1", last_updated=T0),),
        station_id=STATION,
        station_evse_no=1,
        last_updated=T0,
    )
    location = Location(
        id="S1",
        party=KDN,
        address="上海市黄浦区测试路1号",
        city="上海",
        country="CHN",
        latitude=Decimal("31.228"),
        longitude=Decimal("121.466"),
        time_zone="Asia/Shanghai",
        evses=(evse,),
        last_updated=T0,
    )
    await core.locations.put(location)
    await core.chargepoints.register_station(STATION, party=KDN, location_id="S1")
    return Kit(core=core, runtime=runtime, client=client, clock=clock, gateway=gateway)


def start_result(seq: str, stat: int = 2, started: datetime = T0) -> dict[str, Any]:
    return {
        "StartChargeSeq": seq,
        "StartChargeSeqStat": stat,
        "ConnectorID": "C1",
        "StartTime": beijing(started),
        "IdentCode": "1234",
    }


def order_info(
    seq: str, power: str, elec: str, service: str, end: datetime, stop_reason: int = 1
) -> dict[str, Any]:
    return {
        "StartChargeSeq": seq,
        "ConnectorID": "C1",
        "StartTime": beijing(T0),
        "EndTime": beijing(end),
        "TotalPower": Decimal(power),
        "TotalElecMoney": Decimal(elec),
        "TotalSeviceMoney": Decimal(service),
        "TotalMoney": Decimal(elec) + Decimal(service),
        "StopReason": stop_reason,
        "SumPeriod": 0,
    }


async def test_a_charge_runs_from_start_to_a_confirmed_order() -> None:
    kit = await make_kit()
    assert kit.gateway.is_connected(STATION)
    _command_id, seq = await kit.start()

    # The policy is asked first and becomes the partner party's tariff of this pile; then the start.
    [policy_call] = kit.client.payloads("query_equip_business_policy")
    assert policy_call["ConnectorID"] == "C1"
    assert policy_call["EquipBizSeq"].startswith("MA24YKWR9")
    assert [p for p in kit.client.payloads("query_start_charge")] == [
        {"StartChargeSeq": seq, "ConnectorID": "C1", "QRCode": "C1"}
    ]
    assert len(seq) == 27
    assert seq.startswith("MA24YKWR9")
    assert seq[9:].isdigit()
    tariff = await kit.core.tariffs.get(KDN, "BP-E1")
    assert tariff is not None
    assert tariff.currency == "CNY"
    pending = await kit.session()
    assert (pending.status, pending.tariff_id, pending.evse_uid, pending.token_uid) == (
        SessionStatus.PENDING,
        "BP-E1",
        "C1",
        A_TOKEN.uid,
    )

    # Start result: ACTIVE at StartTime, the StartChargeSeq is the transaction id. A repeat changes nothing.
    started = T0 + timedelta(minutes=1)
    kit.clock.advance(minutes=2)
    for _ in range(2):
        answer = await kit.handle("notification_start_charge_result", start_result(seq, 2, started))
        assert answer == {"StartChargeSeq": seq, "SuccStat": 0, "FailReason": 0}
    session = await kit.session()
    assert (session.id, session.status, session.start, session.transaction_id) == (
        pending.id,
        SessionStatus.ACTIVE,
        started,
        seq,
    )

    # Charge status: TotalPower becomes the session's energy.
    kit.clock.advance(minutes=30)
    status = {
        "StartChargeSeq": seq,
        "StartChargeSeqStat": 2,
        "ConnectorID": "C1",
        "ConnectorStatus": 3,
        "CurrentA": Decimal("16.0"),
        "VoltageA": Decimal("220.0"),
        "Soc": 0,
        "StartTime": beijing(started),
        "EndTime": beijing(kit.clock.now()),
        "TotalPower": "5.50",  # numbers as strings are tolerated (spec §8)
    }
    assert await kit.handle("notification_equip_charge_status", status) == {
        "StartChargeSeq": seq,
        "SuccStat": 0,
    }
    assert (await kit.session()).kwh == Decimal("5.5")

    # STOP_SESSION → query_stop_charge with the order's ConnectorID.
    stop = await kit.core.commands.stop_session(session_id=session.id, requester=EMSP)
    assert (await kit.core.commands.wait_result(stop.id, 2)).result is CommandResultType.ACCEPTED
    assert kit.client.payloads("query_stop_charge") == [{"StartChargeSeq": seq, "ConnectorID": "C1"}]
    stop_result = {"StartChargeSeq": seq, "StartChargeSeqStat": 4, "ConnectorID": "C1", "SuccStat": 0}
    assert (await kit.handle("notification_stop_charge_result", stop_result))["SuccStat"] == 0

    # The order: the session completes, the CDR is priced with the policy and equals TotalMoney.
    ended = kit.clock.advance(minutes=20)
    order = order_info(seq, "12.34", "12.34", "9.87", ended)
    for _ in range(2):
        assert await kit.handle("notification_charge_order_info", order) == {
            "StartChargeSeq": seq,
            "ConnectorID": "C1",
            "ConfirmResult": 0,
        }
    done = await kit.session()
    assert (done.status, done.kwh, done.end, done.stop_reason) == (
        SessionStatus.COMPLETED,
        Decimal("12.34"),
        ended,
        "Remote",
    )
    [cdr] = await kit.core.cdrs.find_by_session(done.id)
    assert (cdr.cost.total_excl_vat, cdr.cost.currency, cdr.tariff_id) == (Decimal("22.21"), "CNY", "BP-E1")
    record = await kit.core.records.get(ORDERS_MODULE, KDN, seq)
    assert record is not None
    assert (record.data["session_id"], record.data["cdr_id"], record.data["confirm_result"]) == (
        done.id,
        cdr.id,
        0,
    )


async def test_an_order_whose_money_differs_is_disputed_with_a_log_line() -> None:
    kit = await make_kit()
    _, seq = await kit.start()
    await kit.handle("notification_start_charge_result", start_result(seq))
    ended = kit.clock.advance(minutes=40)
    with capture_logs() as logs:
        answer = await kit.handle(
            "notification_charge_order_info", order_info(seq, "10.00", "10.00", "9.00", ended)
        )
    assert answer["ConfirmResult"] == 1  # ours: 10 × 1.8 = 18.00, theirs 19.00
    [line] = [entry for entry in logs if entry["event"] == "interconnect_order_disputed"]
    assert (line["their_money"], line["our_money"], line["our_split"]) == ("19.00", "18.00", "10.00/8.00")
    # A repeat gets the same answer; the session stays completed with one CDR.
    again = await kit.handle(
        "notification_charge_order_info", order_info(seq, "10.00", "10.00", "9.00", ended)
    )
    assert again["ConfirmResult"] == 1
    assert len(await kit.core.cdrs.find_by_session((await kit.session()).id)) == 1


async def test_an_order_without_a_start_result_starts_and_ends_the_session() -> None:
    kit = await make_kit()
    _, seq = await kit.start()
    ended = kit.clock.advance(minutes=30)
    answer = await kit.handle(
        "notification_charge_order_info", order_info(seq, "2.00", "2.00", "1.60", ended)
    )
    assert answer["ConfirmResult"] == 0
    session = await kit.session()
    assert (session.status, session.start, session.end, session.kwh) == (
        SessionStatus.COMPLETED,
        T0,
        ended,
        Decimal("2.00"),
    )


@pytest.mark.parametrize("stat", [3, 4])
async def test_a_start_that_ended_without_charging_makes_the_session_invalid(stat: int) -> None:
    kit = await make_kit()
    _, seq = await kit.start()
    answer = await kit.handle("notification_start_charge_result", start_result(seq, stat))
    assert answer["SuccStat"] == 0
    session = await kit.session()
    assert (session.status, session.end is not None) == (SessionStatus.INVALID, True)
    record = await kit.core.records.get(ORDERS_MODULE, KDN, seq)
    assert record is not None
    assert record.data["state"] == "failed"


async def test_the_partner_refusing_the_start_rejects_the_command() -> None:
    kit = await make_kit()
    kit.client.answers["query_start_charge"] = lambda p: {
        **p,
        "StartChargeSeqStat": 4,
        "SuccStat": 1,
        "FailReason": 2,
    }
    command = await kit.core.commands.start_session(evse_uid="C1", token=A_TOKEN, requester=EMSP)
    done = await kit.core.commands.wait_result(command.id, 2)
    assert (done.result, done.message) == (CommandResultType.REJECTED, "此设备离线 (equipment offline)")
    assert await kit.core.sessions.list(KDN) == []


async def test_an_unreachable_partner_fails_the_command_and_counts_as_offline_for_a_while() -> None:
    kit = await make_kit()
    kit.client.answers["query_start_charge"] = lambda _p: InterconnectCallError(None, "transport error", True)
    command = await kit.core.commands.start_session(evse_uid="C1", token=A_TOKEN, requester=EMSP)
    done = await kit.core.commands.wait_result(command.id, 2)
    assert done.result is CommandResultType.FAILED
    assert not kit.gateway.is_connected(STATION)
    refused = await kit.core.commands.start_session(evse_uid="C1", token=A_TOKEN, requester=EMSP)
    assert (refused.result, refused.message) == (CommandResultType.REJECTED, "station offline")
    kit.clock.advance(minutes=1)
    assert kit.gateway.is_connected(STATION)


async def test_without_a_business_policy_the_start_goes_out_all_the_same() -> None:
    kit = await make_kit()
    kit.client.answers["query_equip_business_policy"] = lambda p: {**p, "SuccStat": 1, "FailReason": 1}
    _, seq = await kit.start()
    assert await kit.core.tariffs.get(KDN, "BP-E1") is None
    assert (await kit.session()).tariff_id is None
    assert kit.client.payloads("query_start_charge")[0]["StartChargeSeq"] == seq


async def test_notifications_for_unknown_orders_are_refused() -> None:
    kit = await make_kit()
    seq = "MA24YKWR9202603021000009999"
    assert (await kit.handle("notification_start_charge_result", start_result(seq)))["SuccStat"] == 1
    status = {"StartChargeSeq": seq, "StartChargeSeqStat": 2, "TotalPower": Decimal("1.00")}
    assert (await kit.handle("notification_equip_charge_status", status))["SuccStat"] == 1
    order = order_info(seq, "1.00", "1.00", "0.80", T0)
    assert (await kit.handle("notification_charge_order_info", order))["ConfirmResult"] == 1


async def test_check_charge_orders_lists_the_disputed_ones_and_repeats_its_answer() -> None:
    kit = await make_kit()
    _, seq = await kit.start()
    await kit.handle("notification_start_charge_result", start_result(seq))
    ended = kit.clock.advance(minutes=30)
    await kit.handle("notification_charge_order_info", order_info(seq, "12.34", "12.34", "9.87", ended))
    unknown = "MA24YKWR9202603020000000001"
    check = {
        "CheckOrderSeq": "MA005DBW1202603030100000001",
        "StartTime": "2026-03-02 00:00:00",
        "EndTime": "2026-03-02 23:59:59",
        "OrderCount": 3,
        "TotalOrderPower": Decimal("24.6800"),
        "TotalOrderMoney": Decimal("45.42"),
        "ChargeOrders": [
            {"StartChargeSeq": seq, "TotalPower": Decimal("12.34"), "TotalMoney": Decimal("22.21")},
            {"StartChargeSeq": unknown, "TotalPower": Decimal("1.00"), "TotalMoney": Decimal("1.80")},
        ],
    }
    answer = await kit.handle("check_charge_orders", check)
    assert answer == {
        "CheckOrderSeq": check["CheckOrderSeq"],
        "StartTime": check["StartTime"],
        "EndTime": check["EndTime"],
        "TotalDisputeOrder": 1,
        "TotalDisputePower": Decimal("1.0000"),
        "TotalDisputeMoney": Decimal("1.80"),
        "DisputeOrders": [
            {
                "StartChargeSeq": unknown,
                "TotalPower": Decimal("1.00"),
                "TotalMoney": Decimal("1.80"),
                "DisputeReason": 1,
            }
        ],
    }
    assert await kit.handle("check_charge_orders", check) == answer  # spec §2.8: a repeat, the same answer

    wrong = {**check, "CheckOrderSeq": "MA005DBW1202603030100000002"}
    wrong["ChargeOrders"] = [
        {"StartChargeSeq": seq, "TotalPower": Decimal("12.34"), "TotalMoney": Decimal("22.22")},
        {"StartChargeSeq": seq, "TotalPower": Decimal("12.35"), "TotalMoney": Decimal("22.21")},
    ]
    reasons = [d["DisputeReason"] for d in (await kit.handle("check_charge_orders", wrong))["DisputeOrders"]]
    assert reasons == [2, 3]


async def test_calls_other_than_start_and_stop_are_not_supported() -> None:
    kit = await make_kit()
    reply = await kit.gateway.unlock_connector(STATION, 1, 1)
    assert reply.result is CommandResultType.NOT_SUPPORTED
    assert (await kit.gateway.reset(STATION, hard=True)).result is CommandResultType.NOT_SUPPORTED
    assert not kit.gateway.is_connected(virtual_station_id(PARTNER, "E1").replace("MA005DBW1", "MA000NONE"))
    assert not kit.gateway.is_connected("CP001")
    assert kit.client.calls == []
