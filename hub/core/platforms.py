"""Partner platforms registered with the hub: one-unit-of-work lookups and writes of `Platform`s.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.core.clock import Clock
from hub.core.models import PartyRef, Platform
from hub.core.ports import Database


class PlatformService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, platform_id: str) -> Platform | None:
        async with self._db.unit_of_work() as uow:
            return await uow.platforms.get(platform_id)

    async def put(self, platform: Platform) -> Platform:
        """Insert or replace; returns the platform as stored."""
        async with self._db.unit_of_work() as uow:
            await uow.platforms.put(platform)
            await uow.commit()
        return platform

    async def list(self) -> Sequence[Platform]:
        """Ordered by name, then id."""
        async with self._db.unit_of_work() as uow:
            return await uow.platforms.list()

    async def find_by_token(self, token: str) -> Platform | None:
        """The platform holding `token` as invitation, inbound or previous inbound token (exact match);
        the caller checks status and the previous token's expiry."""
        async with self._db.unit_of_work() as uow:
            return await uow.platforms.find_by_token(token)

    async def find_by_party(self, party: PartyRef) -> Platform | None:
        """A platform, not SUSPENDED, that carries `party` (case-insensitive)."""
        async with self._db.unit_of_work() as uow:
            return await uow.platforms.find_by_party(party)
