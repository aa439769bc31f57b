"""SQL OutboxRepository: messages for partners, written in the caller's transaction and delivered in order
per key. `claim_due` hands out the oldest undelivered message of each key when it is due; on PostgreSQL the
claimed rows stay locked (`FOR UPDATE SKIP LOCKED`) until the unit of work ends, so hub processes never claim
the same message. SQLite serves one process: claims are kept in that process until the unit of work ends.

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from hub.core.models import OutboxMessage
from hub.storage.base import JSON_OBJECT, SqlRepository, dump_json
from hub.storage.tables import outbox

_c = outbox.c
_earlier = outbox.alias("earlier")
_DUE = (
    select(outbox)
    .where(
        _c.delivered_at.is_(None),
        _c.next_attempt_at <= bindparam("now"),
        # the oldest undelivered message of its key: a key is delivered strictly in order
        ~exists().where(
            and_(_earlier.c.key == _c.key, _earlier.c.delivered_at.is_(None), _earlier.c.id < _c.id)
        ),
    )
    .order_by(_c.id)
    .limit(bindparam("limit"))
)
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True, of=outbox)
_ADD = insert(outbox).returning(_c.id)
_DELIVERED = update(outbox).where(_c.id == bindparam("message_id")).values(delivered_at=bindparam("when"))
_FAILED = (
    update(outbox)
    .where(_c.id == bindparam("message_id"))
    .values(
        attempts=_c.attempts + 1,
        last_error=bindparam("error"),
        next_attempt_at=bindparam("next_attempt"),
    )
)
_LEASE = update(outbox).where(_c.id == bindparam("message_id")).values(next_attempt_at=bindparam("until"))
_DEPTH = select(func.count()).select_from(outbox).where(_c.delivered_at.is_(None))
_later = outbox.alias("later")


def _of_topic(table: Any, topic: str, target_prefix: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [table.c.topic == topic]
    if target_prefix is not None:
        conditions.append(table.c.target.startswith(target_prefix, autoescape=True))
    return conditions


def _latest(topic: str, target_prefix: str | None) -> Select[Any]:
    """The newest row of each (target, key) of `topic`: no later row of the same topic, target and key."""
    newer = exists().where(
        _later.c.topic == _c.topic,
        _later.c.key == _c.key,
        _later.c.target.is_not_distinct_from(_c.target),
        _later.c.id > _c.id,
    )
    return select(outbox).where(*_of_topic(outbox, topic, target_prefix), ~newer)


def from_core_outbox_message(message: OutboxMessage) -> dict[str, Any]:
    return {
        "topic": message.topic,
        "key": message.key,
        "target": message.target,
        "payload_json": dump_json(JSON_OBJECT, message.payload),
        "created": message.created,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "delivered_at": message.delivered_at,
        "last_error": message.last_error,
    }


def to_core_outbox_message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        topic=row.topic,
        key=row.key,
        target=row.target,
        payload=JSON_OBJECT.validate_json(row.payload_json),
        created=row.created,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


class SqlOutboxRepository(SqlRepository):
    __slots__ = ()

    async def add(self, message: OutboxMessage) -> int:
        result = await self._tx.write_plain(_ADD, from_core_outbox_message(message))
        return int(result.scalar_one())

    async def claim_due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        if limit <= 0:
            return []
        backend = self._tx.backend
        if backend.is_postgres:
            rows = await self._tx.write(_DUE_LOCKED, {"now": now, "limit": limit})
            return [to_core_outbox_message(row) for row in rows]
        # Lock order: the database first (an in-memory database takes its one lock here), then the claims.
        await self._tx.connection()
        async with backend.claim_lock:
            # Messages another open unit of work claimed are skipped, like locked rows on PostgreSQL; the
            # messages behind them on the same key stay out because their head is still undelivered.
            taken = backend.claimed
            rows = await self._tx.read(_DUE, {"now": now, "limit": limit + len(taken)})
            claimed = [row for row in rows if row.id not in taken][:limit]
            ids = [row.id for row in claimed]
            taken.update(ids)
            self._tx.claimed.extend(ids)
        return [to_core_outbox_message(row) for row in claimed]

    async def mark_delivered(self, message_id: int, when: datetime) -> None:
        await self._tx.write(_DELIVERED, {"message_id": message_id, "when": when})

    async def mark_failed(self, message_id: int, error: str, next_attempt_at: datetime) -> None:
        await self._tx.write(
            _FAILED, {"message_id": message_id, "error": error, "next_attempt": next_attempt_at}
        )

    async def lease(self, message_id: int, until: datetime) -> None:
        await self._tx.write(_LEASE, {"message_id": message_id, "until": until})

    async def depth(self) -> int:
        return int((await self._tx.read(_DEPTH)).scalar_one())

    async def latest(self, topic: str, target_prefix: str | None = None) -> Sequence[OutboxMessage]:
        rows = await self._tx.read(_latest(topic, target_prefix))
        # Sorted here, not in SQL: NULL placement and text collation differ between the backends.
        messages = [to_core_outbox_message(row) for row in rows]
        messages.sort(key=lambda m: (m.target or "", m.key))
        return messages

    async def retry_failed(self, topic: str, target_prefix: str | None, when: datetime) -> int:
        statement = (
            update(outbox)
            .where(*_of_topic(outbox, topic, target_prefix), _c.delivered_at.is_(None), _c.attempts > 0)
            .values(next_attempt_at=when)
        )
        result = await self._tx.write(statement)
        return int(result.rowcount)
