"""The payloads of what we push to a 互联互通 EMSP about its orders (spec §5): the charging-status fields (of
query_equip_charge_status and notification_equip_charge_status) and notification_charge_order_info, for
orders on our own stations (money by our tariff, `tou.order_money`) and on a remote CPO's (its session and
CDR, money by `hub.core.remote.relayed_order_money`).

An adapter module: imports structlog, interconnect and the core only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog

from hub.core.errors import InvalidRequestError
from hub.core.metering import close_periods
from hub.core.models import Cdr, CdrCost, DimensionType, EvseStatus, Session
from hub.core.pricing.tou import OrderMoney, order_money
from hub.core.remote import relayed_order_money
from hub.core.services import Core
from hub.core.tariffs import find_tariff
from interconnect.codec import business_time
from interconnect.orders import (
    FOUR_DP,
    KWH,
    ONE_DP,
    Order,
    StartStat,
    money,
    order_session,
    places,
    stat_of,
)
from interconnect.runtime import InterconnectRuntime, PartnerConfig

log = structlog.get_logger(__name__)


def _details(partner: PartnerConfig, split: OrderMoney) -> list[dict[str, Any]]:
    service = partner.tolerance.service_spelling
    return [
        {
            "DetailStartTime": business_time(d.start),
            "DetailEndTime": business_time(d.end),
            "ElecPrice": places(d.elec_price, FOUR_DP),
            f"{service}Price": places(d.service_price, FOUR_DP),
            "DetailPower": places(d.power_kwh, KWH),
            "DetailElecMoney": money(d.elec_money),
            f"Detail{service}Money": money(d.service_money),
        }
        for d in split.details
    ]


def _split(compute: Callable[[], OrderMoney]) -> OrderMoney | None:
    try:
        return compute()
    except InvalidRequestError as exc:  # the order carries no money split
        log.warning("interconnect_order_money_unavailable", field=exc.field, reason=str(exc))
        return None


def split_money(order: Order, cdr: Cdr) -> OrderMoney | None:
    """The order's money from its CDR: by our tariff's lines on our stations, from a remote CPO's totals
    otherwise. None (and a warning) when it cannot be split (not CNY; on our stations a clamped total)."""
    if order.remote:
        return _split(lambda: relayed_order_money(cdr))
    return _split(lambda: order_money(cdr.cost))


async def order_cdr(runtime: InterconnectRuntime, order: Order, session: Session) -> Cdr | None:
    """The (not credit) CDR of the order's finished session."""
    if not order.remote:
        ours = [c for c in await runtime.core.cdrs.find_by_session(session.id) if not c.credit]
        return ours[0] if ours else None
    cpo = order.cpo
    if cpo is None:
        return None
    wanted = session.id.casefold()
    cdrs = await runtime.remote.cdrs(cpo, date_from=session.start)
    return next((c for c in cdrs if not c.credit and c.session_id.casefold() == wanted), None)


async def _cost_so_far(core: Core, session: Session, now: datetime) -> CdrCost | None:
    """The running session priced as if it ended now, by the engine and the tariff it started with."""
    end = session.end or max(now, session.start)
    closed = close_periods(session.model_copy(update={"end": end}), end)
    async with core.db.unit_of_work() as uow:
        tariff = await find_tariff(uow, session.party, [session.tariff_id], at=session.start)
        location = (
            await uow.locations.get(session.party, session.location_id) if session.location_id else None
        )
    try:
        return core.cdrs.price(closed, tariff, location.time_zone if location else "UTC").cost
    except InvalidRequestError as exc:
        log.warning("interconnect_charge_status_unpriced", session_id=session.id, field=exc.field)
        return None


def _last(session: Session, kind: DimensionType) -> Decimal:
    for period in reversed(session.charging_periods):
        for dimension in period.dimensions:
            if dimension.type is kind:
                return dimension.volume
    return Decimal(0)


_CONNECTOR_STATUS = {EvseStatus.AVAILABLE: 1, EvseStatus.RESERVED: 4, EvseStatus.CHARGING: 2}
_FAULTED = frozenset({EvseStatus.OUTOFORDER, EvseStatus.INOPERATIVE})


async def _evse_status(runtime: InterconnectRuntime, order: Order) -> EvseStatus:
    if order.remote:
        cpo = order.cpo
        location = (
            await runtime.remote.location(cpo, order.location_id)
            if cpo is not None and order.location_id
            else None
        )
    else:
        location = await runtime.core.locations.find_by_evse(order.connector_id)
    evse = location.evse(order.evse_uid or order.connector_id) if location is not None else None
    return evse.status if evse is not None else EvseStatus.UNKNOWN


