"""What we push to 互联互通 partners goes through the outbox (spec §2.8): one `interconnect.<logical>` row per
partner and push, delivered by `InterconnectPusher` with the drainer's retry and backoff. Also the status
push we make as station operator: each EVSE status change of our own stations becomes a
notification_stationStatus row for every operator partner allowed to see it and every regulator configured
for it (spec §4, §7); a remote CPO's (an OCPI partner CPO's, `hub.core.remote`) for every operator partner
whose agreements cover it (regulators see our own stations only).

An adapter module: imports structlog, interconnect and the core only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog

from hub.core.events import EvseStatusChanged
from hub.core.models import EvseStatus, OutboxMessage, PartnerRecord
from hub.core.ports import UnitOfWork
from hub.core.remote import RemoteEvseStatusChanged
from interconnect import codec, mapping
from interconnect.client import InterconnectCallError
from interconnect.pull import as_int, field_of
from interconnect.runtime import (
    Agreement,
    InterconnectRuntime,
    PartnerConfig,
    agreed,
    may_see,
    parse_virtual_station_id,
)

log = structlog.get_logger(__name__)

PREFIX = "interconnect."  # outbox topic prefix of every push (the drainer routes on it)
FAILED_MODULE = "interconnect.failed"  # PartnerRecord module: pushes given up (alert, kept for a replay)
STATION_STATUS = "notification_stationStatus"
ORDER_INFO = "notification_charge_order_info"
ORDER_DEADLINE = timedelta(hours=24)  # spec §2.8: an order push keeps trying until a ConfirmResult or 24 h
MAX_CONNECTOR_ID = 26  # spec §3

Deliverer = Callable[[OutboxMessage], Awaitable[None]]
AnswerHook = Callable[[PartnerConfig, str, dict[str, Any], Any], Awaitable[None]]


class PushRefusedError(Exception):
    """The partner answered Ret 0 but did not take the push (SuccStat 1, no ConfirmResult): retried on the
    outbox schedule (spec §2.8)."""


def push_message(
    partner: PartnerConfig, logical: str, payload: dict[str, Any], now: datetime, key: str | None = None
) -> OutboxMessage:
    """The outbox row of one push; rows with the same key are delivered in order (default: per partner and
    push kind). `logical` is our interface name; the partner's own name is looked up at delivery."""
    return OutboxMessage(
        topic=PREFIX + logical,
        key=key or f"interconnect:{partner.operator_id}:{logical}",
        target=partner.operator_id,
        # The data travels as JSON text: the outbox stores payloads as JSON, where a Decimal would come back
        # as a string, and 互联互通 wants numbers with their exact places (spec §3).
        payload={
            "operator_id": partner.operator_id,
            "interface": logical,
            "data": codec.dumps(payload).decode(),
        },
        created=now,
        next_attempt_at=now,
    )


async def enqueue_push(
    uow: UnitOfWork,
    partner: PartnerConfig,
    logical: str,
    payload: dict[str, Any],
    now: datetime,
    key: str | None = None,
) -> bool:
    """Add the row in `uow`'s transaction (commit is the caller's); False (nothing queued) when the partner
    does not take this push (a regulator without that interface configured)."""
    if partner.interface(logical) is None:
        return False
    await uow.outbox.add(push_message(partner, logical, payload, now, key))
    return True


class InterconnectPusher:
    """The deliverer of `interconnect.` rows: raises to have the drainer retry later, returns to close the
    row (delivered, or given up and recorded under FAILED_MODULE with an error log)."""

    def __init__(self, runtime: InterconnectRuntime, on_answer: AnswerHook | None = None) -> None:
        self._rt = runtime
        self._on_answer = on_answer

    def deliverers(self) -> list[tuple[str, Deliverer]]:
        return [(PREFIX, self.deliver)]

    async def deliver(self, message: OutboxMessage) -> None:
        payload = message.payload
        logical = str(payload.get("interface") or message.topic.removeprefix(PREFIX))
        operator_id = str(payload.get("operator_id") or message.target or "")
        partner = self._rt.config.partner(operator_id)
        if partner is None:
            log.warning(
                "interconnect_push_dropped", operator_id=operator_id, interface=logical, reason="no partner"
            )
            return
        remote = partner.interface(logical)
        if remote is None:  # a regulator that does not take this push (any more)
            log.info(
                "interconnect_push_dropped", partner=partner.name, interface=logical, reason="not configured"
            )
            return
        client = self._rt.client
        if client is None:
            raise PushRefusedError("the interconnect client is not started")
        raw = payload.get("data", "{}")
        data = codec.loads(raw.encode()) if isinstance(raw, str) else raw
        try:
            answer = await client.call(partner, remote, data)
        except InterconnectCallError as exc:
            if exc.retryable:
                raise
            await self._give_up(message, partner, logical, f"Ret {exc.ret}: {exc.msg}")
            return
        if self._on_answer is not None:
            await self._on_answer(partner, logical, data, answer)
        await self._check_answer(message, partner, logical, answer)

    async def _check_answer(
        self, message: OutboxMessage, partner: PartnerConfig, logical: str, answer: Any
    ) -> None:
        """Spec §2.8: `Status 1` on a station status means "discarded, do not retry"; `SuccStat 1` is a
        receive failure, retried; an order is done only when a ConfirmResult arrives."""
        if logical == STATION_STATUS or field_of(answer, "Status") is not None:
            if as_int(field_of(answer, "Status"), 0) == 1:
                log.info("interconnect_push_discarded", partner=partner.name, interface=logical)
            return
        if as_int(field_of(answer, "SuccStat"), 0) == 1:
            reason = field_of(answer, "FailReason")
            raise PushRefusedError(f"{partner.name} refused {logical} (SuccStat 1, FailReason {reason})")
        if logical == ORDER_INFO and field_of(answer, "ConfirmResult") is None:
            if self._rt.clock.now() - message.created >= ORDER_DEADLINE:
                await self._give_up(message, partner, logical, "no ConfirmResult within 24 h")
                return
            raise PushRefusedError(f"{partner.name} answered {logical} without a ConfirmResult")

    async def _give_up(
        self, message: OutboxMessage, partner: PartnerConfig, logical: str, reason: str
    ) -> None:
        """Configuration errors (4001/4003/4004) are not retried (spec §2.8): alert and keep the push so an
        operator can see it."""
        log.error("interconnect_push_failed", partner=partner.name, interface=logical, reason=reason)
        await self._rt.core.records.put(
            PartnerRecord(
                module=FAILED_MODULE,
                party=partner.ocpi_party,
                id=f"{message.id}",
                data={"interface": logical, "key": message.key, "reason": reason, "payload": message.payload},
                last_updated=self._rt.clock.now(),
            )
        )


