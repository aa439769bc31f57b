"""The notifications a 互联互通 CPO partner sends us as EMSP (spec §5) for orders we started on its piles: the
start result, charge status, stop result and order become transaction reports of the virtual station (so the
core runs the OCPI session and prices the CDR); the order is confirmed against our CDR and check_charge_orders
answered from what we stored. Every handler is idempotent per StartChargeSeq / CheckOrderSeq (spec §2.8).

An adapter module: imports structlog, interconnect and the core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog

from hub.core.chargepoint import TransactionEventKind, TransactionReport
from hub.core.errors import HubError
from hub.core.models import MeterSample, PartnerRecord, Session, SessionStatus
from hub.core.pricing.tou import order_money
from interconnect import codec
from interconnect.gateway import Order, load_order, save_order
from interconnect.mapping import as_decimal, as_int, as_text, get, objects, quantize, required
from interconnect.runtime import Call, Handler, InterconnectRuntime

log = structlog.get_logger(__name__)

CHECKS_MODULE = "interconnect.checks"  # PartnerRecord module: our answer to each CheckOrderSeq
KWH = Decimal(1000)  # Wh per kWh: TotalPower (kWh) becomes an energy register sample in Wh
# StopReason (spec §5) → the core's stop reason (the OCPP vocabulary the rest of the hub uses).
STOP_REASONS = {0: "Local", 1: "Remote", 2: "StoppedByEV", 3: "Other", 4: "EVDisconnected"}
CONFIRMED, DISPUTED = 0, 1  # ConfirmResult: 0 成功, 1 争议交易
NO_ORDER, WRONG_MONEY, WRONG_POWER = 1, 2, 3  # DisputeReason: 交易不存在, 交易金额错误, 交易电量错误


def _seq(payload: Mapping[str, Any]) -> str:
    return as_text(required(payload, "StartChargeSeq"), "StartChargeSeq")


def _time(payload: Mapping[str, Any], name: str, default: datetime) -> datetime:
    value = get(payload, name)
    return codec.parse_business_time(value) if value not in (None, "") else default


def _money(value: Any) -> Decimal | None:
    """Money compared to the cent (spec §3: 2 decimals)."""
    return quantize(Decimal(value), 2) if value is not None else None


async def _session(rt: InterconnectRuntime, order: Order) -> Session | None:
    """The core session of an order: remembered once found, else the virtual station's PENDING/ACTIVE
    session of our remote start or with our StartChargeSeq as transaction id."""
    session_id = order.get("session_id")
    if session_id:
        return await rt.core.sessions.get(str(session_id))
    for session in await rt.core.sessions.active(order.station_id):
        if session.transaction_id == order.seq or session.remote_start_id == order.get("remote_start_id"):
            return session
    return None


async def _start(rt: InterconnectRuntime, order: Order, started: datetime) -> tuple[Order, Session | None]:
    """STARTED on the virtual station (transaction id = StartChargeSeq, id_tag = the token, the remote start
    id of the core's command, register 0 Wh). A repeat is answered by the core as a duplicate."""
    report = TransactionReport(
        kind=TransactionEventKind.STARTED,
        timestamp=started,
        transaction_id=order.seq,
        id_tag=str(order.get("token_uid") or "") or None,
        remote_start_id=order.get("remote_start_id"),
        meter_wh=Decimal(0),
    )
    outcome = await rt.core.chargepoints.transaction(order.station_id, report)
    session = outcome.session
    if session is None:
        log.warning("interconnect_start_not_applied", seq=order.seq, station_id=order.station_id)
        return order, None
    if order.get("session_id") != session.id or order.get("state") == "starting":
        order = await save_order(rt, order, session_id=session.id, state="charging")
    return order, session


async def _started_session(
    rt: InterconnectRuntime, order: Order, payload: Mapping[str, Any]
) -> tuple[Order, Session | None]:
    """The order's running session, started first when the start result never came (or came late)."""
    session = await _session(rt, order)
    if session is None or session.status is SessionStatus.PENDING:
        return await _start(rt, order, _time(payload, "StartTime", rt.clock.now()))
    return order, session


async def _order(call: Call, seq: str, interface: str) -> Order | None:
    order = await load_order(call.runtime, call.partner.ocpi_party, seq)
    if order is None:
        log.warning("interconnect_unknown_order", partner=call.partner.name, interface=interface, seq=seq)
    return order


async def notification_start_charge_result(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """StartChargeSeqStat 2 → STARTED; 3/4 (ended without charging) → the PENDING session is cancelled
    (INVALID); 1 and 5 change nothing (spec §5 recommendation)."""
    seq = _seq(payload)
    stat = as_int(required(payload, "StartChargeSeqStat"), "StartChargeSeqStat")
    order = await _order(call, seq, "notification_start_charge_result")
    if order is None:
        return {"StartChargeSeq": seq, "SuccStat": 1, "FailReason": 1}
    rt = call.runtime
    if stat == 2:
        await _start(rt, order, _time(payload, "StartTime", rt.clock.now()))
    elif stat in (3, 4):
        session = await _session(rt, order)
        if session is not None and session.status is SessionStatus.PENDING:
            await rt.core.commands.stop_session(session_id=session.id)
        if order.get("state") == "starting":
            await save_order(rt, order, state="failed")
        log.info("interconnect_start_failed", partner=call.partner.name, seq=seq, stat=stat)
    return {"StartChargeSeq": seq, "SuccStat": 0, "FailReason": 0}


async def notification_equip_charge_status(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """While charging: the order's TotalPower as the session's energy register (kWh → Wh) at EndTime (the
    sample's time, spec §5); the session is started first if its start result was lost."""
    seq = _seq(payload)
    stat = as_int(required(payload, "StartChargeSeqStat"), "StartChargeSeqStat")
    order = await _order(call, seq, "notification_equip_charge_status")
    if order is None:
        return {"StartChargeSeq": seq, "SuccStat": 1}
    rt = call.runtime
    power = get(payload, "TotalPower")
    if stat != 2 or power in (None, ""):
        return {"StartChargeSeq": seq, "SuccStat": 0}
    order, session = await _started_session(rt, order, payload)
    if session is not None:
        sample = MeterSample(
            timestamp=_time(payload, "EndTime", rt.clock.now()),
            value=as_decimal(power, "TotalPower") * KWH,
            unit="Wh",
        )
        await rt.core.chargepoints.meter_values(order.station_id, 0, seq, (sample,))
    return {"StartChargeSeq": seq, "SuccStat": 0}


async def notification_stop_charge_result(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """Only noted: the session ends with the order (notification_charge_order_info), which follows."""
    seq = _seq(payload)
    order = await _order(call, seq, "notification_stop_charge_result")
    if order is None:
        return {"StartChargeSeq": seq, "SuccStat": 1, "FailReason": 1}
    succ = get(payload, "SuccStat")
    stopped = succ in (None, "") or as_int(succ, "SuccStat") == 0
    if not stopped:
        log.warning(
            "interconnect_stop_failed",
            partner=call.partner.name,
            seq=seq,
            fail_reason=get(payload, "FailReason"),
        )
    if stopped and order.get("state") == "charging":
        await save_order(call.runtime, order, state="stopping")
    return {"StartChargeSeq": seq, "SuccStat": 0, "FailReason": 0}


async def notification_charge_order_info(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """ENDED with the order's TotalPower; the core completes the session and prices the CDR with the
    partner's tariff. ConfirmResult 0 when our CDR's total equals TotalMoney, else 1 (争议交易)."""
    seq = _seq(payload)
    connector_id = get(payload, "ConnectorID")
    order = await _order(call, seq, "notification_charge_order_info")
    if order is None:
        return {"StartChargeSeq": seq, "ConnectorID": connector_id, "ConfirmResult": DISPUTED}
    if order.get("confirm_result") is not None:  # a repeat: the same answer (spec §2.8)
        return {
            "StartChargeSeq": seq,
            "ConnectorID": connector_id,
            "ConfirmResult": order.get("confirm_result"),
        }
    rt = call.runtime
    power = as_decimal(required(payload, "TotalPower"), "TotalPower")
    total = _money(as_decimal(required(payload, "TotalMoney"), "TotalMoney"))
    ended_at = _time(payload, "EndTime", rt.clock.now())
    order, session = await _started_session(rt, order, payload)
    if session is None:
        log.warning("interconnect_order_without_session", partner=call.partner.name, seq=seq)
        return {"StartChargeSeq": seq, "ConnectorID": connector_id, "ConfirmResult": DISPUTED}
    reason = as_int(get(payload, "StopReason") or 0, "StopReason")
    report = TransactionReport(
        kind=TransactionEventKind.ENDED,
        timestamp=max(ended_at, session.start),
        transaction_id=seq,
        meter_wh=power * KWH,
        stop_reason=STOP_REASONS.get(reason, "Other"),
    )
    outcome = await rt.core.chargepoints.transaction(order.station_id, report)
    ended = outcome.session or session
    cdrs = [c for c in await rt.core.cdrs.find_by_session(ended.id) if not c.credit]
    if not cdrs:
        log.warning("interconnect_order_without_cdr", partner=call.partner.name, seq=seq, session_id=ended.id)
        return {"StartChargeSeq": seq, "ConnectorID": connector_id, "ConfirmResult": DISPUTED}
    cdr = cdrs[0]
    ours = _money(cdr.cost.total_excl_vat)
    result = CONFIRMED if ours == total else DISPUTED
    if result == DISPUTED:
        log.warning(
            "interconnect_order_disputed",
            partner=call.partner.name,
            seq=seq,
            cdr_id=cdr.id,
            their_money=str(total),
            our_money=str(ours),
            their_split=f"{get(payload, 'TotalElecMoney')}/{_service_money(payload)}",
            our_split=_split(cdr.cost),
        )
    await save_order(
        rt,
        order,
        state="ended",
        session_id=ended.id,
        cdr_id=cdr.id,
        total_power=power,
        total_money=total,
        our_kwh=ended.kwh,
        our_money=ours,
        confirm_result=result,
        end=ended_at.isoformat(),
    )
    log.info("interconnect_order_confirmed", partner=call.partner.name, seq=seq, confirm_result=result)
    return {"StartChargeSeq": seq, "ConnectorID": connector_id, "ConfirmResult": result}


def _service_money(payload: Mapping[str, Any]) -> Any:
    """TotalSeviceMoney as the standard spells it, or TotalServiceMoney (spec §5 spelling, §8)."""
    value = get(payload, "TotalSeviceMoney")
    return value if value is not None else get(payload, "TotalServiceMoney")


def _split(cost: Any) -> str:
    """elec/service of our CDR for the dispute log line ("?" when it cannot be split)."""
    try:
        money = order_money(cost, cost.currency)
    except HubError:
        return "?"
    return f"{money.elec_money}/{money.service_money}"


async def check_charge_orders(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """Each listed order against what we confirmed: unknown or never ended → 1, money differs → 2, energy
    differs → 3 (spec §5). The answer to a CheckOrderSeq is stored, so a repeat gets the same one."""
    check_seq = as_text(required(payload, "CheckOrderSeq"), "CheckOrderSeq")
    rt = call.runtime
    party = call.partner.ocpi_party
    stored = await rt.core.records.get(CHECKS_MODULE, party, check_seq)
    if stored is not None:
        return dict(stored.data)
    disputes: list[dict[str, Any]] = []
    listed = objects(get(payload, "ChargeOrders"), "ChargeOrders")
    for i, item in enumerate(listed):
        seq = as_text(required(item, "StartChargeSeq"), f"ChargeOrders[{i}].StartChargeSeq")
        power = quantize(as_decimal(required(item, "TotalPower"), f"ChargeOrders[{i}].TotalPower"), 2)
        money = quantize(as_decimal(required(item, "TotalMoney"), f"ChargeOrders[{i}].TotalMoney"), 2)
        order = await load_order(rt, party, seq)
        reason: int | None = None
        if order is None or order.get("confirm_result") is None:
            reason = NO_ORDER
        elif _money(order.get("our_money")) != money:
            reason = WRONG_MONEY
        elif quantize(Decimal(order.get("our_kwh") or 0), 2) != power:
            reason = WRONG_POWER
        if reason is not None:
            disputes.append(
                {"StartChargeSeq": seq, "TotalPower": power, "TotalMoney": money, "DisputeReason": reason}
            )
    answer = {
        "CheckOrderSeq": check_seq,
        "StartTime": get(payload, "StartTime"),
        "EndTime": get(payload, "EndTime"),
        "TotalDisputeOrder": len(disputes),
        "TotalDisputePower": quantize(sum((d["TotalPower"] for d in disputes), Decimal(0)), 4),
        "TotalDisputeMoney": quantize(sum((d["TotalMoney"] for d in disputes), Decimal(0)), 2),
        "DisputeOrders": disputes,
    }
    await rt.core.records.put(
        PartnerRecord(
            module=CHECKS_MODULE, party=party, id=check_seq, data=answer, last_updated=rt.clock.now()
        )
    )
    log.info(
        "interconnect_orders_checked",
        partner=call.partner.name,
        check_seq=check_seq,
        orders=len(listed),
        disputed=len(disputes),
    )
    return answer


HANDLERS: Mapping[str, Handler] = {
    "notification_start_charge_result": notification_start_charge_result,
    "notification_equip_charge_status": notification_equip_charge_status,
    "notification_stop_charge_result": notification_stop_charge_result,
    "notification_charge_order_info": notification_charge_order_info,
    "check_charge_orders": check_charge_orders,
}

__all__ = ["CHECKS_MODULE", "HANDLERS", "STOP_REASONS"]
