"""What we push as CPO to a 互联互通 EMSP about its orders on our stations (spec §5): start and stop results,
charge status while charging, the order from the CDR, and the daily check_charge_orders; plus the order
record (a PartnerRecord per StartChargeSeq) the charging handlers share. Imports interconnect and the core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from typing import Any, Protocol

import structlog

from hub.core.errors import InvalidRequestError
from hub.core.events import CdrCreated, CommandResultReceived, SessionUpdated
from hub.core.metering import close_periods
from hub.core.models import (
    Cdr,
    CdrCost,
    Command,
    CommandResultType,
    CommandType,
    DimensionType,
    EvseStatus,
    PartnerRecord,
    PartyRef,
    Session,
    SessionStatus,
)
from hub.core.pricing.tou import OrderMoney, order_money
from hub.core.services import Core
from hub.core.tariffs import find_tariff
from interconnect.codec import BEIJING, SeqCounter, business_time, mint_sequence
from interconnect.push import enqueue_push
from interconnect.runtime import InterconnectRuntime, PartnerConfig

log = structlog.get_logger(__name__)

ORDERS = "interconnect.orders"  # PartnerRecord module: one record per (partner party, StartChargeSeq)
CHECKS = "interconnect.checks"  # PartnerRecord module: one per (partner party, Beijing day) checked
OPEN_FOR = timedelta(days=7)  # orders untouched this long are no longer scanned by the periodic job
CHECK_AFTER = time(1, 0)  # check_charge_orders for a day goes out after 01:00 Beijing the next day
CENT, KWH, ONE_DP, FOUR_DP = Decimal("0.01"), Decimal("0.01"), Decimal("0.1"), Decimal("0.0001")


class StartStat(IntEnum):
    """StartChargeSeqStat (spec §5)."""

    STARTING = 1
    CHARGING = 2
    STOPPING = 3
    ENDED = 4
    UNKNOWN = 5


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _dp(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, ROUND_HALF_UP)


# --- the order record --------------------------------------------------------------------------------------


@dataclass
class Order:
    """A partner's StartChargeSeq on one of our connectors and what we have told the partner about it."""

    seq: str
    connector_id: str
    token_uid: str
    cpo_party: str  # key of the EVSE's CPO party ("" when the start was refused)
    created: datetime
    start_answer: dict[str, Any]
    failed: bool = False  # never started: nothing more is pushed
    command_id: str | None = None
    session_id: str | None = None
    stop_requested: bool = False
    stop_answer: dict[str, Any] | None = None
    start_notified: bool = False
    stop_notified: bool = False
    order_notified: bool = False
    ended: datetime | None = None
    total_power: Decimal | None = None
    total_money: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.failed or self.order_notified

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("created", "ended"):
            data[name] = data[name].isoformat() if data[name] is not None else None
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Order:
        values = dict(data)
        for name in ("created", "ended"):
            values[name] = datetime.fromisoformat(values[name]) if values.get(name) else None
        for name in ("total_power", "total_money"):
            values[name] = Decimal(str(values[name])) if values.get(name) is not None else None
        return cls(**values)

    async def session(self, core: Core) -> Session | None:
        """The order's session: by id once known, else the one whose authorization_reference is the seq."""
        if self.session_id is not None:
            return await core.sessions.get(self.session_id)
        if not self.cpo_party:
            return None
        started = await core.sessions.list(
            party=PartyRef.parse(self.cpo_party), date_from=self.created - timedelta(minutes=1)
        )
        wanted = self.seq.casefold()
        return next((s for s in started if (s.authorization_reference or "").casefold() == wanted), None)


def _record(partner: PartnerConfig, order: Order, now: datetime) -> PartnerRecord:
    return PartnerRecord(
        module=ORDERS, party=partner.ocpi_party, id=order.seq, data=order.to_data(), last_updated=now
    )


async def load_order(core: Core, partner: PartnerConfig, seq: str) -> Order | None:
    record = await core.records.get(ORDERS, partner.ocpi_party, seq)
    return Order.from_data(record.data) if record is not None else None


async def save_order(core: Core, partner: PartnerConfig, order: Order, now: datetime) -> None:
    await core.records.put(_record(partner, order, now))


def stat_of(order: Order, session: Session | None) -> StartStat:
    if order.failed or (session is not None and session.end is not None):
        return StartStat.ENDED
    if session is None or session.status is SessionStatus.PENDING:
        return StartStat.STARTING
    return StartStat.STOPPING if order.stop_requested else StartStat.CHARGING


# --- payloads ----------------------------------------------------------------------------------------------


