"""A 互联互通 EMSP's order at a remote CPO (the bridge, issue 5): query_start_charge / query_stop_charge as
the port's START_SESSION / STOP_SESSION with our eMSP's stand-in token, every refusal with its FailReason,
and the CPO's command results, sessions and CDR turned into the notifications (outbox rows) with the right
money. The core on the in-memory database, the remote CPOs the fake port of test_interconnect_remote_kit.

Test code: imports the core test kit, the core and interconnect.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import HubError, NotFoundError, RejectedError, UnavailableError
from hub.core.models import (
    Cdr,
    CdrCost,
    CommandResultType,
    EvseStatus,
    PriceComponent,
    PriceComponentType,
    Session,
    SessionStatus,
    Tariff,
    TariffElement,
)
from hub.core.remote import (
    RemoteCdrReceived,
    RemoteCommandAnswered,
    RemoteLocationChanged,
    RemoteSessionChanged,
)
from interconnect import codec
from interconnect.cpo_notify import CpoNotifier, register
from interconnect.handlers_charge import token_uid
from interconnect.orders import ORDERS, REFS, load_order
from tests.unit.core_kit import T0
from tests.unit.test_interconnect_remote_kit import CPX, KDN, Agreed, Rig, a_partner, a_rig

SEQ = "MA005DBW1202601051700000001"
START = {"StartChargeSeq": SEQ, "ConnectorID": "CPXE1", "QRCode": ""}
STOP = {"StartChargeSeq": SEQ, "ConnectorID": "CPXE1"}


@dataclass
class FakeScheduler:
    jobs: dict[str, Any] = field(default_factory=dict)
    kicks: int = 0

    def add_job(self, job_id: str, job: Any, interval_s: float) -> None:
        self.jobs[job_id] = (job, interval_s)

    def kick(self) -> None:
        self.kicks += 1


async def a_charging_rig(*agreements: Agreed, interval_s: float = 50.0) -> tuple[Rig, CpoNotifier]:
    partner = replace(a_partner(), charge_status_interval_s=interval_s)
    rig = await a_rig(*agreements, partners=(partner,))
    return rig, register(rig.runtime, rig.kit.core.bus, FakeScheduler())


def pushes(rig: Rig, logical: str | None = None) -> list[tuple[str, Any]]:
    """(interface, payload) of the 互联互通 pushes queued so far, in order."""
    return [
        (m.topic.removeprefix("interconnect."), codec.loads(m.payload["data"].encode()))
        for m in rig.kit.outbox()
        if m.topic.startswith("interconnect.") and (logical is None or m.topic == f"interconnect.{logical}")
    ]


def a_session(uid: str, **overrides: Any) -> Session:
    values: dict[str, Any] = {
        "id": "SES-1",
        "party": CPX,
        "status": SessionStatus.ACTIVE,
        "start": T0 + timedelta(minutes=1),
        "location_id": "CPX-1",
        "evse_uid": "CPXE1",
        "token_uid": uid,
        "kwh": Decimal("5"),
        "currency": "CNY",
        "last_updated": T0 + timedelta(minutes=5),
    }
    values.update(overrides)
    return Session(**values)


def a_cdr(uid: str, currency: str = "CNY") -> Cdr:
    cost = CdrCost(
        currency=currency,
        total_excl_vat=Decimal("20.00"),
        total_incl_vat=Decimal("23.00"),
        energy_excl_vat=Decimal("18.00"),
        energy_incl_vat=Decimal("20.70"),
        fixed_excl_vat=Decimal("2.00"),
        total_energy_kwh=Decimal("12"),
    )
    return Cdr(
        id="CDR-1",
        party=CPX,
        session_id="SES-1",
        start=T0 + timedelta(minutes=1),
        end=T0 + timedelta(minutes=61),
        token_uid=uid,
        cost=cost,
        last_updated=T0 + timedelta(minutes=61),
    )


async def started(rig: Rig) -> str:
    """Start SEQ on CPXE1; the CPO accepts and reports ACCEPTED. Returns the stand-in token's uid."""
    answer = await rig.serve("query_start_charge", START)
    assert (answer["SuccStat"], answer["StartChargeSeqStat"]) == (0, 1), answer
    [start] = rig.remote.starts
    command = rig.remote.answer("cmd-1", CommandResultType.ACCEPTED)
    await rig.kit.core.bus.publish(RemoteCommandAnswered(command=command))
    return start.token_uid


