"""SQL LocationRepository: a location row holds its EVSEs and connectors as one JSON value; the
`location_evses` table indexes EVSE uids for `find_by_evse`.

Imports SQLAlchemy, pydantic, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import and_, bindparam, delete, func, insert, select, update

from hub.core.models import Evse, Location, PartyRef
from hub.storage.base import (
    SqlRepository,
    in_window,
    key,
    page,
    party_columns,
    party_of,
    upsert,
)
from hub.storage.cache import is_missing
from hub.storage.tables import location_evses, locations

_EVSES: TypeAdapter[tuple[Evse, ...]] = TypeAdapter(tuple[Evse, ...])
_EVSE: TypeAdapter[Evse] = TypeAdapter(Evse)
# An EVSE status change rewrites the location's whole EVSE list, but only one EVSE object is new: the JSON of
# the unchanged (frozen, reusable) EVSE objects is remembered by identity (small: idle memory stays low).
_EVSE_JSON: dict[int, tuple[Evse, str]] = {}
_EVSE_JSON_MAX = 1024


def evses_json(evses: tuple[Evse, ...]) -> str:
    """The same text as `dump_json(_EVSES, evses)`, from per-EVSE pieces."""
    parts = []
    for evse in evses:
        known = _EVSE_JSON.get(id(evse))
        if known is None or known[0] is not evse:
            if len(_EVSE_JSON) >= _EVSE_JSON_MAX:
                _EVSE_JSON.clear()
            known = _EVSE_JSON[id(evse)] = (evse, _EVSE.dump_json(evse).decode())
        parts.append(known[1])
    return "[" + ",".join(parts) + "]"


_c = locations.c
_PK = and_(_c.party_key == bindparam("party_key"), _c.id_key == bindparam("id_key"))
_GET = select(locations).where(_PK)
_FIND_BY_EVSE = (
    select(locations)
    .join(
        location_evses,
        and_(location_evses.c.party_key == _c.party_key, location_evses.c.location_key == _c.id_key),
    )
    .where(location_evses.c.evse_key == bindparam("evse_key"))
    .order_by(_c.party_key, _c.id_key)
    .limit(1)
)
_OLD_EVSE_KEYS = select(_c.evse_keys).where(_PK)
# UPDATE's WHERE parameters must not be named like columns (those name the SET values).
_UPDATE_PK = and_(_c.party_key == bindparam("pk_party_key"), _c.id_key == bindparam("pk_id_key"))
_UPDATE = update(locations).where(_UPDATE_PK)
# Only while the row still lists the EVSEs this transaction read: then `location_evses` needs no change.
_UPDATE_SAME_EVSES = update(locations).where(_UPDATE_PK, _c.evse_keys == bindparam("old_evse_keys"))
_DELETE_EVSES = delete(location_evses).where(
    location_evses.c.party_key == bindparam("party_key"), location_evses.c.location_key == bindparam("id_key")
)
_INSERT_EVSE = insert(location_evses)
_ORDER = (_c.last_updated, _c.id, _c.party_key)


def evse_keys(location: Location) -> str:
    """The location's EVSE uids as one comparable value (sorted lookup keys, newline separated)."""
    return "\n".join(sorted({key(evse.uid) for evse in location.evses}))


def from_core_location(location: Location) -> dict[str, Any]:
    return {
        **party_columns(location.party),
        "id_key": key(location.id),
        "id": location.id,
        "name": location.name,
        "address": location.address,
        "city": location.city,
        "postal_code": location.postal_code,
        "country": location.country,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "time_zone": location.time_zone,
        "publish": location.publish,
        "evses_json": evses_json(location.evses),
        "evse_keys": evse_keys(location),
        "last_updated": location.last_updated,
    }


def to_core_location(row: Any) -> Location:
    return Location(
        id=row.id,
        party=party_of(row),
        name=row.name,
        address=row.address,
        city=row.city,
        postal_code=row.postal_code,
        country=row.country,
        latitude=row.latitude,
        longitude=row.longitude,
        time_zone=row.time_zone,
        publish=row.publish,
        evses=_EVSES.validate_json(row.evses_json),
        last_updated=row.last_updated,
    )


