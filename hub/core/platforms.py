"""Partner platforms registered with the hub: one-unit-of-work lookups and writes of `Platform`s.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hub.core.clock import Clock
from hub.core.models import PartyRef, Platform
from hub.core.ports import Database

# Every OCPI request looks its caller up by token: answers (hits and misses) are kept this long. A write
# through this service clears them at once; a write by another hub process is seen within this time.
TOKEN_CACHE_TTL = timedelta(seconds=2)
TOKEN_CACHE_MAX = 10_000  # distinct presented tokens remembered (bounded: callers choose what they send)


class PlatformService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._by_token: dict[str, tuple[Platform | None, datetime]] = {}
        # Relays look the receiver up by party and by id on every request: the same short memory as tokens.
        self._by_party: dict[str, tuple[Platform | None, datetime]] = {}
        self._by_id: dict[str, tuple[Platform | None, datetime]] = {}

    def _remembered(
        self, cache: dict[str, tuple[Platform | None, datetime]], key: str
    ) -> tuple[bool, Platform | None]:
        cached = cache.get(key)
        if cached is not None and cached[1] > self._clock.now():
            return True, cached[0]
        return False, None

    def _remember(
        self, cache: dict[str, tuple[Platform | None, datetime]], key: str, value: Platform | None
    ) -> None:
        if len(cache) >= TOKEN_CACHE_MAX:
            cache.clear()
        cache[key] = (value, self._clock.now() + TOKEN_CACHE_TTL)

    async def get(self, platform_id: str) -> Platform | None:
        hit, platform = self._remembered(self._by_id, platform_id)
        if hit:
            return platform
        async with self._db.unit_of_work() as uow:
            platform = await uow.platforms.get(platform_id)
        self._remember(self._by_id, platform_id, platform)
        return platform

    async def put(self, platform: Platform) -> Platform:
        """Insert or replace; returns the platform as stored."""
        async with self._db.unit_of_work() as uow:
            await uow.platforms.put(platform)
            await uow.commit()
        self._by_token.clear()
        self._by_party.clear()
        self._by_id.clear()
        return platform

    async def list(self) -> Sequence[Platform]:
        """Ordered by name, then id."""
        async with self._db.unit_of_work() as uow:
            return await uow.platforms.list()

    async def find_by_token(self, token: str) -> Platform | None:
        """The platform holding `token` as invitation, inbound or previous inbound token (exact match);
        the caller checks status and the previous token's expiry."""
        now = self._clock.now()
        cached = self._by_token.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._db.unit_of_work() as uow:
            platform = await uow.platforms.find_by_token(token)
        if len(self._by_token) >= TOKEN_CACHE_MAX:
            self._by_token.clear()
        self._by_token[token] = (platform, now + TOKEN_CACHE_TTL)
        return platform

    async def find_by_party(self, party: PartyRef) -> Platform | None:
        """A platform, not SUSPENDED, that carries `party` (case-insensitive)."""
        key = party.key()
        hit, platform = self._remembered(self._by_party, key)
        if hit:
            return platform
        async with self._db.unit_of_work() as uow:
            platform = await uow.platforms.find_by_party(party)
        self._remember(self._by_party, key, platform)
        return platform