async def reported(rig: Rig, session: Session) -> None:
    rig.remote.report(session)
    await rig.kit.core.bus.publish(
        RemoteSessionChanged(party=CPX, session_id=session.id, token_uid=session.token_uid)
    )


# ---------------------------------------------------------------------- query_start_charge


async def test_a_start_is_start_session_with_our_stand_in_token_and_the_seq_as_reference() -> None:
    rig, _ = await a_charging_rig()
    answer = await rig.serve("query_start_charge", START)
    assert answer == {
        "StartChargeSeq": SEQ,
        "StartChargeSeqStat": 1,
        "ConnectorID": "CPXE1",
        "SuccStat": 0,
        "FailReason": 0,
    }
    uid = token_uid("MA005DBW1", SEQ)
    [start] = rig.remote.starts
    assert (start.cpo, start.location_id, start.evse_uid, start.token_uid) == (CPX, "CPX-1", "CPXE1", uid)
    assert (start.contract_id, start.authorization_reference, start.issuer) == (SEQ, SEQ, "快电")
    assert await rig.serve("query_start_charge", START) == answer  # a repeat: same answer, no second start
    assert len(rig.remote.starts) == 1
    order = await load_order(rig.kit.core, rig.runtime.config.partners[0], SEQ)
    assert order is not None
    assert (order.remote, order.cpo_party, order.command_id, order.location_id) == (
        True,
        "DE*CPX",
        "cmd-1",
        "CPX-1",
    )
    ref = await rig.kit.core.records.get(REFS, KDN, uid)
    assert ref is not None
    assert ref.data == {"operator_id": "MA005DBW1", "seq": SEQ}


async def test_a_seq_too_long_for_ocpi_travels_as_the_token_uid() -> None:
    rig, _ = await a_charging_rig()
    seq = "X" * 40  # opaque, ≤ 64 (spec §8), but OCPI's authorization_reference holds 36
    await rig.serve("query_start_charge", {**START, "StartChargeSeq": seq})
    [start] = rig.remote.starts
    assert (
        start.authorization_reference == start.contract_id == start.token_uid == token_uid("MA005DBW1", seq)
    )


@pytest.mark.parametrize(
    ("response", "error", "fail"),
    [
        (CommandResultType.REJECTED, None, 10),  # the CPO refused START_SESSION
        (CommandResultType.NOT_SUPPORTED, None, 10),
        (CommandResultType.ACCEPTED, NotFoundError("no platform carries DE*CPX"), 1),
        (CommandResultType.ACCEPTED, UnavailableError("DE*CPX unreachable"), 2),
        (CommandResultType.ACCEPTED, RejectedError("this hub hosts no eMSP"), 10),
    ],
)
async def test_a_start_the_cpo_refuses_or_cannot_get_ends_the_order(
    response: CommandResultType, error: HubError | None, fail: int
) -> None:
    rig, _ = await a_charging_rig()
    rig.remote.response, rig.remote.error = response, error
    refused = await rig.serve("query_start_charge", START)
    assert (refused["SuccStat"], refused["FailReason"], refused["StartChargeSeqStat"]) == (1, fail, 4)
    rig.remote.response, rig.remote.error = CommandResultType.ACCEPTED, None
    assert await rig.serve("query_start_charge", START) == refused  # the seq is spent
    order = await load_order(rig.kit.core, rig.runtime.config.partners[0], SEQ)
    assert order is not None
    assert order.failed


@pytest.mark.parametrize(
    ("agreements", "fail"),
    [
        ((Agreed(("CN*KDN", "DE*CPX"), ("locations",)),), 11),  # seen, but no agreement to charge there
        ((Agreed(("CN*KDN", "DE*CPY")),), 1),  # not even seen: no such device
    ],
)
async def test_a_start_needs_an_agreement_covering_commands(
    agreements: tuple[Agreed, ...], fail: int
) -> None:
    rig, _ = await a_charging_rig(*agreements)
    refused = await rig.serve("query_start_charge", START)
    assert (refused["SuccStat"], refused["FailReason"], refused["StartChargeSeqStat"]) == (1, fail, 4)
    assert rig.remote.starts == []


