"""Tariffs: storage with change events and outbox rows, and the tariff that prices a session.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.core.clock import Clock
from hub.core.events import EventBus, TariffChanged
from hub.core.models import PartyRef, Tariff
from hub.core.outbox import Topic, add_change, outbox_message, same_content, tariff_key
from hub.core.ports import Database, UnitOfWork


class TariffService:
    def __init__(self, db: Database, bus: EventBus, clock: Clock) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock

    async def put(self, tariff: Tariff) -> Tariff:
        """Insert or replace; a changed tariff is published (`TariffChanged`, outbox `tariff.updated`)."""
        async with self._db.unit_of_work() as uow:
            existing = await uow.tariffs.get(tariff.party, tariff.id)
            if same_content(existing, tariff):
                assert existing is not None
                return existing
            await uow.tariffs.put(tariff)
            await add_change(
                uow, Topic.TARIFF_UPDATED, tariff_key(tariff.party, tariff.id), tariff, self._clock.now()
            )
            await uow.commit()
        await self._bus.publish(TariffChanged(tariff=tariff))
        return tariff

    async def delete(self, party: PartyRef, tariff_id: str) -> bool:
        """Remove a tariff; returns False when there was none. Writes outbox `tariff.deleted`."""
        async with self._db.unit_of_work() as uow:
            existing = await uow.tariffs.get(party, tariff_id)
            if existing is None:
                return False
            await uow.tariffs.delete(party, tariff_id)
            payload = {"party": str(existing.party), "id": existing.id}
            await uow.outbox.add(
                outbox_message(Topic.TARIFF_DELETED, tariff_key(party, tariff_id), payload, self._clock.now())
            )
            await uow.commit()
        return True

    async def get(self, party: PartyRef, tariff_id: str) -> Tariff | None:
        async with self._db.unit_of_work() as uow:
            return await uow.tariffs.get(party, tariff_id)

    async def list(self, party: PartyRef | None = None) -> Sequence[Tariff]:
        async with self._db.unit_of_work() as uow:
            return await uow.tariffs.list(party)


async def find_tariff(uow: UnitOfWork, party: PartyRef, tariff_ids: Sequence[str | None]) -> Tariff | None:
    """The first of `tariff_ids` (connector's first, then the station's) that exists for `party`."""
    for tariff_id in tariff_ids:
        if tariff_id:
            tariff = await uow.tariffs.get(party, tariff_id)
            if tariff is not None:
                return tariff
    return None
