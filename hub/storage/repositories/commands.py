"""SQL CommandRepository: commands sent to stations on behalf of a requester (their extra `data` as JSON
text), the reservation lookup, and per-station integers (reservation, remote-start and charging-profile ids)
from the `counters` table.

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select

from hub.core.models import Command, CommandResultType, CommandType, PartyRef
from hub.storage.base import (
    JSON_OBJECT,
    SqlRepository,
    dialect_insert,
    dump_json,
    key,
    parse_party,
    party_text,
    upsert,
)
from hub.storage.tables import commands, counters

_c = commands.c
_GET = select(commands).where(_c.id_key == bindparam("k"))
_RESERVATION = (
    select(commands)
    .where(
        _c.station_key == bindparam("station_key"),
        _c.reservation_key == bindparam("reservation_key"),
        _c.type == CommandType.RESERVE_NOW.value,
    )
    .order_by(_c.created.desc(), _c.last_updated.desc())
    .limit(1)
)
_RESERVATION_OF_REQUESTER = _RESERVATION.where(_c.requester_key == bindparam("requester_key"))
_RESERVATION_OF_OPERATOR = _RESERVATION.where(_c.requester_key.is_(None))


def from_core_command(command: Command) -> dict[str, Any]:
    return {
        "id_key": key(command.id),
        "id": command.id,
        "type": command.type.value,
        "requester": party_text(command.requester),
        "requester_key": None if command.requester is None else command.requester.key(),
        "station_id": command.station_id,
        "station_key": key(command.station_id),
        "location_id": command.location_id,
        "evse_uid": command.evse_uid,
        "connector_id": command.connector_id,
        "session_id": command.session_id,
        "token_uid": command.token_uid,
        "token_party": party_text(command.token_party),
        "authorization_reference": command.authorization_reference,
        "reservation_id": command.reservation_id,
        "reservation_key": None if command.reservation_id is None else key(command.reservation_id),
        "station_reservation_id": command.station_reservation_id,
        "remote_start_id": command.remote_start_id,
        "expiry": command.expiry,
        "charging_limit": command.limit,
        "limit_unit": command.limit_unit,
        "data_json": None if command.data is None else dump_json(JSON_OBJECT, command.data),
        "reply_to": command.reply_to,
        "result": None if command.result is None else command.result.value,
        "message": command.message,
        "created": command.created,
        "last_updated": command.last_updated,
    }


def to_core_command(row: Any) -> Command:
    return Command(
        id=row.id,
        type=CommandType(row.type),
        requester=parse_party(row.requester),
        station_id=row.station_id,
        location_id=row.location_id,
        evse_uid=row.evse_uid,
        connector_id=row.connector_id,
        session_id=row.session_id,
        token_uid=row.token_uid,
        token_party=parse_party(row.token_party),
        authorization_reference=row.authorization_reference,
        reservation_id=row.reservation_id,
        station_reservation_id=row.station_reservation_id,
        remote_start_id=row.remote_start_id,
        expiry=row.expiry,
        limit=row.charging_limit,
        limit_unit=row.limit_unit,
        data=None if row.data_json is None else JSON_OBJECT.validate_json(row.data_json),
        reply_to=row.reply_to,
        result=None if row.result is None else CommandResultType(row.result),
        message=row.message,
        created=row.created,
        last_updated=row.last_updated,
    )


def station_counter_name(station_id: str, kind: str) -> str:
    return f"station/{key(station_id)}/{kind}"


class SqlCommandRepository(SqlRepository):
    __slots__ = ()

    async def get(self, command_id: str) -> Command | None:
        row = (await self._tx.read(_GET, {"k": key(command_id)})).first()
        return None if row is None else to_core_command(row)

    async def put(self, command: Command) -> None:
        await self._tx.write(upsert(commands, self._dialect), from_core_command(command))

    async def find_reservation(
        self, station_id: str, reservation_id: str, requester: PartyRef | None
    ) -> Command | None:
        params = {"station_key": key(station_id), "reservation_key": key(reservation_id)}
        if requester is None:
            result = await self._tx.read(_RESERVATION_OF_OPERATOR, params)
        else:
            result = await self._tx.read(
                _RESERVATION_OF_REQUESTER, {**params, "requester_key": requester.key()}
            )
        row = result.first()
        return None if row is None else to_core_command(row)

    async def next_station_number(self, station_id: str, kind: str) -> int:
        result = await self._tx.write(
            _next_counter(self._dialect), {"counter": station_counter_name(station_id, kind)}
        )
        return int(result.scalar_one())


@functools.cache
def _next_counter(dialect: str) -> Any:
    """INSERT the counter at 1 or add 1 to it and return the value: one statement, row-locked until commit."""
    statement = dialect_insert(counters, dialect).values(name=bindparam("counter"), value=1)
    return statement.on_conflict_do_update(
        index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
    ).returning(counters.c.value)
