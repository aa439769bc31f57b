"""Locations with their EVSEs and connectors: the seeding API, lookups, and the per-location lock every
read-modify-write of a location takes (EVSE status changes of several stations share one location).

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from hub.core.clock import Clock
from hub.core.errors import NotFoundError
from hub.core.events import DomainEvent, EventBus, LocationChanged
from hub.core.models import Evse, Location, PartyRef
from hub.core.outbox import Topic, add_change, location_key, same_content
from hub.core.ports import Database, UnitOfWork


class LocationService:
    def __init__(self, db: Database, bus: EventBus, clock: Clock) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, party: PartyRef, location_id: str) -> asyncio.Lock:
        """Serialises read-modify-write of one location inside this process."""
        key = location_key(party, location_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def put(self, location: Location, *, keep_station_evses: bool = True) -> Location:
        """Insert or replace a location. With `keep_station_evses`, EVSEs driven by our stations that
        `location` does not list are kept (config seeds locations without EVSEs; stations add them)."""
        async with self.lock(location.party, location.id), self._db.unit_of_work() as uow:
            existing = await uow.locations.get(location.party, location.id)
            if existing is not None and keep_station_evses:
                listed = {e.uid.upper() for e in location.evses}
                kept = tuple(
                    e for e in existing.evses if e.station_id is not None and e.uid.upper() not in listed
                )
                location = location.model_copy(update={"evses": location.evses + kept})
            events = await save_location(uow, existing, location, self._clock.now())
            if not events:
                assert existing is not None
                return existing
            await uow.commit()
        await self._bus.publish_all(events)
        return location

    async def put_evse(self, party: PartyRef, location_id: str, evse: Evse) -> Location:
        """Insert or replace one EVSE; the location's `last_updated` follows the EVSE's."""
        async with self.lock(party, location_id), self._db.unit_of_work() as uow:
            existing = await uow.locations.get(party, location_id)
            if existing is None:
                raise NotFoundError(f"location {location_id} of {party}")
            others = tuple(e for e in existing.evses if e.uid.upper() != evse.uid.upper())
            updated = existing.model_copy(
                update={
                    "evses": (*others, evse),
                    "last_updated": max(existing.last_updated, evse.last_updated),
                }
            )
            events = await save_location(uow, existing, updated, self._clock.now())
            if not events:
                return existing
            await uow.commit()
        await self._bus.publish_all(events)
        return updated

    async def get(self, party: PartyRef, location_id: str) -> Location | None:
        async with self._db.unit_of_work() as uow:
            return await uow.locations.get(party, location_id)

    async def find_by_evse(self, evse_uid: str) -> Location | None:
        async with self._db.unit_of_work() as uow:
            return await uow.locations.find_by_evse(evse_uid)

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Location]:
        async with self._db.unit_of_work() as uow:
            return await uow.locations.list(party, date_from, date_to, offset, limit)

    async def count(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int:
        async with self._db.unit_of_work() as uow:
            return await uow.locations.count(party, date_from, date_to)


async def save_location(
    uow: UnitOfWork, existing: Location | None, location: Location, now: datetime
) -> list[DomainEvent]:
    """Store a changed location with its outbox row (`location.updated`); returns the events to publish
    after commit, or none when nothing changed."""
    if same_content(existing, location):
        return []
    await uow.locations.put(location)
    await add_change(uow, Topic.LOCATION_UPDATED, location_key(location.party, location.id), location, now)
    return [LocationChanged(location=location)]
