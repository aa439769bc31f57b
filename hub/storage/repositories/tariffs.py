"""SQL TariffRepository: tariffs keyed by (party, id), case-insensitive, their elements and verbatim source
as JSON values; every `put` also keeps the tariff as a version (`tariff_versions`), which `delete` leaves,
so `get_at` finds the tariff valid when a session started.

Imports SQLAlchemy, pydantic, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import and_, bindparam, delete, select

from hub.core.models import PartyRef, Tariff, TariffElement
from hub.storage.base import (
    JSON_OBJECT,
    SqlRepository,
    dump_json,
    key,
    party_columns,
    party_of,
    upsert,
)
from hub.storage.cache import is_missing
from hub.storage.tables import tariff_versions, tariffs

_ELEMENTS: TypeAdapter[tuple[TariffElement, ...]] = TypeAdapter(tuple[TariffElement, ...])

_f = tariffs.c
_TARIFF_PK = and_(_f.party_key == bindparam("party_key"), _f.id_key == bindparam("id_key"))
_GET_TARIFF = select(tariffs).where(_TARIFF_PK)
_DELETE_TARIFF = delete(tariffs).where(_TARIFF_PK)
_TARIFF_ORDER = (_f.last_updated, _f.id, _f.party_key)

_v = tariff_versions.c
_VERSION_AT = (
    select(_v.tariff_json)
    .where(
        _v.party_key == bindparam("party_key"),
        _v.id_key == bindparam("id_key"),
        _v.last_updated <= bindparam("at"),
    )
    .order_by(_v.last_updated.desc())
    .limit(1)
)


def from_core_tariff(tariff: Tariff) -> dict[str, Any]:
    return {
        **party_columns(tariff.party),
        "id_key": key(tariff.id),
        "id": tariff.id,
        "currency": tariff.currency,
        "elements_json": dump_json(_ELEMENTS, tariff.elements),
        "type": tariff.type,
        "min_price_excl_vat": tariff.min_price_excl_vat,
        "max_price_excl_vat": tariff.max_price_excl_vat,
        "min_price_incl_vat": tariff.min_price_incl_vat,
        "max_price_incl_vat": tariff.max_price_incl_vat,
        "start_date_time": tariff.start_date_time,
        "end_date_time": tariff.end_date_time,
        "source_json": None if tariff.source is None else dump_json(JSON_OBJECT, tariff.source),
        "last_updated": tariff.last_updated,
    }


def to_core_tariff(row: Any) -> Tariff:
    return Tariff(
        id=row.id,
        party=party_of(row),
        currency=row.currency,
        elements=_ELEMENTS.validate_json(row.elements_json),
        type=row.type,
        min_price_excl_vat=row.min_price_excl_vat,
        max_price_excl_vat=row.max_price_excl_vat,
        min_price_incl_vat=row.min_price_incl_vat,
        max_price_incl_vat=row.max_price_incl_vat,
        start_date_time=row.start_date_time,
        end_date_time=row.end_date_time,
        source=None if row.source_json is None else JSON_OBJECT.validate_json(row.source_json),
        last_updated=row.last_updated,
    )


def version_of(tariff: Tariff) -> dict[str, Any]:
    """The `tariff_versions` row of a tariff: the whole core tariff as JSON (Decimals as exact strings)."""
    return {
        **party_columns(tariff.party),
        "id_key": key(tariff.id),
        "id": tariff.id,
        "last_updated": tariff.last_updated,
        "tariff_json": tariff.model_dump_json(),
    }


class SqlTariffRepository(SqlRepository):
    __slots__ = ()

    async def get(self, party: PartyRef, tariff_id: str) -> Tariff | None:
        tx = self._tx
        cache_key = ("tariff", (party.key(), key(tariff_id)))
        hit = tx.cached(cache_key)
        if not is_missing(hit):
            return hit  # type: ignore[no-any-return]
        generation = tx.cache_generation
        row = (await tx.read(_GET_TARIFF, {"party_key": party.key(), "id_key": key(tariff_id)})).first()
        tariff = None if row is None else to_core_tariff(row)
        tx.fill_cache(cache_key, tariff, generation)
        return tariff

    async def get_at(self, party: PartyRef, tariff_id: str, at: datetime) -> Tariff | None:
        params = {"party_key": party.key(), "id_key": key(tariff_id), "at": at}
        document = (await self._tx.read(_VERSION_AT, params)).scalar()
        return None if document is None else Tariff.model_validate_json(document)

    async def put(self, tariff: Tariff) -> None:
        self._tx.stage(("tariff", (tariff.party.key(), key(tariff.id))))
        await self._tx.write(upsert(tariffs, self._dialect), from_core_tariff(tariff), staged=True)
        # A second put with the same last_updated replaces that version: one version per instant.
        await self._tx.write(upsert(tariff_versions, self._dialect), version_of(tariff), staged=True)

    async def delete(self, party: PartyRef, tariff_id: str) -> None:
        self._tx.stage(("tariff", (party.key(), key(tariff_id))))
        await self._tx.write(
            _DELETE_TARIFF, {"party_key": party.key(), "id_key": key(tariff_id)}, staged=True
        )

    async def list(self, party: PartyRef | None = None) -> Sequence[Tariff]:
        statement = select(tariffs)
        if party is not None:
            statement = statement.where(_f.party_key == party.key())
        return [to_core_tariff(row) for row in await self._tx.read(statement.order_by(*_TARIFF_ORDER))]
