"""SQL TokenRepository and TariffRepository: tokens keyed by (issuing party, uid), tariffs by (party, id),
both case-insensitive; a tariff's elements and verbatim source are JSON values.

Imports SQLAlchemy, pydantic, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import and_, bindparam, delete, select

from hub.core.models import PartyRef, Tariff, TariffElement, Token, TokenType, WhitelistType
from hub.storage.base import (
    JSON_OBJECT,
    SqlRepository,
    dump_json,
    key,
    page,
    party_columns,
    party_of,
    upsert,
)
from hub.storage.cache import is_missing
from hub.storage.tables import tariffs, tokens

_ELEMENTS: TypeAdapter[tuple[TariffElement, ...]] = TypeAdapter(tuple[TariffElement, ...])

_t = tokens.c
_GET_TOKEN = select(tokens).where(_t.party_key == bindparam("party_key"), _t.uid_key == bindparam("uid_key"))
# Without a party: own tokens (issued by a party run on this hub) first.
_GET_ANY_TOKEN = (
    select(tokens).where(_t.uid_key == bindparam("uid_key")).order_by(_t.own.desc(), _t.party_key).limit(1)
)
_TOKEN_ORDER = (_t.last_updated, _t.party_key, _t.uid)

_f = tariffs.c
_TARIFF_PK = and_(_f.party_key == bindparam("party_key"), _f.id_key == bindparam("id_key"))
_GET_TARIFF = select(tariffs).where(_TARIFF_PK)
_DELETE_TARIFF = delete(tariffs).where(_TARIFF_PK)
_TARIFF_ORDER = (_f.last_updated, _f.id, _f.party_key)


def from_core_token(token: Token) -> dict[str, Any]:
    return {
        **party_columns(token.party),
        "uid_key": key(token.uid),
        "uid": token.uid,
        "type": token.type.value,
        "contract_id": token.contract_id,
        "visual_number": token.visual_number,
        "issuer": token.issuer,
        "group_id": token.group_id,
        "valid": token.valid,
        "whitelist": token.whitelist.value,
        "language": token.language,
        "own": token.own,
        "last_updated": token.last_updated,
    }


def to_core_token(row: Any) -> Token:
    return Token(
        uid=row.uid,
        party=party_of(row),
        type=TokenType(row.type),
        contract_id=row.contract_id,
        visual_number=row.visual_number,
        issuer=row.issuer,
        group_id=row.group_id,
        valid=row.valid,
        whitelist=WhitelistType(row.whitelist),
        language=row.language,
        own=row.own,
        last_updated=row.last_updated,
    )


class SqlTokenRepository(SqlRepository):
    __slots__ = ()

    async def get(self, uid: str, party: PartyRef | None = None) -> Token | None:
        tx = self._tx
        cache_key = ("token", (None if party is None else party.key(), key(uid)))
        hit = tx.cached(cache_key)
        if not is_missing(hit):
            return hit  # type: ignore[no-any-return]
        generation = tx.cache_generation
        if party is None:
            result = await tx.read(_GET_ANY_TOKEN, {"uid_key": key(uid)})
        else:
            result = await tx.read(_GET_TOKEN, {"party_key": party.key(), "uid_key": key(uid)})
        row = result.first()
        token = None if row is None else to_core_token(row)
        tx.fill_cache(cache_key, token, generation)
        return token

    async def put(self, token: Token) -> None:
        # Dropped, not replaced: the party-less lookup's answer depends on every token with this uid.
        uid_key = key(token.uid)
        self._tx.stage(("token", (token.party.key(), uid_key)))
        self._tx.stage(("token", (None, uid_key)))
        await self._tx.write(upsert(tokens, self._dialect), from_core_token(token), staged=True)

    async def list(
        self, party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Token]:
        statement = select(tokens)
        if party is not None:
            statement = statement.where(_t.party_key == party.key())
        statement = page(statement.order_by(*_TOKEN_ORDER), offset, limit)
        return [to_core_token(row) for row in await self._tx.read(statement)]


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
        start_date_time=row.start_date_time,
        end_date_time=row.end_date_time,
        source=None if row.source_json is None else JSON_OBJECT.validate_json(row.source_json),
        last_updated=row.last_updated,
    )


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

    async def put(self, tariff: Tariff) -> None:
        self._tx.stage(("tariff", (tariff.party.key(), key(tariff.id))))
        await self._tx.write(upsert(tariffs, self._dialect), from_core_tariff(tariff), staged=True)

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