# ---------------------------------------------------------------------- the CPO's results and sessions


async def test_an_accepted_result_is_the_start_result_and_a_refused_one_ends_the_order() -> None:
    rig, _ = await a_charging_rig()
    await started(rig)
    assert pushes(rig) == [
        (
            "notification_start_charge_result",
            {
                "StartChargeSeq": SEQ,
                "ConnectorID": "CPXE1",
                "StartChargeSeqStat": 2,
                "StartTime": "2026-01-05 17:00:00",
            },
        )
    ]
    rig2, _ = await a_charging_rig()
    await rig2.serve("query_start_charge", START)
    command = rig2.remote.answer("cmd-1", CommandResultType.EVSE_OCCUPIED)
    await rig2.kit.core.bus.publish(RemoteCommandAnswered(command=command))
    [(_, result)] = pushes(rig2)
    assert result["StartChargeSeqStat"] == 4
    await reported(rig2, a_session(token_uid("MA005DBW1", SEQ)))
    assert len(pushes(rig2)) == 1  # the order is closed: nothing follows


async def test_a_result_that_came_before_the_cpos_answer_is_pushed_once_the_answer_is_in() -> None:
    rig, _ = await a_charging_rig()
    rig.remote.result_at_once = CommandResultType.ACCEPTED
    await rig.serve("query_start_charge", START)
    assert [p for p, _ in pushes(rig)] == ["notification_start_charge_result"]


async def test_session_updates_push_the_charge_status_at_most_once_per_interval() -> None:
    rig, _ = await a_charging_rig(interval_s=60)
    uid = await started(rig)
    await reported(rig, a_session(uid))
    [(_, status)] = pushes(rig, "notification_equip_charge_status")
    assert {k: status[k] for k in ("StartChargeSeqStat", "ConnectorStatus", "TotalPower", "SumPeriod")} == {
        "StartChargeSeqStat": 2,
        "ConnectorStatus": 3,
        "TotalPower": Decimal("5.00"),
        "SumPeriod": 0,
    }
    rig.kit.clock.set(T0 + timedelta(seconds=30))
    await reported(rig, a_session(uid, kwh=Decimal(6), last_updated=T0 + timedelta(minutes=6)))
    assert len(pushes(rig, "notification_equip_charge_status")) == 1  # within the interval
    rig.kit.clock.set(T0 + timedelta(seconds=61))
    await reported(rig, a_session(uid, kwh=Decimal(7), last_updated=T0 + timedelta(minutes=7)))
    await reported(
        rig, a_session(uid, kwh=Decimal(7), last_updated=T0 + timedelta(minutes=7))
    )  # the same again
    totals = [s["TotalPower"] for _, s in pushes(rig, "notification_equip_charge_status")]
    assert totals == [Decimal("5.00"), Decimal("7.00")]
    queried = await rig.serve("query_equip_charge_status", {"StartChargeSeq": SEQ})
    assert (queried["StartChargeSeqStat"], queried["TotalPower"]) == (2, Decimal("7.00"))


# ---------------------------------------------------------------------- query_stop_charge


async def test_a_stop_is_stop_session_of_the_cpos_session() -> None:
    rig, _ = await a_charging_rig()
    uid = await started(rig)
    not_yet = await rig.serve("query_stop_charge", STOP)
    assert (not_yet["SuccStat"], not_yet["FailReason"]) == (1, 12)  # no session reported yet
    assert (await rig.serve("query_stop_charge", {**STOP, "ConnectorID": "CPXE2"}))["FailReason"] == 1
    assert (await rig.serve("query_stop_charge", {**STOP, "StartChargeSeq": SEQ[:-1] + "9"}))[
        "FailReason"
    ] == 4
    await reported(rig, a_session(uid))
    stopping = await rig.serve("query_stop_charge", STOP)
    assert stopping == {"StartChargeSeq": SEQ, "StartChargeSeqStat": 3, "SuccStat": 0, "FailReason": 0}
    assert await rig.serve("query_stop_charge", STOP) == stopping
    assert rig.remote.stops == [(CPX, "SES-1")]
    # The CPO's result refuses the stop: the partner hears it and may ask again.
    command = rig.remote.answer("cmd-2", CommandResultType.FAILED)
    await rig.kit.core.bus.publish(RemoteCommandAnswered(command=command))
    [(_, refused)] = pushes(rig, "notification_stop_charge_result")
    assert (refused["StartChargeSeqStat"], refused["SuccStat"], refused["FailReason"]) == (2, 1, 2)
    assert (await rig.serve("query_stop_charge", STOP))["SuccStat"] == 0
    assert len(rig.remote.stops) == 2


