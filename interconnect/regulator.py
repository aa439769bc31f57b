"""Regulator partners (`kind = "regulator"`, spec §7): the pushes a provincial platform expects — station
info on location changes, charge status while charging, orders, real-time power — queued as outbox rows
under each platform's own interface names, and the `supervise_query_*` pulls with their own defaults
(PageSize 50). Connector status pushes are push.py's (its status handler includes configured regulators).

An adapter module: imports structlog, the core and other interconnect modules only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import structlog

from hub.core.errors import InvalidRequestError
from hub.core.events import CdrCreated, LocationChanged, SessionUpdated
from hub.core.models import Cdr, DimensionType, Location, Session, SessionStatus
from hub.core.pricing.tou import order_money
from interconnect import codec, handlers_data, mapping
from interconnect.push import enqueue_push
from interconnect.runtime import (
    Call,
    Handler,
    InterconnectRuntime,
    PartnerConfig,
    parse_virtual_station_id,
)

log = structlog.get_logger(__name__)

# Logical push names: keys of a regulator's `interfaces` map (only configured ones are sent, spec §7).
STATION_INFO = "notification_stationInfo"
CHARGE_STATUS = "notification_equip_charge_status"
ORDER_INFO = "notification_charge_order_info"
POWER = "notification_realtime_power_info"  # SupStationPowerInfos (§7, names unconfirmed: configurable)

SUPERVISE_PAGE_SIZE = 50  # §7: the supervise_query_* pulls default to 50 per page
MAX_PAGE_SIZE = handlers_data.MAX_PAGE_SIZE
DEFAULT_POWER_INTERVAL_S = 300.0
POWER_BATCH = 50  # stations per real-time power push
ACTIVE_WINDOW = timedelta(days=2)  # sessions updated longer ago are not "charging now"
ORDER_STATUS = {  # §7 OrderStatus: 1 启动中 2 充电中 4 充电完成 6 充电异常结束
    SessionStatus.PENDING: 1,
    SessionStatus.ACTIVE: 2,
    SessionStatus.COMPLETED: 4,
    SessionStatus.INVALID: 6,
}
SEQ_STAT = {SessionStatus.PENDING: 1, SessionStatus.ACTIVE: 2, SessionStatus.COMPLETED: 4}  # §5


class Subscriber(Protocol):
    def subscribe(self, event_type: Any, handler: Any) -> None: ...


class JobScheduler(Protocol):
    def add_job(self, job_id: str, job: Callable[[], Awaitable[None]], interval_s: float) -> None: ...

    def kick(self) -> None: ...


def regulators(runtime: InterconnectRuntime, logical: str) -> list[PartnerConfig]:
    return [p for p in runtime.config.partners if p.kind == "regulator" and p.interface(logical) is not None]


def is_ours(runtime: InterconnectRuntime, party: Any, station_id: str | None) -> bool:
    """Our own stations only: never a 互联互通 partner's virtual station or location."""
    if station_id is not None and parse_virtual_station_id(station_id) is not None:
        return False
    return runtime.config.partner_of_party(party) is None


def start_charge_seq(partner: PartnerConfig, session_id: str, reference: str | None) -> str:
    """The order number a regulator sees: the 互联互通 order's own StartChargeSeq when the session is one
    (its authorization_reference), else our OperatorID + 18 digits stable per session (spec §3)."""
    if reference and reference[:9].isalnum() and 18 <= len(reference) <= 64:
        return reference
    digits = int.from_bytes(hashlib.sha256(session_id.encode()).digest()[:8], "big") % 10**18
    return f"{partner.our_operator_id}{digits:018d}"


def _latest(session: Session, kind: DimensionType) -> Decimal | None:
    for period in reversed(session.charging_periods):
        for dimension in period.dimensions:
            if dimension.type is kind:
                return dimension.volume
    return None


