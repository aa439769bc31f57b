"""OcpiPushService: the outbox deliverers — expansion of core rows per receiver, the welcome of a new
platform, and the dispatch of each `ocpi.` row to its topic's pusher. Imports ocpi_modules and the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from hub.core.models import OutboxMessage, PartyRef, PlatformStatus, Role
from hub.core.outbox import Topic, location_key, tariff_key, token_key
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.push.base import (
    CPO_AUDIENCE,
    MODULES,
    PREFIX,
    Deliverer,
    PushFailedError,
    Receiver,
    parse_target,
)
from ocpi_modules.v2_2_1.push.pushers import ObjectPushersMixin
from ocpi_modules.v2_2_1.push.receivers import ReceiversMixin
from ocpi_modules.v2_2_1.push.session_ledger import SessionPushersMixin

log = structlog.get_logger(__name__)

# Status and location data are never queued for a platform that is not CONNECTED: it resyncs by GET (OF-02).
# Tokens are not dropped: their distribution status must show FAILED until they are delivered.
DROPPED_WHEN_OFFLINE = frozenset(
    {Topic.LOCATION_UPDATED, Topic.EVSE_STATUS, Topic.TARIFF_UPDATED, Topic.TARIFF_DELETED}
)


class OcpiPushService(ReceiversMixin, ObjectPushersMixin, SessionPushersMixin):
    """Expands core outbox rows per receiver and pushes each receiver's row (see the package docstring)."""

    def __init__(self, rt: OcpiRuntime) -> None:
        self._rt = rt
        self._pushers: dict[str, Callable[[Receiver, dict[str, Any]], Awaitable[None]]] = {
            Topic.LOCATION_UPDATED: self._push_location,
            Topic.EVSE_STATUS: self._push_evse_status,
            Topic.TARIFF_UPDATED: self._push_tariff,
            Topic.TARIFF_DELETED: self._push_tariff_deletion,
            Topic.SESSION_UPDATED: self._push_session,
            Topic.CDR_CREATED: self._push_cdr,
            Topic.TOKEN_UPDATED: self._push_token,
            Topic.COMMAND_RESULT: self._push_command_result,
        }

    def deliverers(self) -> list[tuple[str, Deliverer]]:
        """(topic prefix, deliverer) pairs for the outbox drainer: one expander per core topic and the pusher
        of the expanded `ocpi.` rows."""
        pairs: list[tuple[str, Deliverer]] = [(str(topic), self.expand) for topic in MODULES]
        pairs.append((PREFIX, self.push))
        return pairs

    # --- expansion ---------------------------------------------------------------------------------------

    async def expand(self, message: OutboxMessage) -> None:
        """Add one `ocpi.<topic>` row per receiver of a core row and close the core row in one transaction."""
        assert message.id is not None
        now = self._rt.clock.now()
        async with self._rt.core.db.unit_of_work() as uow:
            receivers = await self._receivers(uow, message)
            for receiver in receivers:
                target = receiver.target
                await uow.outbox.add(
                    OutboxMessage(
                        topic=PREFIX + message.topic,
                        key=f"{target}|{message.key}",
                        target=target,
                        payload=message.payload,
                        created=now,
                        next_attempt_at=now,
                    )
                )
            await uow.outbox.mark_delivered(message.id, now)
            await uow.commit()
        if receivers:
            log.debug("ocpi_push_expanded", topic=message.topic, key=message.key, receivers=len(receivers))

    async def welcome(self, platform_id: str) -> int:
        """Queue for a newly registered platform what it must know from the start — our CPO's published
        locations and tariffs, our eMSP's tokens — exactly as the change pushes would have sent it, and
        return how many rows were queued. Partners that want more pull (and our resync pulls from them)."""
        core, now = self._rt.core, self._rt.clock.now()
        queued = 0
        async with core.db.unit_of_work() as uow:

            async def queue(
                topic: Topic, key: str, owner: PartyRef, model: Any, roles: frozenset[Role]
            ) -> None:
                nonlocal queued
                for receiver in await self._broadcast(uow, owner, roles, MODULES[topic]):
                    if receiver.platform.id != platform_id:
                        continue
                    target = receiver.target
                    await uow.outbox.add(
                        OutboxMessage(
                            topic=PREFIX + topic,
                            key=f"{target}|{key}",
                            target=target,
                            payload=model.model_dump(mode="json"),
                            created=now,
                            next_attempt_at=now,
                        )
                    )
                    queued += 1

            for cpo in self._rt.config.hosted_by_role(Role.CPO):
                for location in await uow.locations.list(party=cpo.ref):
                    if location.publish:
                        key = location_key(location.party, location.id)
                        await queue(Topic.LOCATION_UPDATED, key, cpo.ref, location, CPO_AUDIENCE)
                for tariff in await uow.tariffs.list(cpo.ref):
                    key = tariff_key(tariff.party, tariff.id)
                    await queue(Topic.TARIFF_UPDATED, key, cpo.ref, tariff, CPO_AUDIENCE)
            for emsp in self._rt.config.hosted_by_role(Role.EMSP):
                for token in await uow.tokens.list(emsp.ref):
                    if token.own:
                        key = token_key(token.party, token.uid)
                        await queue(Topic.TOKEN_UPDATED, key, emsp.ref, token, frozenset({Role.CPO}))
            await uow.commit()
        log.info("ocpi_platform_welcomed", platform_id=platform_id, queued=queued)
        return queued

    # --- pushing one row to one receiver -------------------------------------------------------------------

    async def push(self, message: OutboxMessage) -> None:
        """Push an `ocpi.` row to its receiver; raises PushFailedError unless it answered success."""
        topic = message.topic.removeprefix(PREFIX)
        pusher = self._pushers.get(topic)
        if pusher is None or message.target is None:
            log.warning("ocpi_push_unroutable", topic=message.topic, key=message.key)
            return
        platform_id, party = parse_target(message.target)
        platform = await self._rt.core.platforms.get(platform_id)
        if platform is None or platform.status is PlatformStatus.SUSPENDED or platform.role_of(party) is None:
            log.info("ocpi_push_dropped", topic=topic, platform_id=platform_id, reason="receiver gone")
            return
        if platform.status is not PlatformStatus.CONNECTED:
            if topic in DROPPED_WHEN_OFFLINE:
                log.info(
                    "ocpi_push_dropped", topic=topic, platform_id=platform_id, reason=str(platform.status)
                )
                return
            raise PushFailedError(f"platform {platform_id} is {platform.status}")
        await pusher(Receiver(platform, party), message.payload)
