"""The station gateway of a 互联互通 partner's virtual stations (we are the EMSP on its piles): a core
START_SESSION becomes query_start_charge with our StartChargeSeq, a STOP_SESSION query_stop_charge (spec §5);
the partner's business policy becomes its party's tariff first, so the core prices the CDR as it does.
Also the order links (StartChargeSeq → station, remote start, token, session) the EMSP handlers read.

An adapter module: imports structlog, interconnect and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog

from hub.core.errors import HubError, InvalidRequestError, UnavailableError
from hub.core.models import (
    CommandResultType,
    Evse,
    PartnerRecord,
    PartyRef,
    StationCommandReply,
)
from hub.core.pricing.tou import BusinessPolicy, PolicyPeriod, parse_start_time, tariff_from_policy
from interconnect import codec
from interconnect.client import InterconnectCallError
from interconnect.runtime import (
    InterconnectRuntime,
    PartnerConfig,
    parse_virtual_station_id,
)

log = structlog.get_logger(__name__)

ORDERS_MODULE = "interconnect.orders"  # PartnerRecord module: one record per StartChargeSeq we minted
# After a call could not reach the partner, its piles count as offline this long (then we try again).
UNREACHABLE_FOR = timedelta(seconds=60)
# query_start_charge / query_stop_charge FailReason (spec §5); 3–99 are the partner's own.
START_FAIL_REASONS = {1: "此设备不存在 (no such equipment)", 2: "此设备离线 (equipment offline)"}
STOP_FAIL_REASONS = {**START_FAIL_REASONS, 3: "设备已停止充电 (already stopped)"}


def is_virtual_station(station_id: str) -> bool:
    """The RoutingGateway predicate: stations named by `virtual_station_id`."""
    return parse_virtual_station_id(station_id) is not None


def policy_tariff_id(equipment_id: str) -> str:
    """The id, within the partner's party, of the tariff made from an equipment's business policy."""
    return f"BP-{equipment_id}"


def field_of(data: Any, *names: str) -> Any:
    """The first of `names` present, matched case-insensitively after trimming (spec §8); several names
    cover the Sevice/Service spelling."""
    if not isinstance(data, dict):
        return None
    for name in names:
        if name in data:
            return data[name]
        wanted = name.casefold()
        for key, value in data.items():
            if str(key).strip().casefold() == wanted:
                return value
    return None


def as_int(value: Any) -> int | None:
    """Numbers may come as strings (spec §8)."""
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def as_decimal(value: Any) -> Decimal | None:
    """A JSON number (Decimal, int, float) or a numeric string, as Decimal; None when it is neither."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class Order:
    """What we remember of a StartChargeSeq we minted (PartnerRecord module ORDERS_MODULE, owner = the
    partner's party): the virtual station and EVSE, the core's remote start id and token, and later the
    session and the answers we gave."""

    record: PartnerRecord

    @property
    def seq(self) -> str:
        return self.record.id

    def get(self, key: str) -> Any:
        return self.record.data.get(key)

    @property
    def station_id(self) -> str:
        return str(self.record.data["station_id"])

    @property
    def connector_id(self) -> str:
        return str(self.record.data["connector_id"])


async def load_order(runtime: InterconnectRuntime, party: PartyRef, seq: str) -> Order | None:
    record = await runtime.core.records.get(ORDERS_MODULE, party, seq)
    return Order(record) if record is not None else None


async def save_order(runtime: InterconnectRuntime, order: Order, **changes: Any) -> Order:
    """Merge `changes` into the order's data and store it."""
    old = order.record
    record = PartnerRecord(  # built anew, so the data values are checked as JSON again
        module=old.module,
        party=old.party,
        id=old.id,
        data={**old.data, **changes},
        last_updated=runtime.clock.now(),
    )
    await runtime.core.records.put(record)
    return Order(record)


