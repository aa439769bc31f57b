"""SQL implementations of the core's repository ports and the unit of work that groups them.

Imports SQLAlchemy, pydantic, core models/ports and hub.storage internals only.
"""

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
from hub.storage.repositories.unit_of_work import SqlUnitOfWork

__all__ = [
    "SqlAlarmRepository",
    "SqlCdrRatingRepository",
    "SqlCdrRepository",
    "SqlCommandRepository",
    "SqlLocationRepository",
    "SqlOutboxRepository",
    "SqlPartnerRecordRepository",
    "SqlPartyRepository",
    "SqlPlatformRepository",
    "SqlSessionRepository",
    "SqlStationNotificationRepository",
    "SqlStationRepository",
    "SqlTariffRepository",
    "SqlTokenRepository",
    "SqlUnitOfWork",
]