# --- the status push we make as station operator ---------------------------------------------------------


class Kick(Protocol):
    def __call__(self) -> None: ...


def status_push_handler(
    runtime: InterconnectRuntime, agreements: Iterable[Agreement] = (), kick: Kick | None = None
) -> Callable[[EvseStatusChanged], Awaitable[None]]:
    """An event-bus handler for EvseStatusChanged: queues notification_stationStatus for our own stations.
    Written after the change committed (the bus runs then): a crash in between loses one status push, which
    the next status change or the partner's own query_station_status makes good."""
    agreements = tuple(agreements)

    async def on_evse_status_changed(event: EvseStatusChanged) -> None:
        if event.station_id is not None and parse_virtual_station_id(event.station_id) is not None:
            return  # a partner's own connector: never echoed back
        if len(event.evse_uid) > MAX_CONNECTOR_ID:
            log.info("interconnect_status_not_pushed", evse_uid=event.evse_uid, reason="ConnectorID too long")
            return
        core = runtime.core
        location = await core.locations.find_by_evse(event.evse_uid)
        if location is None or runtime.config.partner_of_party(location.party) is not None:
            return  # unknown, or a 互联互通 partner's own location
        receivers = [
            p
            for p in runtime.config.partners
            if p.interface(STATION_STATUS) is not None
            and (p.kind == "regulator" or location.publish)
            and may_see(p, location.party, agreements)
        ]
        await _enqueue_status(runtime, receivers, event.evse_uid, event.new, kick)

    return on_evse_status_changed


async def _enqueue_status(
    runtime: InterconnectRuntime,
    receivers: list[PartnerConfig],
    evse_uid: str,
    status: EvseStatus,
    kick: Kick | None,
) -> None:
    if not receivers:
        return
    info = {"ConnectorID": evse_uid, "Status": mapping.status_code(status)}
    now = runtime.clock.now()
    async with runtime.core.db.unit_of_work() as uow:
        for partner in receivers:
            key = f"interconnect:{partner.operator_id}:status:{evse_uid.upper()}"
            await enqueue_push(uow, partner, STATION_STATUS, {"ConnectorStatusInfo": info}, now, key)
        await uow.commit()
    if kick is not None:
        kick()


def remote_status_push_handler(
    runtime: InterconnectRuntime, agreements: Iterable[Agreement] = (), kick: Kick | None = None
) -> Callable[[RemoteEvseStatusChanged], Awaitable[None]]:
    """An event-bus handler for RemoteEvseStatusChanged: a remote CPO's EVSE status becomes
    notification_stationStatus for every operator partner whose agreements with that CPO cover
    "locations" (as for our own stations, a crash between the CPO's write and this row loses one push).
    Not when one of our own EVSEs uses the ConnectorID (ours is what the partner sees, handlers_data)."""
    agreements = tuple(agreements)

    async def on_remote_evse_status_changed(event: RemoteEvseStatusChanged) -> None:
        if not event.publish or len(event.evse_uid) > MAX_CONNECTOR_ID:
            return
        if await runtime.core.locations.find_by_evse(event.evse_uid) is not None:
            return
        receivers = [
            p
            for p in runtime.config.partners
            if p.kind == "operator"
            and p.interface(STATION_STATUS) is not None
            and p.ocpi_party.key() != event.party.key()
            and agreed(p, event.party, agreements, "locations")
        ]
        await _enqueue_status(runtime, receivers, event.evse_uid, event.new, kick)

    return on_remote_evse_status_changed


class PushScheduler(Protocol):
    """What the hub's scheduler offers (HubScheduler): its drainer and an immediate drain."""

    @property
    def drainer(self) -> Any: ...

    def kick(self) -> None: ...


class EventSubscriber(Protocol):
    def subscribe(self, event_type: Any, handler: Any) -> None: ...


def register_pushes(
    runtime: InterconnectRuntime,
    scheduler: PushScheduler,
    bus: EventSubscriber,
    *,
    agreements: Iterable[Agreement] = (),
    on_answer: AnswerHook | None = None,
) -> InterconnectPusher:
    """Wire the pushes: the `interconnect.` deliverer on the drainer and the status push on the bus."""
    pusher = InterconnectPusher(runtime, on_answer)
    for prefix, deliverer in pusher.deliverers():
        scheduler.drainer.register(prefix, deliverer)
    bus.subscribe(EvseStatusChanged, status_push_handler(runtime, agreements, scheduler.kick))
    bus.subscribe(RemoteEvseStatusChanged, remote_status_push_handler(runtime, agreements, scheduler.kick))
    return pusher
