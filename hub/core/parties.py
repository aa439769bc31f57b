"""Parties run on or reached through this hub: the seeding API (`ensure`) and lookups.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.core.models import Party, PartyRef
from hub.core.outbox import same_content
from hub.core.ports import Database


class PartyService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(self, party: Party) -> Party:
        """Store `party` unless the same party is stored already; returns the stored party."""
        async with self._db.unit_of_work() as uow:
            existing = await uow.parties.get(party.ref)
            if existing is not None and same_content(existing, party):
                return existing
            await uow.parties.put(party)
            await uow.commit()
        return party

    async def get(self, ref: PartyRef) -> Party | None:
        async with self._db.unit_of_work() as uow:
            return await uow.parties.get(ref)

    async def list(self) -> Sequence[Party]:
        async with self._db.unit_of_work() as uow:
            return await uow.parties.list()
