"""Tariffs: storage with change events and outbox rows, and the tariff that prices a session.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.core.clock import Clock
from hub.core.events import EventBus, TariffChanged
from hub.core.models import PartyRef, Tariff
from hub.core.outbox import Topic, add_change, outbox_message, same_content, tariff_key
from hub.core.ports import Database, UnitOfWork
from hub.core.pricing.validation import validate_tariff


class TariffService:
    def __init__(self, db: Database, bus: EventBus, clock: Clock) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock

    async def put(self, tariff: Tariff) -> Tariff:
        """Insert or replace; a changed tariff is published (`TariffChanged`, outbox `tariff.updated`).
        A tariff the engine cannot price is refused with InvalidRequestError naming the field."""
        validate_tariff(tariff)
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


async def find_tariff(
    uow: UnitOfWork, party: PartyRef, tariff_ids: Sequence[str | None], at: datetime | None = None
) -> Tariff | None:
    """The first of `tariff_ids` (connector's first, then the station's) that exists for `party`.

    With `at` (a session's start), each id's version valid then is preferred over the current tariff (a
    tariff changed mid-session does not reprice it), and a tariff whose start_date_time/end_date_time
    (end exclusive, OCPI Tariff) leaves out `at` is passed over for the next id."""
    for tariff_id in tariff_ids:
        if not tariff_id:
            continue
        tariff = None if at is None else await uow.tariffs.get_at(party, tariff_id, at)
        if tariff is None:
            tariff = await uow.tariffs.get(party, tariff_id)
        if tariff is not None and (at is None or _in_force(tariff, at)):
            return tariff
    return None


def _in_force(tariff: Tariff, at: datetime) -> bool:
    starts, ends = tariff.start_date_time, tariff.end_date_time
    return (starts is None or starts <= at) and (ends is None or at < ends)