class SqlLocationRepository(SqlRepository):
    __slots__ = ()

    def _seen(self, row: Any) -> Location:
        # Remember which EVSEs the row listed, so a put of the same location can skip the lookup table.
        self._tx.location_evse_keys[(row.party_key, row.id_key)] = row.evse_keys
        return to_core_location(row)

    async def get(self, party: PartyRef, location_id: str) -> Location | None:
        pk = (party.key(), key(location_id))
        tx = self._tx
        hit = tx.cached(("location", pk))
        if not is_missing(hit):
            if hit is None:
                return None
            location, keys = hit
            tx.location_evse_keys[pk] = keys
            return location  # type: ignore[no-any-return]
        generation = tx.cache_generation
        row = (await tx.read(_GET, {"party_key": pk[0], "id_key": pk[1]})).first()
        if row is None:
            tx.fill_cache(("location", pk), None, generation)
            return None
        location = self._seen(row)
        tx.fill_cache(("location", pk), (location, row.evse_keys), generation)
        return location

    async def find_by_evse(self, evse_uid: str) -> Location | None:
        row = (await self._tx.read(_FIND_BY_EVSE, {"evse_key": key(evse_uid)})).first()
        return None if row is None else self._seen(row)

    async def put(self, location: Location) -> None:
        values = from_core_location(location)
        pk = (values["party_key"], values["id_key"])
        new_keys = values["evse_keys"]
        changes = {name: value for name, value in values.items() if name not in ("party_key", "id_key")}
        changes["pk_party_key"], changes["pk_id_key"] = pk
        # Staged first: whatever happens below, the cache learns the outcome only if the transaction commits.
        self._tx.stage(("location", pk), (location, new_keys))
        if self._tx.location_evse_keys.get(pk) == new_keys:
            # The usual case (an EVSE status changed): one statement.
            result = await self._tx.write_plain(
                _UPDATE_SAME_EVSES, {**changes, "old_evse_keys": new_keys}, staged=True
            )
            if result.rowcount == 1:
                return
        old_keys = await self._lock_evse_keys(values)
        if old_keys is None:
            # An upsert: a concurrent first put of the same location must not fail (its EVSE rows are
            # replaced below, since None never equals the new keys).
            await self._tx.write(upsert(locations, self._dialect), values, staged=True)
        else:
            await self._tx.write(_UPDATE, changes, staged=True)
        if old_keys != new_keys:
            await self._tx.write(_DELETE_EVSES, values)
            if new_keys:
                await self._tx.write(
                    _INSERT_EVSE,
                    [
                        {"party_key": pk[0], "location_key": pk[1], "evse_key": evse_key}
                        for evse_key in new_keys.split("\n")
                    ],
                )
        self._tx.location_evse_keys[pk] = new_keys

    async def _lock_evse_keys(self, values: dict[str, Any]) -> str | None:
        """The stored EVSE keys of this location (None: no such row), locked until the transaction ends."""
        statement = _OLD_EVSE_KEYS.with_for_update() if self._tx.backend.is_postgres else _OLD_EVSE_KEYS
        row = (
            await self._tx.write(statement, {"party_key": values["party_key"], "id_key": values["id_key"]})
        ).first()
        return None if row is None else str(row.evse_keys)

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Location]:
        statement = self._filter(select(locations), party, date_from, date_to).order_by(*_ORDER)
        rows = await self._tx.read(page(statement, offset, limit))
        return [to_core_location(row) for row in rows]

    async def count(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int:
        statement = self._filter(select(func.count()).select_from(locations), party, date_from, date_to)
        return int((await self._tx.read(statement)).scalar_one())

    @staticmethod
    def _filter(
        statement: Any, party: PartyRef | None, date_from: datetime | None, date_to: datetime | None
    ) -> Any:
        if party is not None:
            statement = statement.where(_c.party_key == party.key())
        return in_window(statement, _c.last_updated, date_from, date_to)
