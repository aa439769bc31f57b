"""Domain events and the in-process event bus the composition root wires adapters to.

Events are past-tense facts published after the transaction that caused them commits.
Imports the standard library, pydantic and structlog only.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog

from hub.core.models import (
    Alarm,
    Cdr,
    Command,
    CoreModel,
    EvseStatus,
    Location,
    Session,
    Station,
    StationNotification,
    Tariff,
    Token,
)

log = structlog.get_logger(__name__)


class DomainEvent(CoreModel):
    """Base of every event."""


class StationConnected(DomainEvent):
    station: Station


class StationDisconnected(DomainEvent):
    station_id: str


class StationBooted(DomainEvent):
    station: Station


class EvseStatusChanged(DomainEvent):
    location_id: str | None
    evse_uid: str
    station_id: str | None
    old: EvseStatus
    new: EvseStatus


class LocationChanged(DomainEvent):
    location: Location


class SessionUpdated(DomainEvent):
    session: Session
    created: bool = False


class CdrCreated(DomainEvent):
    cdr: Cdr


class TariffChanged(DomainEvent):
    tariff: Tariff


class TokenChanged(DomainEvent):
    token: Token


class CommandResultReceived(DomainEvent):
    command: Command


class AlarmRaised(DomainEvent):
    alarm: Alarm


class AlarmCleared(DomainEvent):
    alarm: Alarm


class StationNotified(DomainEvent):
    notification: StationNotification


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], Awaitable[None] | None]


class EventBus:
    """In-process publish/subscribe. Handlers run in subscription order; a failing handler is logged and
    does not stop the others (durable delivery is the outbox's job, not the bus's)."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None] | None]) -> None:
        self._handlers[event_type].append(handler)

    async def publish(self, event: DomainEvent) -> None:
        for event_type in type(event).__mro__:
            for handler in self._handlers.get(event_type, ()):
                try:
                    result = handler(event)
                    if asyncio.iscoroutine(result):
                        await result
                except Exception:
                    log.exception("event_handler_failed", event_type=type(event).__name__)

    async def publish_all(self, events: list[DomainEvent]) -> None:
        for event in events:
            await self.publish(event)