def charge_status(partner: PartnerConfig, session: Session, now: datetime) -> dict[str, Any]:
    """Charging-status fields (§5) with the regulator extras of §7 (OrderNo, OrderStatus, PushTimeStamp…)."""
    seq = start_charge_seq(partner, session.id, session.authorization_reference)
    return {
        "StartChargeSeq": seq,
        "StartChargeSeqStat": SEQ_STAT.get(session.status, 5),
        "ConnectorID": session.evse_uid or "",
        "ConnectorStatus": 3 if session.status is SessionStatus.ACTIVE else 2,
        "CurrentA": mapping.power(_latest(session, DimensionType.CURRENT) or 0),
        "VoltageA": mapping.power(0),
        "Soc": int(_latest(session, DimensionType.STATE_OF_CHARGE) or 0),
        "StartTime": codec.business_time(session.start),
        "EndTime": codec.business_time(now),
        "TotalPower": mapping.energy(session.kwh),
        "SumPeriod": 0,
        "ChargeDetails": [],
        "OperatorID": partner.our_operator_id,
        "EquipmentOwnerID": partner.our_operator_id,
        "StationID": session.location_id or "",
        "EquipmentID": session.station_id or "",
        "OrderNo": seq,
        "OrderStatus": ORDER_STATUS.get(session.status, 6),
        "PushTimeStamp": codec.business_time(now),
    }


def order_info(partner: PartnerConfig, cdr: Cdr) -> dict[str, Any]:
    """notification_charge_order_info (§5) from a priced CDR, money split by tou.order_money, with the
    regulator extras of §7. Raises the pricing error when the CDR's money cannot be an order (not CNY…)."""
    money = order_money(cdr.cost)
    service = "TotalServiceMoney" if partner.tolerance.service_spelling == "Service" else "TotalSeviceMoney"
    detail_service = service.replace("Total", "Detail")
    price_service = "ServicePrice" if partner.tolerance.service_spelling == "Service" else "SevicePrice"
    seq = start_charge_seq(partner, cdr.session_id, cdr.authorization_reference)
    details = [
        {
            "DetailStartTime": codec.business_time(d.start),
            "DetailEndTime": codec.business_time(d.end),
            "ElecPrice": mapping.price(d.elec_price),
            price_service: mapping.price(d.service_price),
            "DetailPower": mapping.energy(d.power_kwh),
            "DetailElecMoney": mapping.money(d.elec_money),
            detail_service: mapping.money(d.service_money),
        }
        for d in money.details
    ]
    return {
        "StartChargeSeq": seq,
        "ConnectorID": cdr.evse_uid or "",
        "StartTime": codec.business_time(cdr.start),
        "EndTime": codec.business_time(cdr.end),
        "TotalPower": mapping.energy(money.total_power_kwh),
        "TotalElecMoney": mapping.money(money.elec_money),
        service: mapping.money(money.service_money),
        "TotalMoney": mapping.money(money.total_money),
        "StopReason": 0,
        "SumPeriod": len(details),
        "ChargeDetails": details,
        "OperatorID": partner.our_operator_id,
        "EquipmentOwnerID": partner.our_operator_id,
        "StationID": cdr.location_id or "",
        "EquipmentID": cdr.station_id or "",
        "OrderNo": seq,
        "OrderStatus": 4,
    }