def _details(partner: PartnerConfig, split: OrderMoney) -> list[dict[str, Any]]:
    service = partner.tolerance.service_spelling
    return [
        {
            "DetailStartTime": business_time(d.start),
            "DetailEndTime": business_time(d.end),
            "ElecPrice": _dp(d.elec_price, FOUR_DP),
            f"{service}Price": _dp(d.service_price, FOUR_DP),
            "DetailPower": _dp(d.power_kwh, KWH),
            "DetailElecMoney": money(d.elec_money),
            f"Detail{service}Money": money(d.service_money),
        }
        for d in split.details
    ]


def _split(cost: CdrCost) -> OrderMoney | None:
    try:
        return order_money(cost)
    except InvalidRequestError as exc:  # not CNY, clamped: the order carries no money split
        log.warning("interconnect_order_money_unavailable", field=exc.field, reason=str(exc))
        return None


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


async def charge_status_fields(
    runtime: InterconnectRuntime, partner: PartnerConfig, order: Order
) -> dict[str, Any]:
    """The charging-status fields (spec §5) of query_equip_charge_status and its periodic notification."""
    core, now = runtime.core, runtime.clock.now()
    session = await order.session(core)
    stat = stat_of(order, session)
    if stat in (StartStat.CHARGING, StartStat.STOPPING):
        connector_status = 3
    else:
        location = await core.locations.find_by_evse(order.connector_id)
        evse = location.evse(order.connector_id) if location is not None else None
        status = evse.status if evse is not None else EvseStatus.UNKNOWN
        connector_status = 255 if status in _FAULTED else _CONNECTOR_STATUS.get(status, 2)
    fields: dict[str, Any] = {
        "StartChargeSeq": order.seq,
        "StartChargeSeqStat": int(stat),
        "ConnectorID": order.connector_id,
        "ConnectorStatus": connector_status,
        "CurrentA": _dp(_last(session, DimensionType.CURRENT) if session else Decimal(0), ONE_DP),
        "VoltageA": Decimal("0.0"),  # not measured by the core; 0 is "unknown"
        "Soc": _dp(_last(session, DimensionType.STATE_OF_CHARGE) if session else Decimal(0), ONE_DP),
        "StartTime": business_time(session.start if session else order.created),
        "EndTime": business_time(session.end if session and session.end else now),
        "TotalPower": _dp(session.kwh if session else Decimal(0), KWH),
    }
    cost: CdrCost | None = None
    if session is not None:
        cdrs = await core.cdrs.find_by_session(session.id) if session.end else []
        cost = cdrs[0].cost if cdrs else await _cost_so_far(core, session, now)
    split = _split(cost) if cost is not None else None
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
    total (tou.order_money), times in Beijing time."""
    service = partner.tolerance.service_spelling
    elec, serv = money(split.elec_money), money(split.service_money)
    return {
        "StartChargeSeq": order.seq,
        "ConnectorID": order.connector_id,
        "StartTime": business_time(cdr.start),
        "EndTime": business_time(cdr.end),
        "TotalPower": _dp(cdr.cost.total_energy_kwh, KWH),
        "TotalElecMoney": elec,
        f"Total{service}Money": serv,
        "TotalMoney": elec + serv,
        "StopReason": stop_reason(order, reason),
        "SumPeriod": len(split.details),
        "ChargeDetails": _details(partner, split),
    }


# --- the notifier ------------------------------------------------------------------------------------------


class Scheduler(Protocol):
    def add_job(self, job_id: str, job: Callable[[], Awaitable[None]], interval_s: float) -> None: ...
    def kick(self) -> None: ...


class Bus(Protocol):
    def subscribe(self, event_type: Any, handler: Any) -> None: ...


_locks: dict[str, asyncio.Lock] = {}


def order_lock(order_key: str) -> asyncio.Lock:
    """One order is handled by one coroutine at a time in this process: a repeated start must not start
    twice, an event must not race the handler that is creating the order."""
    return _locks.setdefault(order_key, asyncio.Lock())


class CpoNotifier:
    """Turns core events about partner orders into outbox rows (delivered by the push deliverer). Every
    step is recorded on the order, so the periodic job can redo what a crash between the core's commit and
    our row lost, and nothing is pushed twice from this process."""

    def __init__(self, runtime: InterconnectRuntime, kick: Callable[[], None] | None = None) -> None:
        self._rt = runtime
        self._kick = kick or (lambda: None)
        self._seqs = SeqCounter()

    def _partner(self, party: PartyRef | None) -> PartnerConfig | None:
        partner = self._rt.config.partner_of_party(party) if party is not None else None
        return partner if partner is not None and partner.kind == "operator" else None

    async def on_session_updated(self, event: SessionUpdated) -> None:
        session = event.session
        partner = self._partner(session.token_party)
        if partner is not None and session.authorization_reference:
            await self.sync(partner, session.authorization_reference)

    async def on_cdr_created(self, event: CdrCreated) -> None:
        cdr = event.cdr
        partner = self._partner(cdr.token_party)
        if partner is not None and cdr.authorization_reference and not cdr.credit:
            await self.sync(partner, cdr.authorization_reference)

    async def on_command_result(self, event: CommandResultReceived) -> None:
        command = event.command
        partner = self._partner(command.token_party or command.requester)
        if partner is None:
            return
        seq = command.authorization_reference
        if seq is None and command.session_id is not None:
            session = await self._rt.core.sessions.get(command.session_id)
            seq = session.authorization_reference if session is not None else None
        if seq:
            await self.sync(partner, seq, command)

    async def sync(self, partner: PartnerConfig, seq: str, command: Command | None = None) -> None:
        """Push whatever the order's state calls for and the partner has not been told yet."""
        async with order_lock(f"{partner.operator_id}|{seq.upper()}"):
            core, now = self._rt.core, self._rt.clock.now()
            order = await load_order(core, partner, seq)
            if order is None or order.closed:
                return
            session = await order.session(core)
            if command is None and order.command_id is not None and not order.start_notified:
                command = await core.commands.get(order.command_id)
            pushes = self._steps(partner, order, session, command)
            if session is not None and session.end is not None and order.start_notified and not order.failed:
                cdrs = [c for c in await core.cdrs.find_by_session(session.id) if not c.credit]
                split = _split(cdrs[0].cost) if cdrs else None
                if cdrs and split is not None:
                    pushes.append(
                        (
                            "notification_charge_order_info",
                            order_info(partner, order, cdrs[0], split, session.stop_reason),
                        )
                    )
                    order.order_notified = True
                    order.ended = cdrs[0].end
                    order.total_power = _dp(cdrs[0].cost.total_energy_kwh, KWH)
                    order.total_money = money(split.elec_money) + money(split.service_money)
            if not pushes:
                if session is not None and order.session_id is None:
                    order.session_id = session.id
                    await save_order(core, partner, order, now)
                return
            if session is not None:
                order.session_id = session.id
            key = f"interconnect:{partner.operator_id}:order:{order.seq.upper()}"
            async with core.db.unit_of_work() as uow:
                for logical, data in pushes:
                    await enqueue_push(uow, partner, logical, data, now, key)
                await uow.records.put(_record(partner, order, now))
                await uow.commit()
        log.info("interconnect_order_pushed", partner=partner.name, pushes=[p for p, _ in pushes])
        self._kick()

    def _steps(
        self, partner: PartnerConfig, order: Order, session: Session | None, command: Command | None
    ) -> list[tuple[str, dict[str, Any]]]:
        pushes: list[tuple[str, dict[str, Any]]] = []
        base = {"StartChargeSeq": order.seq, "ConnectorID": order.connector_id}
        if not order.start_notified:
            refused = (
                command is not None
                and command.type is CommandType.START_SESSION
                and command.result is not None
                and command.result is not CommandResultType.ACCEPTED
            )
            # A session that ended without a transaction was cancelled or expired before the EV started.
            never = session is not None and session.end is not None and session.transaction_id is None
            if refused or never:
                order.failed = order.start_notified = True
                start = business_time(session.start if session else order.created)
                pushes.append(
                    (
                        "notification_start_charge_result",
                        {**base, "StartChargeSeqStat": 4, "StartTime": start},
                    )
                )
                return pushes
            if session is not None and session.transaction_id is not None:
                order.start_notified = True
                stat = StartStat.CHARGING if session.end is None else StartStat.ENDED
                pushes.append(
                    (
                        "notification_start_charge_result",
                        {**base, "StartChargeSeqStat": int(stat), "StartTime": business_time(session.start)},
                    )
                )
        stop_refused = (
            command is not None
            and command.type is CommandType.STOP_SESSION
            and command.result is not None
            and command.result is not CommandResultType.ACCEPTED
        )
        if stop_refused and command is not None and order.stop_requested:
            # The station refused the stop: say so and let the partner ask again (spec §5 FailReason).
            fail = 3 if command.result is CommandResultType.UNKNOWN_SESSION else 2
            order.stop_requested, order.stop_answer = False, None
            stat = stat_of(order, session)
            pushes.append(
                (
                    "notification_stop_charge_result",
                    {**base, "StartChargeSeqStat": int(stat), "SuccStat": 1, "FailReason": fail},
                )
            )
        if (
            order.start_notified
            and not order.stop_notified
            and session is not None
            and session.end is not None
        ):
            order.stop_notified = True
            # Also for a stop at the pile: the partner learns the order ended before the order arrives.
            pushes.append(
                (
                    "notification_stop_charge_result",
                    {**base, "StartChargeSeqStat": 4, "SuccStat": 0, "FailReason": 0},
                )
            )
        return pushes

    async def open_orders(self, partner: PartnerConfig) -> list[Order]:
        since = self._rt.clock.now() - OPEN_FOR
        records = await self._rt.core.records.list(ORDERS, partner.ocpi_party, date_from=since)
        return [o for o in (Order.from_data(r.data) for r in records) if not o.closed]

    async def charge_status_tick(self, partner: PartnerConfig) -> None:
        """The periodic job: redo missed steps of open orders, then push the charge status of each order
        charging (every partner.charge_status_interval_s, spec §5)."""
        try:
            pushed = 0
            for order in await self.open_orders(partner):
                await self.sync(partner, order.seq)
                order = await load_order(self._rt.core, partner, order.seq) or order
                if order.closed or not order.start_notified:
                    continue
                fields = await charge_status_fields(self._rt, partner, order)
                if fields["StartChargeSeqStat"] not in (StartStat.CHARGING, StartStat.STOPPING):
                    continue
                key = f"interconnect:{partner.operator_id}:order:{order.seq.upper()}"
                async with self._rt.core.db.unit_of_work() as uow:
                    pushed += await enqueue_push(
                        uow, partner, "notification_equip_charge_status", fields, self._rt.clock.now(), key
                    )
                    await uow.commit()
            if pushed:
                self._kick()
        except Exception:
            log.exception("interconnect_charge_status_failed", partner=partner.name)

    async def check_orders(self) -> None:
        """The daily reconciliation (check_charge_orders) of the previous Beijing day's orders, once per
        partner and day, after CHECK_AFTER; a day without orders is not sent."""
        now = self._rt.clock.now()
        local = now.astimezone(BEIJING)
        if local.time() < CHECK_AFTER:
            return
        day = local.date() - timedelta(days=1)
        begin = datetime.combine(day, time(0), BEIJING)
        end = begin + timedelta(days=1)
        for partner in self._rt.config.partners:
            if partner.kind != "operator":
                continue
            try:
                await self._check_day(partner, day.isoformat(), begin, end, now)
            except Exception:
                log.exception("interconnect_check_orders_failed", partner=partner.name)

    async def _check_day(
        self, partner: PartnerConfig, day: str, begin: datetime, end: datetime, now: datetime
    ) -> None:
        core = self._rt.core
        if await core.records.get(CHECKS, partner.ocpi_party, day) is not None:
            return
        records = await core.records.list(ORDERS, partner.ocpi_party, date_from=begin)
        orders = [Order.from_data(r.data) for r in records]
        done = sorted(
            (o for o in orders if o.order_notified and o.ended is not None and begin <= o.ended < end),
            key=lambda o: o.seq,
        )
        async with core.db.unit_of_work() as uow:
            if done:
                data = {
                    "CheckOrderSeq": mint_sequence(partner.our_operator_id, now, self._seqs),
                    "StartTime": business_time(begin),
                    "EndTime": business_time(end - timedelta(seconds=1)),
                    "OrderCount": len(done),
                    "TotalOrderPower": _dp(
                        sum((o.total_power or Decimal(0) for o in done), Decimal(0)), FOUR_DP
                    ),
                    "TotalOrderMoney": money(sum((o.total_money or Decimal(0) for o in done), Decimal(0))),
                    "ChargeOrders": [
                        {"StartChargeSeq": o.seq, "TotalPower": o.total_power, "TotalMoney": o.total_money}
                        for o in done
                    ],
                }
                key = f"interconnect:{partner.operator_id}:check:{day}"
                await enqueue_push(uow, partner, "check_charge_orders", data, now, key)
            marker = PartnerRecord(
                module=CHECKS, party=partner.ocpi_party, id=day, data={"orders": len(done)}, last_updated=now
            )
            await uow.records.put(marker)
            await uow.commit()
        if done:
            log.info("interconnect_orders_checked", partner=partner.name, day=day, orders=len(done))
            self._kick()


def register(runtime: InterconnectRuntime, bus: Bus, scheduler: Scheduler) -> CpoNotifier:
    """Wire the CPO notifications: event handlers on the bus, one charge-status job per operator partner
    and the hourly check for the daily reconciliation."""
    notifier = CpoNotifier(runtime, scheduler.kick)
    bus.subscribe(SessionUpdated, notifier.on_session_updated)
    bus.subscribe(CdrCreated, notifier.on_cdr_created)
    bus.subscribe(CommandResultReceived, notifier.on_command_result)
    for partner in runtime.config.partners:
        if partner.kind == "operator":

            async def tick(partner: PartnerConfig = partner) -> None:
                await notifier.charge_status_tick(partner)

            scheduler.add_job(
                f"interconnect-charge-status-{partner.operator_id}", tick, partner.charge_status_interval_s
            )
    scheduler.add_job("interconnect-check-orders", notifier.check_orders, 3600)
    return notifier
