"""The CHARGING interfaces we serve as CPO and the notifications that follow, against the core on the
in-memory database and the fake station gateway: answers, idempotency per StartChargeSeq, outbox rows, money.

Test code: imports the core test kit, the core and interconnect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

import pytest

from hub.core.chargepoint import StatusReport
from hub.core.models import CommandResultType, ConnectorState, PartyRef
from hub.core.pricing.tou import BusinessPolicy, PolicyPeriod, tariff_from_policy
from interconnect import codec
from interconnect.cpo_notify import CpoNotifier, load_order, register
from interconnect.handlers_charge import HANDLERS, token_uid
from interconnect.runtime import (
    Call,
    InterconnectConfig,
    InterconnectError,
    InterconnectRuntime,
    KeySet,
    PartnerConfig,
    Ret,
    Tolerance,
)
from tests.unit.core_kit import CPO, STATION, T0, Kit, a_location, a_start, a_stop, make_kit

KEYS = KeySet("secret", b"1234567890abcdef", b"1234567890abcdef", b"sig")
PARTNER = PartnerConfig(
    name="快电",
    operator_id="MA005DBW1",
    kind="operator",
    base_url="http://partner.invalid/evcs/",
    ocpi_party=PartyRef.parse("CN*KDN"),
    our_operator_id="MA24YKWR9",
    allow_ips=(),
    ours=KEYS,
    theirs=KEYS,
)
SEQ = "MA005DBW1202601051700000001"
EVSE = "CP001*1"
# Peak 00:00–08:00 1.0000 + 0.4000, then 1.2000 + 0.8000 元/kWh (Asia/Shanghai).
POLICY = BusinessPolicy(
    periods=(
        PolicyPeriod(time(0), Decimal("1.0000"), Decimal("0.4000")),
        PolicyPeriod(time(8), Decimal(Decimal("1.2000")), Decimal(Decimal("0.8000"))),
    )
)


@dataclass
class FakeScheduler:
    jobs: dict[str, tuple[Callable[[], Awaitable[None]], float]] = field(default_factory=dict)
    kicks: int = 0

    def add_job(self, job_id: str, job: Callable[[], Awaitable[None]], interval_s: float) -> None:
        self.jobs[job_id] = (job, interval_s)

    def kick(self) -> None:
        self.kicks += 1


@dataclass
class Rig:
    kit: Kit
    runtime: InterconnectRuntime
    notifier: CpoNotifier
    scheduler: FakeScheduler

    async def call(self, interface: str, payload: dict[str, Any], partner: PartnerConfig = PARTNER) -> Any:
        return await HANDLERS[interface](Call(self.runtime, partner, interface), payload)

    def pushes(self, logical: str | None = None) -> list[dict[str, Any]]:
        rows = self.kit.outbox()
        return [
            codec.loads(r.payload["data"].encode())
            for r in rows
            if r.topic.startswith("interconnect.")
            and (logical is None or r.topic == f"interconnect.{logical}")
        ]

    def pushed(self) -> list[str]:
        return [
            r.topic.removeprefix("interconnect.")
            for r in self.kit.outbox()
            if r.topic.startswith("interconnect.")
        ]

    async def plug_in(self) -> None:
        await self.kit.core.chargepoints.status(
            STATION, StatusReport(evse_no=1, state=ConnectorState.PREPARING)
        )

    async def start(self, seq: str = SEQ) -> dict[str, Any]:
        answer = await self.call(
            "query_start_charge", {"StartChargeSeq": seq, "ConnectorID": EVSE, "QRCode": ""}
        )
        order = await load_order(self.kit.core, PARTNER, seq)
        assert order is not None
        if order.command_id is not None:
            await self.kit.core.commands.wait_result(order.command_id, 2)
        return answer


async def make_rig(subscribed: bool = True) -> Rig:
    kit = await make_kit()
    await kit.core.locations.put(a_location(time_zone="Asia/Shanghai"))
    await kit.core.tariffs.put(tariff_from_policy(POLICY, party=CPO, tariff_id="STD", last_updated=T0))
    await kit.online()
    await kit.core.chargepoints.status(STATION, StatusReport(evse_no=1, state=ConnectorState.AVAILABLE))
    config = InterconnectConfig(
        operator_id="MA24YKWR9", base_path="/evcs/v1.0", public_url="", partners=(PARTNER,)
    )
    runtime = InterconnectRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core)
    scheduler = FakeScheduler()
    if subscribed:
        notifier = register(runtime, kit.core.bus, scheduler)
    else:  # as after a crash between the core's commit and our outbox rows: no event reaches us
        notifier = CpoNotifier(runtime, scheduler.kick)
        scheduler.add_job("interconnect-charge-status", lambda: notifier.charge_status_tick(PARTNER), 50)
    return Rig(kit, runtime, notifier, scheduler)


@pytest.fixture
async def rig() -> Rig:
    return await make_rig()


def test_every_cpo_charging_interface_has_a_handler() -> None:
    assert set(HANDLERS) == {
        "query_equip_auth",
        "query_equip_business_policy",
        "query_start_charge",
        "query_equip_charge_status",
        "query_stop_charge",
    }


async def test_equip_auth_follows_the_connector(rig: Rig) -> None:
    def ask(connector: str) -> Awaitable[Any]:
        return rig.call("query_equip_auth", {"EquipAuthSeq": SEQ, "ConnectorID": connector})

    assert await ask(EVSE) == {"EquipAuthSeq": SEQ, "ConnectorID": EVSE, "SuccStat": 1, "FailReason": 1}
    assert (await ask("NOPE"))["FailReason"] == 2
    await rig.plug_in()
    assert await ask(EVSE) == {"EquipAuthSeq": SEQ, "ConnectorID": EVSE, "SuccStat": 0, "FailReason": 0}


@pytest.mark.parametrize("payload", [{"ConnectorID": EVSE}, {"EquipAuthSeq": SEQ, "ConnectorID": ""}])
async def test_invalid_payload_is_ret_4004_naming_the_field(rig: Rig, payload: dict[str, Any]) -> None:
    with pytest.raises(InterconnectError) as raised:
        await rig.call("query_equip_auth", payload)
    assert raised.value.ret is Ret.PAYLOAD
    assert "EquipAuthSeq" in raised.value.msg or "ConnectorID" in raised.value.msg


async def test_business_policy_is_our_tariff_with_the_partner_spelling(rig: Rig) -> None:
    answer = await rig.call("query_equip_business_policy", {"EquipBizSeq": SEQ, "ConnectorID": EVSE})
    assert answer == {
        "EquipBizSeq": SEQ,
        "ConnectorID": EVSE,
        "SuccStat": 0,
        "FailReason": 0,
        "SumPeriod": 2,
        "PolicyInfos": [
            {"StartTime": "000000", "ElecPrice": Decimal("1.0000"), "SevicePrice": Decimal("0.4000")},
            {
                "StartTime": "080000",
                "ElecPrice": Decimal(Decimal("1.2000")),
                "SevicePrice": Decimal(Decimal("0.8000")),
            },
        ],
    }
    xiaoju = PartnerConfig(**{**PARTNER.__dict__, "tolerance": Tolerance(service_spelling="Service")})
    spelled = await rig.call("query_equip_business_policy", {"EquipBizSeq": SEQ, "ConnectorID": EVSE}, xiaoju)
    assert "ServicePrice" in spelled["PolicyInfos"][0]
    unknown = await rig.call("query_equip_business_policy", {"EquipBizSeq": SEQ, "ConnectorID": "NOPE"})
    assert (unknown["SuccStat"], unknown["FailReason"], unknown["PolicyInfos"]) == (1, 1, [])


async def test_a_whole_order_is_answered_and_pushed_with_the_cdr_money(rig: Rig) -> None:
    kit = rig.kit
    await rig.plug_in()
    started = await rig.start()
    assert started == {
        "StartChargeSeq": SEQ,
        "StartChargeSeqStat": 1,
        "ConnectorID": EVSE,
        "SuccStat": 0,
        "FailReason": 0,
    }
    call = await kit.gateway.wait_for_call("start_transaction")
    uid = call.args[1]
    assert uid == token_uid(PARTNER.operator_id, SEQ)
    assert len(uid) <= 20
    # A repeat is answered the same and starts nothing.
    assert await rig.start() == started
    assert len(kit.gateway.calls_of("start_transaction")) == 1
    assert rig.pushes() == []

    kit.clock.advance(minutes=1)  # 17:01 Beijing
    outcome = await kit.core.chargepoints.transaction(
        STATION, a_start(minutes=1, id_tag=uid, remote_start_id=call.args[2])
    )
    assert outcome.session.authorization_reference == SEQ
    assert rig.pushes("notification_start_charge_result") == [
        {
            "StartChargeSeq": SEQ,
            "ConnectorID": EVSE,
            "StartChargeSeqStat": 2,
            "StartTime": "2026-01-05 17:01:00",
        }
    ]

    # The periodic job pushes the charge status; the same fields answer query_equip_charge_status.
    job, interval = rig.scheduler.jobs[f"interconnect-charge-status-{PARTNER.operator_id}"]
    assert interval == PARTNER.charge_status_interval_s
    kit.clock.advance(minutes=30)
    await job()
    [status] = rig.pushes("notification_equip_charge_status")
    assert (status["StartChargeSeqStat"], status["ConnectorStatus"]) == (2, 3)
    queried = await rig.call("query_equip_charge_status", {"StartChargeSeq": SEQ})
    assert queried == status
    assert status["TotalMoney"] == status["ElecMoney"] + status["SeviceMoney"]

    stop = await rig.call("query_stop_charge", {"StartChargeSeq": SEQ, "ConnectorID": EVSE})
    assert stop == {"StartChargeSeq": SEQ, "StartChargeSeqStat": 3, "SuccStat": 0, "FailReason": 0}
    assert await rig.call("query_stop_charge", {"StartChargeSeq": SEQ, "ConnectorID": EVSE}) == stop
    await kit.gateway.wait_for_call("stop_transaction")
    assert len(kit.gateway.calls_of("stop_transaction")) == 1
    kit.clock.advance(minutes=30)
    tx = outcome.transaction_id
    # 20 kWh metered 17:01–18:01 Beijing: all in the 08:00–24:00 period at 1.2000 + 0.8000.
    await kit.core.chargepoints.transaction(STATION, a_stop(tx, minutes=61, stop_reason="Remote"))

    [cdr] = await kit.core.cdrs.find_by_session(outcome.session.id)
    assert cdr.cost.total_excl_vat == Decimal(Decimal("40.00"))
    assert rig.pushes("notification_stop_charge_result") == [
        {"StartChargeSeq": SEQ, "ConnectorID": EVSE, "StartChargeSeqStat": 4, "SuccStat": 0, "FailReason": 0}
    ]
    [order] = rig.pushes("notification_charge_order_info")
    assert order == {
        "StartChargeSeq": SEQ,
        "ConnectorID": EVSE,
        "StartTime": "2026-01-05 17:01:00",
        "EndTime": "2026-01-05 18:01:00",
        "TotalPower": Decimal("20.00"),
        "TotalElecMoney": Decimal("24.00"),
        "TotalSeviceMoney": Decimal("16.00"),
        "TotalMoney": Decimal("40.00"),
        "StopReason": 1,
        "SumPeriod": 1,
        "ChargeDetails": [
            {
                "DetailStartTime": "2026-01-05 17:01:00",
                "DetailEndTime": "2026-01-05 18:01:00",
                "ElecPrice": Decimal("1.2000"),
                "SevicePrice": Decimal("0.8000"),
                "DetailPower": Decimal("20.00"),
                "DetailElecMoney": Decimal("24.00"),
                "DetailSeviceMoney": Decimal("16.00"),
            }
        ],
    }
    assert rig.pushed() == [
        "notification_start_charge_result",
        "notification_equip_charge_status",
        "notification_stop_charge_result",
        "notification_charge_order_info",
    ]
    # Everything said is remembered: the job and late events push nothing again.
    await job()
    assert len(rig.pushed()) == 4
    again = await rig.call("query_stop_charge", {"StartChargeSeq": SEQ, "ConnectorID": EVSE})
    assert again == stop  # the first answer, not a second command

    # The next Beijing day after 01:00 the day's orders are reconciled once.
    kit.clock.advance(hours=8)  # 02:01 Beijing, 2026-01-06
    await rig.notifier.check_orders()
    await rig.notifier.check_orders()
    [check] = rig.pushes("check_charge_orders")
    assert check["CheckOrderSeq"].startswith("MA24YKWR9")
    assert len(check["CheckOrderSeq"]) == 27
    assert (check["StartTime"], check["EndTime"]) == ("2026-01-05 00:00:00", "2026-01-05 23:59:59")
    assert (check["OrderCount"], check["TotalOrderPower"], check["TotalOrderMoney"]) == (
        1,
        Decimal("20.0000"),
        Decimal("40.00"),
    )
    assert check["ChargeOrders"] == [
        {"StartChargeSeq": SEQ, "TotalPower": Decimal("20.00"), "TotalMoney": Decimal("40.00")}
    ]


async def test_a_start_the_station_refuses_is_pushed_as_ended(rig: Rig) -> None:
    rig.kit.gateway.script("start_transaction", CommandResultType.REJECTED)
    assert (await rig.start())["SuccStat"] == 0  # the command went out; the outcome follows
    assert rig.pushes("notification_start_charge_result") == [
        {
            "StartChargeSeq": SEQ,
            "ConnectorID": EVSE,
            "StartChargeSeqStat": 4,
            "StartTime": "2026-01-05 17:00:00",
        }
    ]
    stop = await rig.call("query_stop_charge", {"StartChargeSeq": SEQ, "ConnectorID": EVSE})
    assert (stop["SuccStat"], stop["FailReason"], stop["StartChargeSeqStat"]) == (1, 3, 4)


async def test_start_refusals_are_business_answers(rig: Rig) -> None:
    missing = await rig.call(
        "query_start_charge", {"StartChargeSeq": SEQ, "ConnectorID": "NOPE", "QRCode": ""}
    )
    assert (missing["SuccStat"], missing["FailReason"], missing["StartChargeSeqStat"]) == (1, 1, 4)
    rig.kit.gateway.disconnect(STATION)
    await rig.kit.core.chargepoints.disconnected(STATION)
    other = SEQ[:-1] + "2"
    offline = await rig.call(
        "query_start_charge", {"StartChargeSeq": other, "ConnectorID": EVSE, "QRCode": ""}
    )
    assert (offline["SuccStat"], offline["FailReason"]) == (1, 2)
    assert rig.kit.gateway.calls_of("start_transaction") == []
    unknown = await rig.call("query_equip_charge_status", {"StartChargeSeq": "MA005DBW1X"})
    assert (unknown["StartChargeSeqStat"], unknown["SuccStat"]) == (5, 1)
    no_order = await rig.call("query_stop_charge", {"StartChargeSeq": "MA005DBW1X", "ConnectorID": EVSE})
    assert (no_order["SuccStat"], no_order["FailReason"]) == (1, 4)
    assert rig.pushes() == []


async def test_the_periodic_job_redoes_a_lost_start_notification() -> None:
    """The events were lost (a crash after the core's commit): the job finds the session and pushes."""
    rig = await make_rig(subscribed=False)
    await rig.plug_in()
    await rig.start()
    uid = token_uid(PARTNER.operator_id, SEQ)
    await rig.kit.core.chargepoints.transaction(STATION, a_start(minutes=1, id_tag=uid))
    assert rig.pushes("notification_start_charge_result") == []
    job, _ = rig.scheduler.jobs["interconnect-charge-status"]
    rig.kit.clock.advance(seconds=50)
    await job()
    assert [p["StartChargeSeqStat"] for p in rig.pushes("notification_start_charge_result")] == [2]
    assert len(rig.pushes("notification_equip_charge_status")) == 1