class RegulatorPushes:
    """Event-bus handlers and the power job; rows are committed here and the drainer is kicked."""

    def __init__(self, runtime: InterconnectRuntime, kick: Callable[[], None] | None = None) -> None:
        self._rt = runtime
        self._kick = kick
        self._last_status: dict[tuple[str, str], datetime] = {}  # (operator, session) → last push

    async def _enqueue(self, rows: Iterable[tuple[PartnerConfig, str, dict[str, Any], str]]) -> int:
        rows = list(rows)
        if not rows:
            return 0
        now = self._rt.clock.now()
        async with self._rt.core.db.unit_of_work() as uow:
            queued = [await enqueue_push(uow, p, logical, data, now, key) for p, logical, data, key in rows]
            await uow.commit()
        if self._kick is not None:
            self._kick()
        return sum(queued)

    async def on_location_changed(self, event: LocationChanged) -> None:
        location = event.location
        receivers = regulators(self._rt, STATION_INFO)
        if not receivers or not is_ours(self._rt, location.party, None):
            return
        stations = {s.id.upper(): s for s in await self._rt.core.chargepoints.list_stations()}
        rows = []
        for partner in receivers:
            info = mapping.station_info(location, stations, partner, partner.our_operator_id)
            if info is not None:
                key = f"interconnect:{partner.operator_id}:stationInfo:{location.id.upper()}"
                rows.append((partner, STATION_INFO, {"StationInfo": info}, key))
        await self._enqueue(rows)

    async def on_session_updated(self, event: SessionUpdated) -> None:
        """Charge status at most every `charge_status_interval_s` per session (§7: Beijing's 50 s)."""
        session = event.session
        if not is_ours(self._rt, session.party, session.station_id):
            return
        now = self._rt.clock.now()
        rows = []
        for partner in regulators(self._rt, CHARGE_STATUS):
            mark = (partner.operator_id, session.id)
            if session.status is not SessionStatus.ACTIVE:
                self._last_status.pop(mark, None)
                continue
            last = self._last_status.get(mark)
            if last is not None and now - last < timedelta(seconds=partner.charge_status_interval_s):
                continue
            self._last_status[mark] = now
            key = f"interconnect:{partner.operator_id}:chargeStatus:{session.id}"
            rows.append((partner, CHARGE_STATUS, charge_status(partner, session, now), key))
        await self._enqueue(rows)

    async def on_cdr_created(self, event: CdrCreated) -> None:
        cdr = event.cdr
        if not is_ours(self._rt, cdr.party, cdr.station_id):
            return
        rows = []
        for partner in regulators(self._rt, ORDER_INFO):
            try:
                data = order_info(partner, cdr)
            except (
                InvalidRequestError
            ) as exc:  # e.g. a CDR in another currency: no order a regulator can take
                log.warning(
                    "regulator_order_not_pushed", partner=partner.name, cdr_id=cdr.id, reason=str(exc)
                )
                continue
            rows.append((partner, ORDER_INFO, data, f"interconnect:{partner.operator_id}:order:{cdr.id}"))
        await self._enqueue(rows)

    async def push_power(self) -> int:
        """One real-time power round: SupStationPowerInfos of every station of ours, POWER_BATCH a row."""
        receivers = regulators(self._rt, POWER)
        if not receivers:
            return 0
        try:
            locations, by_evse = await self._live_power()
        except Exception:
            log.exception("regulator_power_failed")
            return 0
        rows = []
        for partner in receivers:
            infos = [power_info(partner, location, by_evse) for location in locations]
            for start in range(0, len(infos), POWER_BATCH):
                batch = {"SupStationPowerInfos": infos[start : start + POWER_BATCH]}
                rows.append((partner, POWER, batch, f"interconnect:{partner.operator_id}:power:{start}"))
        return await self._enqueue(rows)

    async def _live_power(self) -> tuple[list[Location], dict[str, Decimal]]:
        core = self._rt.core
        since = self._rt.clock.now() - ACTIVE_WINDOW
        locations: list[Location] = []
        by_evse: dict[str, Decimal] = {}
        # Regulators see every station of ours (§7): the party list of a regulator partner.
        probe = next(p for p in self._rt.config.partners if p.kind == "regulator")
        for party in await handlers_data.served_parties(core, probe):
            locations.extend(await core.locations.list(party))
            for session in await core.sessions.list(party, date_from=since):
                if session.status is SessionStatus.ACTIVE and session.evse_uid:
                    kw = _latest(session, DimensionType.POWER) or Decimal(0)
                    by_evse[session.evse_uid] = by_evse.get(session.evse_uid, Decimal(0)) + kw
        return locations, by_evse


def power_info(partner: PartnerConfig, location: Location, by_evse: Mapping[str, Decimal]) -> dict[str, Any]:
    equipment: dict[str, list[dict[str, Any]]] = {}
    for evse in location.evses:
        kw = by_evse.get(evse.uid, Decimal(0))
        equipment.setdefault(evse.station_id or evse.uid, []).append(
            {"ConnectorID": evse.uid, "ConnectorRealTimePower": mapping.power(kw)}
        )
    equipment_infos = [
        {
            "EquipmentID": equipment_id,
            "EquipRealTimePower": mapping.power(sum((c["ConnectorRealTimePower"] for c in cs), Decimal(0))),
            "ConnectorPowerInfos": cs,
        }
        for equipment_id, cs in equipment.items()
    ]
    return {
        "OperatorID": partner.our_operator_id,
        "EquipmentOwnerID": partner.our_operator_id,
        "StationID": location.id,
        "StationRealTimePower": mapping.power(sum(by_evse.get(e.uid, Decimal(0)) for e in location.evses)),
        "EquipmentPowerInfos": equipment_infos,
    }