class InterconnectGateway:
    """StationGateway for virtual stations; everything but start and stop is NOT_SUPPORTED (互联互通 has no
    such calls). Reachability is optimistic: a partner counts as connected unless a call to it failed to
    get an answer during the last UNREACHABLE_FOR."""

    def __init__(self, runtime: InterconnectRuntime) -> None:
        self._rt = runtime
        self._unreachable_since: dict[str, datetime] = {}
        self._sequences = codec.SeqCounter()  # StartChargeSeq / EquipBizSeq numbers, not the envelope Seq

    # --- reachability -----------------------------------------------------------------------------------

    def _partner(self, station_id: str) -> tuple[PartnerConfig, str] | None:
        parsed = parse_virtual_station_id(station_id)
        if parsed is None:
            return None
        partner = self._rt.config.partner(parsed[0])
        if partner is None or partner.kind != "operator":
            return None
        return partner, parsed[1]

    def is_connected(self, station_id: str) -> bool:
        found = self._partner(station_id)
        if found is None or self._rt.client is None:
            return False
        since = self._unreachable_since.get(found[0].operator_id)
        return since is None or self._rt.clock.now() - since >= UNREACHABLE_FOR

    async def _call(self, partner: PartnerConfig, logical: str, payload: dict[str, Any]) -> Any:
        """One business call; no answer (timeout, transport error) marks the partner unreachable and raises
        the port's UnavailableError; any other refusal raises InterconnectCallError."""
        client = self._rt.client
        if client is None:
            raise UnavailableError("the interconnect client is not started")
        try:
            data = await client.call(partner, partner.interface(logical) or logical, payload)
        except InterconnectCallError as exc:
            if exc.ret is None and exc.retryable:  # no envelope came back: timeout or transport error
                self._unreachable_since[partner.operator_id] = self._rt.clock.now()
                raise UnavailableError(f"{partner.name} is unreachable ({logical}): {exc.msg}") from exc
            raise
        self._unreachable_since.pop(partner.operator_id, None)
        return data

    # --- start and stop ---------------------------------------------------------------------------------

    async def start_transaction(
        self, station_id: str, evse_no: int | None, token_uid: str, remote_start_id: int
    ) -> StationCommandReply:
        found = self._partner(station_id)
        if found is None:
            raise UnavailableError(f"station {station_id} is no configured partner's equipment")
        partner, equipment_id = found
        evse = await self._evse(station_id, evse_no)
        if evse is None:
            return _reply(CommandResultType.REJECTED, "name the EVSE (connector) to start")
        connector_id = evse.uid
        await self._refresh_policy(partner, station_id, equipment_id, connector_id)
        now = self._rt.clock.now()
        seq = codec.mint_sequence(partner.our_operator_id, now, self._sequences)
        order = Order(
            PartnerRecord(
                module=ORDERS_MODULE,
                party=partner.ocpi_party,
                id=seq,
                data={
                    "station_id": station_id,
                    "equipment_id": equipment_id,
                    "connector_id": connector_id,
                    "evse_uid": evse.uid,
                    "remote_start_id": remote_start_id,
                    "token_uid": token_uid,
                    "state": "starting",
                    "created": now.isoformat(),
                },
                last_updated=now,
            )
        )
        # Stored before the call: the partner's start result may arrive before its answer does.
        await self._rt.core.records.put(order.record)
        payload = {"StartChargeSeq": seq, "ConnectorID": connector_id, "QRCode": connector_id}
        try:
            data = await self._call(partner, "query_start_charge", payload)
        except InterconnectCallError as exc:
            await save_order(self._rt, order, state="refused")
            log.warning("interconnect_start_refused", partner=partner.name, seq=seq, ret=exc.ret)
            return _reply(CommandResultType.FAILED, f"the partner refused the call: {exc}")
        succ = as_int(field_of(data, "SuccStat"))
        if succ != 0:
            reason = as_int(field_of(data, "FailReason"))
            await save_order(self._rt, order, state="refused", fail_reason=reason)
            log.info("interconnect_start_rejected", partner=partner.name, seq=seq, fail_reason=reason)
            text = START_FAIL_REASONS.get(reason or 0, f"FailReason {reason}")
            return _reply(CommandResultType.REJECTED, text, seq)
        log.info("interconnect_start_accepted", partner=partner.name, seq=seq, connector_id=connector_id)
        return _reply(CommandResultType.ACCEPTED, None, seq)

    async def stop_transaction(self, station_id: str, transaction_id: str) -> StationCommandReply:
        """`transaction_id` is the StartChargeSeq (the start result reported it as the transaction id)."""
        found = self._partner(station_id)
        if found is None:
            raise UnavailableError(f"station {station_id} is no configured partner's equipment")
        partner = found[0]
        order = await load_order(self._rt, partner.ocpi_party, transaction_id)
        if order is None:
            return _reply(CommandResultType.UNKNOWN_SESSION, "no order with this StartChargeSeq")
        payload = {"StartChargeSeq": order.seq, "ConnectorID": order.connector_id}
        try:
            data = await self._call(partner, "query_stop_charge", payload)
        except InterconnectCallError as exc:
            log.warning("interconnect_stop_refused", partner=partner.name, seq=order.seq, ret=exc.ret)
            return _reply(CommandResultType.FAILED, f"the partner refused the call: {exc}")
        succ = as_int(field_of(data, "SuccStat"))
        if succ != 0:
            reason = as_int(field_of(data, "FailReason"))
            log.info("interconnect_stop_rejected", partner=partner.name, seq=order.seq, fail_reason=reason)
            text = STOP_FAIL_REASONS.get(reason or 0, f"FailReason {reason}")
            return _reply(CommandResultType.REJECTED, text, order.seq)
        await save_order(self._rt, order, stop_requested=True)
        return _reply(CommandResultType.ACCEPTED, None, order.seq)

    # --- what the start needs ---------------------------------------------------------------------------

    async def _evse(self, station_id: str, evse_no: int | None) -> Evse | None:
        """The EVSE (uid = ConnectorID) of the virtual station; without a number, its only EVSE."""
        core = self._rt.core
        station = await core.chargepoints.get_station(station_id)
        if station is None or station.location_id is None:
            return None
        location = await core.locations.get(station.party, station.location_id)
        if location is None:
            return None
        mine = [e for e in location.evses if (e.station_id or "").upper() == station_id.upper()]
        if evse_no is None:
            return mine[0] if len(mine) == 1 else None
        return next((e for e in mine if e.station_evse_no == evse_no), None)

    async def _refresh_policy(
        self, partner: PartnerConfig, station_id: str, equipment_id: str, connector_id: str
    ) -> None:
        """Ask for the pile's business policy (spec §5, optional step before the start) and keep it as the
        partner party's tariff of this virtual station, so the core prices the session as the partner
        bills it. Any failure leaves the tariff as it was, with a log line."""
        payload = {
            "EquipBizSeq": codec.mint_sequence(
                partner.our_operator_id, self._rt.clock.now(), self._sequences
            ),
            "ConnectorID": connector_id,
        }
        try:
            data = await self._call(partner, "query_equip_business_policy", payload)
            policy = policy_from_wire(data)
            if policy is None:
                log.info("interconnect_no_business_policy", partner=partner.name, connector_id=connector_id)
                return
            tariff = tariff_from_policy(
                policy,
                party=partner.ocpi_party,
                tariff_id=policy_tariff_id(equipment_id),
                last_updated=self._rt.clock.now(),
            )
            core = self._rt.core
            await core.tariffs.put(tariff)
            station = await core.chargepoints.get_station(station_id)
            if station is not None and station.tariff_id != tariff.id:
                await core.chargepoints.register_station(
                    station_id, party=station.party, location_id=station.location_id, tariff_id=tariff.id
                )
        except (InterconnectCallError, HubError) as exc:
            log.warning(
                "interconnect_business_policy_failed",
                partner=partner.name,
                connector_id=connector_id,
                error=str(exc)[:200],
            )

    # --- the rest of the port: 互联互通 has no such calls ----------------------------------------------

    async def unlock_connector(self, station_id: str, evse_no: int, connector_no: int) -> StationCommandReply:
        return _not_supported()

    async def reserve_now(
        self, station_id: str, reservation_id: int, evse_no: int | None, token_uid: str, expiry: datetime
    ) -> StationCommandReply:
        return _not_supported()

    async def cancel_reservation(self, station_id: str, reservation_id: int) -> StationCommandReply:
        return _not_supported()

    async def set_charging_limit(
        self,
        station_id: str,
        evse_no: int,
        transaction_id: str | None,
        profile_id: int,
        limit: Decimal,
        unit: str,
    ) -> StationCommandReply:
        return _not_supported()

    async def clear_charging_profile(self, station_id: str, profile_id: int) -> StationCommandReply:
        return _not_supported()

    async def get_composite_schedule(
        self, station_id: str, evse_no: int, duration_s: int, unit: str | None
    ) -> StationCommandReply:
        return _not_supported()

    async def reset(self, station_id: str, hard: bool) -> StationCommandReply:
        return _not_supported()

    async def change_availability(
        self, station_id: str, evse_no: int, operative: bool
    ) -> StationCommandReply:
        return _not_supported()

    async def trigger_message(
        self, station_id: str, message: str, evse_no: int | None
    ) -> StationCommandReply:
        return _not_supported()

    async def get_configuration(self, station_id: str, keys: Sequence[str]) -> StationCommandReply:
        return _not_supported()

    async def change_configuration(self, station_id: str, key: str, value: str) -> StationCommandReply:
        return _not_supported()

    async def send_local_list(
        self, station_id: str, version: int, entries: Sequence[tuple[str, bool]], full: bool
    ) -> StationCommandReply:
        return _not_supported()

    async def data_transfer(
        self, station_id: str, vendor_id: str, message_id: str | None, data: str | None
    ) -> StationCommandReply:
        return _not_supported()


