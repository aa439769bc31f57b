"""SqlUnitOfWork: the repositories of one transaction, committed or rolled back as one.

Imports core ports and hub.storage internals only.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from hub.core.ports import (
    AlarmRepository,
    CdrRatingRepository,
    CdrRepository,
    CommandRepository,
    LocationRepository,
    OutboxRepository,
    PartnerRecordRepository,
    PartyRepository,
    PlatformRepository,
    SessionRepository,
    StationNotificationRepository,
    StationRepository,
    TariffRepository,
    TokenRepository,
)
from hub.storage.engine import Backend, SqlTransaction
from hub.storage.outbox import SqlOutboxRepository
from hub.storage.repositories.alarms import SqlAlarmRepository, SqlStationNotificationRepository
from hub.storage.repositories.cdrs import SqlCdrRepository
from hub.storage.repositories.commands import SqlCommandRepository
from hub.storage.repositories.locations import SqlLocationRepository
from hub.storage.repositories.parties import SqlPartyRepository, SqlStationRepository
from hub.storage.repositories.platforms import SqlPlatformRepository
from hub.storage.repositories.ratings import SqlCdrRatingRepository
from hub.storage.repositories.records import SqlPartnerRecordRepository
from hub.storage.repositories.sessions import SqlSessionRepository
from hub.storage.repositories.tariffs import SqlTariffRepository
from hub.storage.repositories.tokens import SqlTokenRepository
from hub.storage.secrets import TokenCipher


class SqlUnitOfWork:
    """Implements `hub.core.ports.UnitOfWork`. The connection is taken at the first statement and given
    back when the `async with` block ends; what was not committed is rolled back then."""

    __slots__ = (
        "_tx",
        "alarms",
        "cdrs",
        "commands",
        "locations",
        "notifications",
        "outbox",
        "parties",
        "platforms",
        "ratings",
        "records",
        "sessions",
        "stations",
        "tariffs",
        "tokens",
    )

    def __init__(self, backend: Backend, cipher: TokenCipher) -> None:
        tx = self._tx = SqlTransaction(backend)
        self.parties: PartyRepository = SqlPartyRepository(tx)
        self.locations: LocationRepository = SqlLocationRepository(tx)
        self.stations: StationRepository = SqlStationRepository(tx)
        self.tokens: TokenRepository = SqlTokenRepository(tx)
        self.sessions: SessionRepository = SqlSessionRepository(tx)
        self.cdrs: CdrRepository = SqlCdrRepository(tx)
        self.tariffs: TariffRepository = SqlTariffRepository(tx)
        self.commands: CommandRepository = SqlCommandRepository(tx)
        self.alarms: AlarmRepository = SqlAlarmRepository(tx)
        self.notifications: StationNotificationRepository = SqlStationNotificationRepository(tx)
        self.outbox: OutboxRepository = SqlOutboxRepository(tx)
        self.platforms: PlatformRepository = SqlPlatformRepository(tx, cipher)
        self.records: PartnerRecordRepository = SqlPartnerRecordRepository(tx)
        self.ratings: CdrRatingRepository = SqlCdrRatingRepository(tx)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._tx.close()

    async def commit(self) -> None:
        await self._tx.commit()

    async def rollback(self) -> None:
        await self._tx.rollback()