async def test_a_charge_ended_at_the_pile_ends_with_the_stop_result_and_the_order_with_the_cdrs_money() -> (
    None
):
    rig, _ = await a_charging_rig()
    uid = await started(rig)
    end = T0 + timedelta(minutes=61)
    await reported(
        rig, a_session(uid, status=SessionStatus.COMPLETED, end=end, kwh=Decimal(12), last_updated=end)
    )
    rig.remote.sent_cdrs.append(a_cdr(uid))
    await rig.kit.core.bus.publish(
        RemoteCdrReceived(party=CPX, cdr_id="CDR-1", session_id="SES-1", token_uid=uid)
    )
    assert [p for p, _ in pushes(rig)] == [
        "notification_start_charge_result",
        "notification_stop_charge_result",
        "notification_charge_order_info",
    ]
    [(_, order)] = pushes(rig, "notification_charge_order_info")
    assert (order["TotalElecMoney"], order["TotalSeviceMoney"], order["TotalMoney"]) == (
        Decimal("20.70"),
        Decimal("2.30"),
        Decimal("23.00"),
    )
    assert (order["StopReason"], order["TotalPower"], order["EndTime"]) == (
        0,
        Decimal("12.00"),
        "2026-01-05 18:01:00",
    )
    record = await rig.kit.core.records.get(ORDERS, KDN, SEQ)
    assert record is not None
    assert (record.data["session_id"], record.data["cdr_id"], record.data["total_money"]) == (
        "SES-1",
        "CDR-1",
        Decimal("23.00"),
    )


async def test_a_cdr_in_another_currency_leaves_the_order_open() -> None:
    rig, notifier = await a_charging_rig()
    uid = await started(rig)
    end = T0 + timedelta(minutes=61)
    await reported(rig, a_session(uid, status=SessionStatus.COMPLETED, end=end, last_updated=end))
    rig.remote.sent_cdrs.append(a_cdr(uid, currency="EUR"))
    await rig.kit.core.bus.publish(RemoteCdrReceived(party=CPX, cdr_id="CDR-1", token_uid=uid))
    assert pushes(rig, "notification_charge_order_info") == []
    assert [o.seq for o in await notifier.open_orders(rig.runtime.config.partners[0])] == [SEQ]


# ---------------------------------------------------------------------- auth and policy


async def test_equipment_auth_and_business_policy_of_a_remote_evse() -> None:
    rig, _ = await a_charging_rig()
    auth = {"EquipAuthSeq": SEQ, "ConnectorID": "CPXE1"}
    assert (await rig.serve("query_equip_auth", auth))["SuccStat"] == 0
    location = await rig.remote.location(CPX, "CPX-1")
    assert location is not None
    broken = location.evses[0].model_copy(update={"status": EvseStatus.OUTOFORDER})
    rig.remote.add(location.model_copy(update={"evses": (broken, location.evses[1])}))
    await rig.kit.core.bus.publish(RemoteLocationChanged(party=CPX, location_id="CPX-1"))
    assert (await rig.serve("query_equip_auth", auth))["FailReason"] == 2
    policy_query = {"EquipBizSeq": SEQ, "ConnectorID": "CPXE2"}
    assert (await rig.serve("query_equip_business_policy", policy_query))["FailReason"] == 1  # no tariff yet
    energy = PriceComponent(type=PriceComponentType.ENERGY, price=Decimal("1.5"), step_size=1)
    rig.remote.tariffs[(CPX.key(), "CNY-1")] = Tariff(
        id="CNY-1",
        party=CPX,
        currency="CNY",
        elements=(TariffElement(price_components=(energy,)),),
        last_updated=T0,
    )
    policy = await rig.serve("query_equip_business_policy", policy_query)
    assert (policy["SuccStat"], policy["PolicyInfos"]) == (
        0,
        [{"StartTime": "000000", "ElecPrice": Decimal("1.5000"), "SevicePrice": Decimal("0.0000")}],
    )
