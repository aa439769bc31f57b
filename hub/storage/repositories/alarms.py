"""SQL AlarmRepository and StationNotificationRepository: station alarms (open until `ended`) and the
recorded station facts the core does not act on.

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from hub.core.errors import ConflictError
from hub.core.models import Alarm, StationNotification
from hub.storage.base import JSON_OBJECT, SqlRepository, dump_json, insert_new, key, page, upsert
from hub.storage.tables import alarms, station_notifications

_a = alarms.c
_ALARM_ORDER = (_a.started, _a.id)
_OPEN_ALARMS = (
    select(alarms)
    .where(_a.station_key == bindparam("station_key"), _a.ended.is_(None))
    .order_by(*_ALARM_ORDER)
)

_n = station_notifications.c


def from_core_alarm(alarm: Alarm) -> dict[str, Any]:
    return {
        "id_key": key(alarm.id),
        "id": alarm.id,
        "station_id": alarm.station_id,
        "station_key": key(alarm.station_id),
        "evse_uid": alarm.evse_uid,
        "code": alarm.code,
        "description": alarm.description,
        "severity": alarm.severity,
        "started": alarm.started,
        "ended": alarm.ended,
        "last_updated": alarm.last_updated,
    }


def to_core_alarm(row: Any) -> Alarm:
    return Alarm(
        id=row.id,
        station_id=row.station_id,
        evse_uid=row.evse_uid,
        code=row.code,
        description=row.description,
        severity=row.severity,
        started=row.started,
        ended=row.ended,
        last_updated=row.last_updated,
    )


class SqlAlarmRepository(SqlRepository):
    __slots__ = ()

    async def put(self, alarm: Alarm) -> None:
        await self._tx.write(upsert(alarms, self._dialect), from_core_alarm(alarm))

    async def open_alarms(self, station_id: str) -> Sequence[Alarm]:
        return [
            to_core_alarm(row) for row in await self._tx.read(_OPEN_ALARMS, {"station_key": key(station_id)})
        ]

    async def list(
        self, station_id: str | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Alarm]:
        statement = select(alarms)
        if station_id is not None:
            statement = statement.where(_a.station_key == key(station_id))
        statement = page(statement.order_by(*_ALARM_ORDER), offset, limit)
        return [to_core_alarm(row) for row in await self._tx.read(statement)]


def from_core_notification(notification: StationNotification) -> dict[str, Any]:
    return {
        "id_key": key(notification.id),
        "id": notification.id,
        "station_id": notification.station_id,
        "station_key": key(notification.station_id),
        "kind": notification.kind,
        "timestamp": notification.timestamp,
        "payload_json": dump_json(JSON_OBJECT, notification.payload),
    }


def to_core_notification(row: Any) -> StationNotification:
    return StationNotification(
        id=row.id,
        station_id=row.station_id,
        kind=row.kind,
        timestamp=row.timestamp,
        payload=JSON_OBJECT.validate_json(row.payload_json),
    )


class SqlStationNotificationRepository(SqlRepository):
    __slots__ = ()

    async def add(self, notification: StationNotification) -> None:
        result = await self._tx.write(
            insert_new(station_notifications, self._dialect), from_core_notification(notification)
        )
        if result.first() is None:
            raise ConflictError(f"station notification {notification.id} exists already")

    async def list(
        self, station_id: str, kind: str | None = None, limit: int | None = None
    ) -> Sequence[StationNotification]:
        """Oldest first; with `limit`, the most recent `limit` of them."""
        statement = select(station_notifications).where(_n.station_key == key(station_id))
        if kind is not None:
            statement = statement.where(_n.kind == kind)
        if limit is None:
            rows = list(await self._tx.read(statement.order_by(_n.timestamp, _n.id)))
        else:
            rows = list(
                await self._tx.read(statement.order_by(_n.timestamp.desc(), _n.id.desc()).limit(limit))
            )
            rows.reverse()
        return [to_core_notification(row) for row in rows]