def policy_from_wire(data: Any) -> BusinessPolicy | None:
    """A query_equip_business_policy answer as a BusinessPolicy; None when the partner has none (SuccStat 1
    or no periods). InvalidRequestError for periods that make no policy."""
    if as_int(field_of(data, "SuccStat")) != 0:
        return None
    infos = field_of(data, "PolicyInfos")
    infos = infos if isinstance(infos, list) else [infos] if isinstance(infos, dict) else []
    periods: list[PolicyPeriod] = []
    for i, info in enumerate(infos):
        elec = as_decimal(field_of(info, "ElecPrice"))
        service = as_decimal(field_of(info, "SevicePrice", "ServicePrice"))
        if elec is None or service is None:
            raise InvalidRequestError(f"PolicyInfos[{i}]: prices missing", field=f"PolicyInfos[{i}]")
        start = parse_start_time(field_of(info, "StartTime"), f"PolicyInfos[{i}].StartTime")
        periods.append(PolicyPeriod(start=start, elec_price=elec, service_price=service))
    if not periods:
        return None
    return BusinessPolicy(periods=tuple(sorted(periods, key=lambda p: p.start)))


def _reply(result: CommandResultType, message: str | None, seq: str | None = None) -> StationCommandReply:
    data = {"start_charge_seq": seq} if seq is not None else None
    return StationCommandReply(result=result, message=message, data=data)


def _not_supported() -> StationCommandReply:
    return _reply(CommandResultType.NOT_SUPPORTED, "not available on a 互联互通 partner's pile")
