"""Station alarms (告警): queries over the alarms the charge-point service raises and ends.

Imports the standard library and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.core.models import Alarm
from hub.core.ports import Database


class AlarmService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(self, station_id: str) -> Sequence[Alarm]:
        """Alarms of a station that have not ended, oldest first."""
        async with self._db.unit_of_work() as uow:
            return await uow.alarms.open_alarms(station_id)

    async def list(
        self, station_id: str | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Alarm]:
        async with self._db.unit_of_work() as uow:
            return await uow.alarms.list(station_id, offset, limit)