# ---------------------------------------------------------------------- the pulls a regulator makes


def _page(payload: dict[str, Any]) -> tuple[int, int]:
    page_no = mapping.optional_int(payload, "PageNo", 1)
    size = mapping.optional_int(payload, "PageSize", SUPERVISE_PAGE_SIZE)
    if page_no < 1 or size < 1:
        raise mapping.bad("PageNo" if page_no < 1 else "PageSize", "must be at least 1")
    return page_no, min(size, MAX_PAGE_SIZE)


def _paged(items: list[Any], page_no: int, size: int, name: str) -> dict[str, Any]:
    start = (page_no - 1) * size
    return {
        "PageNo": page_no,
        "PageCount": -(-len(items) // size),
        "ItemSize": len(items),
        name: items[start : start + size],
    }


async def supervise_query_stations_info(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """§7: LastQueryTime, PageNo, PageSize (default 50), optional StationIDs."""
    text = mapping.get(payload, "LastQueryTime")
    since = codec.parse_business_time(str(text)) if text not in (None, "") else None
    page_no, size = _page(payload)
    window = await handlers_data.station_pages(call.core).window(call.core, call.partner, since)
    infos = list(window.infos)
    wanted = mapping.get(payload, "StationIDs")
    if wanted not in (None, "", []):
        ids = {
            mapping.as_text(i, "StationIDs").upper()
            for i in (wanted if isinstance(wanted, list) else [wanted])
        }
        infos = [i for i in infos if str(i["StationID"]).upper() in ids]
    return _paged(infos, page_no, size, "StationInfos")


async def supervise_query_station_status(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """§7: StationIDs, answered as query_station_status."""
    return await handlers_data.query_station_status(call, payload)


async def supervise_query_operator_info(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """§7: our operator info (PageNo, PageSize default 50): the OperatorID this partner knows us by."""
    page_no, size = _page(payload)
    ours = {p.key() for p in await handlers_data.served_parties(call.core, call.partner)}
    names = [p.name for p in await call.core.parties.list() if p.ref.key() in ours]
    info = {
        "OperatorID": call.partner.our_operator_id,
        "OperatorName": (names[0] if names else call.partner.our_operator_id)[:64],
        "OperatorTel1": "",
        "OperatorRegAddress": "",
    }
    return _paged([info], page_no, size, "OperatorInfos")


HANDLERS: dict[str, Handler] = {
    "supervise_query_operator_info": supervise_query_operator_info,
    "supervise_query_stations_info": supervise_query_stations_info,
    "supervise_query_station_status": supervise_query_station_status,
}


def register(
    runtime: InterconnectRuntime,
    bus: Subscriber,
    scheduler: JobScheduler,
    *,
    power_interval_s: float = DEFAULT_POWER_INTERVAL_S,
) -> RegulatorPushes:
    """Wire the regulator pushes on the bus, the power job (only when a regulator takes it) and the
    supervise_* handlers (kept when setup.py already merged them)."""
    for name, handler in HANDLERS.items():
        if runtime.handlers.setdefault(name, handler) is not handler:
            raise ValueError(f"interface {name!r} has two handlers")
    pushes = RegulatorPushes(runtime, scheduler.kick)
    bus.subscribe(LocationChanged, pushes.on_location_changed)
    bus.subscribe(SessionUpdated, pushes.on_session_updated)
    bus.subscribe(CdrCreated, pushes.on_cdr_created)
    if any(p.kind == "regulator" and p.interface(POWER) is not None for p in runtime.config.partners):

        async def power_job() -> None:
            await pushes.push_power()

        scheduler.add_job("interconnect-regulator-power", power_job, power_interval_s)
    return pushes
