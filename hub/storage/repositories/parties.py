"""SQL PartyRepository and StationRepository: parties known to the hub and OCPP station identities.

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from hub.core.models import BootStatus, Party, PartyProtocol, PartyRef, Role, Station
from hub.storage.base import SqlRepository, key, party_columns, party_of, upsert
from hub.storage.tables import parties, stations

_GET_PARTY = select(parties).where(parties.c.party_key == bindparam("k"))
_LIST_PARTIES = select(parties).order_by(parties.c.party_key)
_GET_STATION = select(stations).where(stations.c.id_key == bindparam("k"))
_LIST_STATIONS = select(stations).order_by(stations.c.id)


def from_core_party(party: Party) -> dict[str, Any]:
    return {
        **party_columns(party.ref),
        "role": party.role.value,
        "name": party.name,
        "protocol": party.protocol.value,
        "last_updated": party.last_updated,
    }


def to_core_party(row: Any) -> Party:
    return Party(
        ref=party_of(row),
        role=Role(row.role),
        name=row.name,
        protocol=PartyProtocol(row.protocol),
        last_updated=row.last_updated,
    )


class SqlPartyRepository(SqlRepository):
    __slots__ = ()

    async def get(self, ref: PartyRef) -> Party | None:
        row = (await self._tx.read(_GET_PARTY, {"k": ref.key()})).first()
        return None if row is None else to_core_party(row)

    async def put(self, party: Party) -> None:
        await self._tx.write(upsert(parties, self._dialect), from_core_party(party))

    async def list(self) -> Sequence[Party]:
        return [to_core_party(row) for row in await self._tx.read(_LIST_PARTIES)]


def from_core_station(station: Station) -> dict[str, Any]:
    return {
        "id_key": key(station.id),
        "id": station.id,
        **party_columns(station.party),
        "location_id": station.location_id,
        "tariff_id": station.tariff_id,
        "password_hash": station.password_hash,
        "protocol": station.protocol,
        "vendor": station.vendor,
        "model": station.model,
        "serial_number": station.serial_number,
        "firmware_version": station.firmware_version,
        "boot_status": None if station.boot_status is None else station.boot_status.value,
        "connected": station.connected,
        "last_boot": station.last_boot,
        "last_seen": station.last_seen,
        "registered": station.registered,
        "last_updated": station.last_updated,
    }


def to_core_station(row: Any) -> Station:
    return Station(
        id=row.id,
        party=party_of(row),
        location_id=row.location_id,
        tariff_id=row.tariff_id,
        password_hash=row.password_hash,
        protocol=row.protocol,
        vendor=row.vendor,
        model=row.model,
        serial_number=row.serial_number,
        firmware_version=row.firmware_version,
        boot_status=None if row.boot_status is None else BootStatus(row.boot_status),
        connected=row.connected,
        last_boot=row.last_boot,
        last_seen=row.last_seen,
        registered=row.registered,
        last_updated=row.last_updated,
    )


class SqlStationRepository(SqlRepository):
    __slots__ = ()

    async def get(self, station_id: str) -> Station | None:
        row = (await self._tx.read(_GET_STATION, {"k": key(station_id)})).first()
        return None if row is None else to_core_station(row)

    async def put(self, station: Station) -> None:
        await self._tx.write(upsert(stations, self._dialect), from_core_station(station))

    async def list(self) -> Sequence[Station]:
        return [to_core_station(row) for row in await self._tx.read(_LIST_STATIONS)]