async def _money_so_far(
    runtime: InterconnectRuntime, order: Order, session: Session, now: datetime
) -> OrderMoney | None:
    """The money of the session so far: its CDR's once it has one; on our stations the running session
    priced by our tariff; a remote CPO's running session has no split (its Session has only a total)."""
    cdr = await order_cdr(runtime, order, session) if session.end else None
    if cdr is not None:
        return split_money(order, cdr)
    if order.remote:
        return None
    cost = await _cost_so_far(runtime.core, session, now)
    return _split(lambda: order_money(cost)) if cost is not None else None


async def charge_status_fields(
    runtime: InterconnectRuntime, partner: PartnerConfig, order: Order
) -> dict[str, Any]:
    """The charging-status fields (spec §5) of query_equip_charge_status and its notification."""
    now = runtime.clock.now()
    session = await order_session(runtime, order)
    stat = stat_of(order, session)
    if stat in (StartStat.CHARGING, StartStat.STOPPING):
        connector_status = 3
    else:
        status = await _evse_status(runtime, order)
        connector_status = 255 if status in _FAULTED else _CONNECTOR_STATUS.get(status, 2)
    fields: dict[str, Any] = {
        "StartChargeSeq": order.seq,
        "StartChargeSeqStat": int(stat),
        "ConnectorID": order.connector_id,
        "ConnectorStatus": connector_status,
        "CurrentA": places(_last(session, DimensionType.CURRENT) if session else Decimal(0), ONE_DP),
        "VoltageA": Decimal("0.0"),  # not measured by the core; 0 is "unknown"
        "Soc": places(_last(session, DimensionType.STATE_OF_CHARGE) if session else Decimal(0), ONE_DP),
        "StartTime": business_time(session.start if session else order.created),
        "EndTime": business_time(session.end if session and session.end else now),
        "TotalPower": places(session.kwh if session else Decimal(0), KWH),
    }
    split = await _money_so_far(runtime, order, session, now) if session is not None else None
    service = partner.tolerance.service_spelling
    if split is not None:
        fields |= {
            "ElecMoney": money(split.elec_money),
            f"{service}Money": money(split.service_money),
            "TotalMoney": money(split.elec_money) + money(split.service_money),
            "SumPeriod": len(split.details),
            "ChargeDetails": _details(partner, split),
        }
    else:
        fields |= {"SumPeriod": 0, "ChargeDetails": []}
    return fields


# StopReason (spec §5): 0 user at the pile, 1 the EMSP's platform, 2 BMS, 3 charger fault, 4 connector off.
_STOP_REASONS = {
    "local": 0,
    "remote": 1,
    "deauthorized": 1,
    "evdisconnected": 4,
    "evdeparted": 4,
    "stoppedbyev": 2,
    "soclimitreached": 2,
    "energylimitreached": 2,
    "emergencystop": 3,
    "powerloss": 3,
    "hardreset": 3,
    "softreset": 3,
    "reboot": 3,
    "groundfault": 3,
    "overcurrentfault": 3,
    "overvoltage": 3,
    "undervoltage": 3,
    "powerquality": 3,
}


def stop_reason(order: Order, reason: str | None) -> int:
    if order.stop_requested:
        return 1
    return _STOP_REASONS.get((reason or "").casefold(), 0)


def order_info(
    partner: PartnerConfig, order: Order, cdr: Cdr, split: OrderMoney, reason: str | None
) -> dict[str, Any]:
    """notification_charge_order_info from the CDR: money equal to the CDR's to the cent, elec + service =
    total (`split_money`), times in Beijing time."""
    service = partner.tolerance.service_spelling
    elec, serv = money(split.elec_money), money(split.service_money)
    return {
        "StartChargeSeq": order.seq,
        "ConnectorID": order.connector_id,
        "StartTime": business_time(cdr.start),
        "EndTime": business_time(cdr.end),
        "TotalPower": places(cdr.cost.total_energy_kwh, KWH),
        "TotalElecMoney": elec,
        f"Total{service}Money": serv,
        "TotalMoney": elec + serv,
        "StopReason": stop_reason(order, reason),
        "SumPeriod": len(split.details),
        "ChargeDetails": _details(partner, split),
    }
