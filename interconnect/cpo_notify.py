"""What we push as CPO to a 互联互通 EMSP about its orders (spec §5): start and stop results, charge status
while charging, the order from the CDR, and the daily check_charge_orders — for orders on our own stations
(core events) and at a remote CPO (the remote-CPO events of `hub.core.remote`, steps in remote_notify). The
order record is in orders.py, the payloads in order_fields.py. Imports interconnect and the core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

import structlog

from hub.core.events import CdrCreated, CommandResultReceived, SessionUpdated
from hub.core.models import (
    Command,
    CommandResultType,
    CommandType,
    PartnerRecord,
    PartyRef,
    Session,
)
from hub.core.remote import RemoteCdrReceived, RemoteCommandAnswered, RemoteSessionChanged
from interconnect.codec import BEIJING, SeqCounter, business_time, mint_sequence
from interconnect.order_fields import charge_status_fields, order_cdr, order_info, split_money
from interconnect.orders import (
    CHECK_AFTER,
    CHECKS,
    FOUR_DP,
    KWH,
    OPEN_FOR,
    ORDERS,
    Order,
    StartStat,
    find_ref,
    load_order,
    lock_of,
    money,
    order_record,
    places,
    stat_of,
)
from interconnect.push import enqueue_push
from interconnect.remote_notify import remote_steps
from interconnect.runtime import InterconnectRuntime, PartnerConfig

log = structlog.get_logger(__name__)

__all__ = ["CpoNotifier", "load_order", "register"]

Push = tuple[str, dict[str, Any]]


class Scheduler(Protocol):
    def add_job(self, job_id: str, job: Callable[[], Awaitable[None]], interval_s: float) -> None: ...
    def kick(self) -> None: ...


class Bus(Protocol):
    def subscribe(self, event_type: Any, handler: Any) -> None: ...


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

    # --- orders at a remote CPO: its session, CDR and command results name the order's stand-in token ---

    async def _sync_token(self, token_uid: str | None) -> None:
        found = await find_ref(self._rt, token_uid) if token_uid else None
        if found is not None and found[0].kind == "operator":
            await self.sync(*found)

    async def on_remote_session(self, event: RemoteSessionChanged) -> None:
        await self._sync_token(event.token_uid)

    async def on_remote_cdr(self, event: RemoteCdrReceived) -> None:
        await self._sync_token(event.token_uid)

    async def on_remote_command(self, event: RemoteCommandAnswered) -> None:
        command = event.command
        token_uid = command.token_uid
        if token_uid is None and command.session_id is not None:
            session = await self._rt.remote.session(command.cpo, command.session_id)
            token_uid = session.token_uid if session is not None else None
        await self._sync_token(token_uid)

    # --- both -------------------------------------------------------------------------------------------

    async def sync(self, partner: PartnerConfig, seq: str, command: Command | None = None) -> None:
        """Push whatever the order's state calls for and the partner has not been told yet."""
        async with lock_of(partner, seq):
            core, now = self._rt.core, self._rt.clock.now()
            order = await load_order(core, partner, seq)
            if order is None or order.closed:
                return
            before = order.to_data()
            if order.remote:
                pushes = await remote_steps(self._rt, partner, order, now)
            else:
                pushes = await self._local_steps(partner, order, command)
            if not pushes:
                if order.to_data() != before:
                    await core.records.put(order_record(partner, order, now))
                return
            key = f"interconnect:{partner.operator_id}:order:{order.seq.upper()}"
            async with core.db.unit_of_work() as uow:
                for logical, data in pushes:
                    await enqueue_push(uow, partner, logical, data, now, key)
                await uow.records.put(order_record(partner, order, now))
                await uow.commit()
        log.info("interconnect_order_pushed", partner=partner.name, pushes=[p for p, _ in pushes])
        self._kick()

    async def _local_steps(self, partner: PartnerConfig, order: Order, command: Command | None) -> list[Push]:
        """The pushes of an order on our own station (its session and CDR are the core's)."""
        core = self._rt.core
        session = await order.session(core)
        if session is not None:
            order.session_id = session.id
        if command is None and order.command_id is not None and not order.start_notified:
            command = await core.commands.get(order.command_id)
        pushes = self._steps(partner, order, session, command)
        if session is not None and session.end is not None and order.start_notified and not order.failed:
            cdr = await order_cdr(self._rt, order, session)
            split = split_money(order, cdr) if cdr is not None else None
            if cdr is not None and split is not None:
                pushes.append(
                    (
                        "notification_charge_order_info",
                        order_info(partner, order, cdr, split, session.stop_reason),
                    )
                )
                order.order_notified = True
                order.ended = cdr.end
                order.cdr_id = cdr.id
                order.total_power = places(cdr.cost.total_energy_kwh, KWH)
                order.total_money = money(split.elec_money) + money(split.service_money)
        return pushes

    def _steps(
        self, partner: PartnerConfig, order: Order, session: Session | None, command: Command | None
    ) -> list[Push]:
        pushes: list[Push] = []
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
                    "TotalOrderPower": places(
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
    bus.subscribe(RemoteSessionChanged, notifier.on_remote_session)
    bus.subscribe(RemoteCdrReceived, notifier.on_remote_cdr)
    bus.subscribe(RemoteCommandAnswered, notifier.on_remote_command)
    runtime.order_changed = notifier.sync
    for partner in runtime.config.partners:
        if partner.kind == "operator":

            async def tick(partner: PartnerConfig = partner) -> None:
                await notifier.charge_status_tick(partner)

            scheduler.add_job(
                f"interconnect-charge-status-{partner.operator_id}", tick, partner.charge_status_interval_s
            )
    scheduler.add_job("interconnect-check-orders", notifier.check_orders, 3600)
    return notifier
