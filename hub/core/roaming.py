"""Objects partners push to our hosted parties (locations, sessions, CDRs, tariffs), kept verbatim as
`PartnerRecord`s: one-unit-of-work reads and writes.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.core.clock import Clock
from hub.core.models import PartnerRecord, PartyRef
from hub.core.ports import Database


class PartnerRecordService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, module: str, party: PartyRef, record_id: str) -> PartnerRecord | None:
        """Case-insensitive on party and id."""
        async with self._db.unit_of_work() as uow:
            return await uow.records.get(module, party, record_id)

    async def put(self, record: PartnerRecord) -> PartnerRecord:
        """Insert or replace; returns the record as stored."""
        async with self._db.unit_of_work() as uow:
            await uow.records.put(record)
            await uow.commit()
        return record

    async def delete(self, module: str, party: PartyRef, record_id: str) -> bool:
        """Remove a record; returns False when there was none."""
        async with self._db.unit_of_work() as uow:
            if await uow.records.get(module, party, record_id) is None:
                return False
            await uow.records.delete(module, party, record_id)
            await uow.commit()
        return True

    async def list(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[PartnerRecord]:
        """Ordered by last_updated then id; date_from inclusive, date_to exclusive."""
        async with self._db.unit_of_work() as uow:
            return await uow.records.list(module, party, date_from, date_to, offset, limit)

    async def count(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int:
        async with self._db.unit_of_work() as uow:
            return await uow.records.count(module, party, date_from, date_to)
