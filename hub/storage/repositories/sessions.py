"""SQL SessionRepository: one row per session, charging periods as one JSON value; indexed lookups by
(station, transaction id), idempotency key, (station, remote-start id) and (station, status).
OCPP transaction numbers come from a PostgreSQL SEQUENCE, or on SQLite from the `counters` table.

Imports SQLAlchemy, pydantic, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Sequence as SqlSequence
from sqlalchemy import bindparam, exc, func, or_, select, update

from hub.core.errors import ConflictError
from hub.core.models import AuthMethod, ChargingPeriod, PartyRef, Session, SessionStatus, TokenType
from hub.storage.base import (
    SqlRepository,
    dump_json,
    in_window,
    key,
    page,
    parse_party,
    party_columns,
    party_of,
    party_text,
    upsert,
)
from hub.storage.tables import (
    MAX_TRANSACTION_NUMBER,
    TRANSACTION_NUMBER_COUNTER,
    TRANSACTION_NUMBER_SEQUENCE,
    counters,
    sessions,
)

PERIODS: TypeAdapter[tuple[ChargingPeriod, ...]] = TypeAdapter(tuple[ChargingPeriod, ...])

_c = sessions.c
_ACTIVE = (SessionStatus.PENDING.value, SessionStatus.ACTIVE.value)
_GET = select(sessions).where(_c.id_key == bindparam("k"))
_BY_TRANSACTION = (
    select(sessions)
    .where(_c.station_key == bindparam("station_key"), _c.transaction_id == bindparam("transaction_id"))
    .order_by(_c.start, _c.id)
    .limit(1)
)
_BY_IDEMPOTENCY_KEY = select(sessions).where(_c.idempotency_key == bindparam("k")).limit(1)
_ACTIVE_AT_STATION = (
    select(sessions)
    # OR rather than IN: an IN list is expanded per execution, which the plain (precompiled) path cannot do.
    .where(_c.station_key == bindparam("station_key"), or_(*(_c.status == status for status in _ACTIVE)))
    .order_by(_c.start, _c.id)
)
_ACTIVE_AT_EVSE = _ACTIVE_AT_STATION.where(func.lower(_c.evse_uid) == bindparam("evse_key"))
_PENDING_REMOTE_START = (
    select(sessions)
    .where(
        _c.station_key == bindparam("station_key"),
        _c.remote_start_id == bindparam("remote_start_id"),
        _c.status == SessionStatus.PENDING.value,
    )
    .order_by(_c.start, _c.id)
    .limit(1)
)
_PENDING_BEFORE = (
    select(sessions)
    .where(_c.status == SessionStatus.PENDING.value, _c.start < bindparam("before"))
    .order_by(_c.start, _c.id)
    .limit(bindparam("limit"))
)
_ORDER = (_c.last_updated, _c.id)
_NEXT_FROM_SEQUENCE = select(SqlSequence(TRANSACTION_NUMBER_SEQUENCE).next_value())
_NEXT_FROM_COUNTER = (
    update(counters)
    .where(counters.c.name == TRANSACTION_NUMBER_COUNTER)
    .values(value=func.max(counters.c.value, bindparam("floor")) + 1)
    .returning(counters.c.value)
)


def from_core_session(session: Session) -> dict[str, Any]:
    return {
        "id_key": key(session.id),
        "id": session.id,
        **party_columns(session.party),
        "status": session.status.value,
        "start": session.start,
        "end": session.end,
        "location_id": session.location_id,
        "evse_uid": session.evse_uid,
        "connector_id": session.connector_id,
        "station_id": session.station_id,
        "station_key": None if session.station_id is None else key(session.station_id),
        "transaction_id": session.transaction_id,
        "token_uid": session.token_uid,
        "token_party": party_text(session.token_party),
        "token_type": session.token_type.value,
        "contract_id": session.contract_id,
        "auth_method": session.auth_method.value,
        "authorization_reference": session.authorization_reference,
        "meter_start_wh": session.meter_start_wh,
        "meter_last_wh": session.meter_last_wh,
        "kwh": session.kwh,
        "charging_periods_json": dump_json(PERIODS, session.charging_periods),
        "currency": session.currency,
        "tariff_id": session.tariff_id,
        "total_cost": session.total_cost,
        "remote_start_id": session.remote_start_id,
        "reservation_id": session.reservation_id,
        "last_seq_no": session.last_seq_no,
        "offline": session.offline,
        "reconstructed": session.reconstructed,
        "stop_reason": session.stop_reason,
        "idempotency_key": session.idempotency_key,
        "last_updated": session.last_updated,
    }


def to_core_session(row: Any) -> Session:
    return Session(
        id=row.id,
        party=party_of(row),
        status=SessionStatus(row.status),
        start=row.start,
        end=row.end,
        location_id=row.location_id,
        evse_uid=row.evse_uid,
        connector_id=row.connector_id,
        station_id=row.station_id,
        transaction_id=row.transaction_id,
        token_uid=row.token_uid,
        token_party=parse_party(row.token_party),
        token_type=TokenType(row.token_type),
        contract_id=row.contract_id,
        auth_method=AuthMethod(row.auth_method),
        authorization_reference=row.authorization_reference,
        meter_start_wh=row.meter_start_wh,
        meter_last_wh=row.meter_last_wh,
        kwh=row.kwh,
        charging_periods=PERIODS.validate_json(row.charging_periods_json),
        currency=row.currency,
        tariff_id=row.tariff_id,
        total_cost=row.total_cost,
        remote_start_id=row.remote_start_id,
        reservation_id=row.reservation_id,
        last_seq_no=row.last_seq_no,
        offline=row.offline,
        reconstructed=row.reconstructed,
        stop_reason=row.stop_reason,
        idempotency_key=row.idempotency_key,
        last_updated=row.last_updated,
    )


class SqlSessionRepository(SqlRepository):
    __slots__ = ()

    async def _one(self, statement: Any, params: dict[str, Any]) -> Session | None:
        rows = await self._tx.read_plain(statement, params)
        return to_core_session(rows[0]) if rows else None

    async def get(self, session_id: str) -> Session | None:
        return await self._one(_GET, {"k": key(session_id)})

    async def put(self, session: Session) -> None:
        try:
            await self._tx.write_plain(upsert(sessions, self._dialect), from_core_session(session))
        except exc.IntegrityError as error:
            # The only other unique index: another session holds this idempotency key.
            raise ConflictError(f"a session with idempotency key {session.idempotency_key} exists") from error

    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        return await self._one(
            _BY_TRANSACTION, {"station_key": key(station_id), "transaction_id": transaction_id}
        )

    async def find_by_idempotency_key(self, key: str) -> Session | None:
        return await self._one(_BY_IDEMPOTENCY_KEY, {"k": key})

    async def find_active(self, station_id: str, evse_uid: str | None = None) -> Sequence[Session]:
        if evse_uid is None:
            rows = await self._tx.read_plain(_ACTIVE_AT_STATION, {"station_key": key(station_id)})
        else:
            rows = await self._tx.read_plain(
                _ACTIVE_AT_EVSE, {"station_key": key(station_id), "evse_key": key(evse_uid)}
            )
        return [to_core_session(row) for row in rows]

    async def find_pending_remote_start(self, station_id: str, remote_start_id: int) -> Session | None:
        return await self._one(
            _PENDING_REMOTE_START, {"station_key": key(station_id), "remote_start_id": remote_start_id}
        )

    async def find_pending(self, started_before: datetime, limit: int) -> Sequence[Session]:
        rows = await self._tx.read(_PENDING_BEFORE, {"before": started_before, "limit": limit})
        return [to_core_session(row) for row in rows]

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Session]:
        statement = select(sessions)
        if party is not None:
            statement = statement.where(_c.party_key == party.key())
        statement = in_window(statement, _c.last_updated, date_from, date_to).order_by(*_ORDER)
        return [to_core_session(row) for row in await self._tx.read(page(statement, offset, limit))]

    async def next_transaction_number(self) -> int:
        backend = self._tx.backend
        if backend.is_postgres:
            return int((await self._tx.read(_NEXT_FROM_SEQUENCE)).scalar_one())
        # SQLite: the counter moves inside this transaction, under the write lock. The process remembers
        # the highest number it handed out, so a rolled-back unit of work never makes a number reappear.
        result = await self._tx.write_plain(_NEXT_FROM_COUNTER, {"floor": backend.last_transaction_number})
        number = int(result.scalar_one())
        if number > MAX_TRANSACTION_NUMBER:
            raise OverflowError("OCPP transaction numbers exhausted (2**31-1 handed out)")
        backend.last_transaction_number = number
        return number
