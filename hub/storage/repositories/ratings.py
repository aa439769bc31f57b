"""SQL CdrRatingRepository: our eMSP's rating of a partner CPO's CDR, keyed by (CPO party, CDR id),
case-insensitive; both costs are core `CdrCost` JSON (Decimals as exact strings, datetimes with offset).

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, select

from hub.core.models import CdrCost, CdrRating, PartyRef
from hub.storage.base import SqlRepository, key, page, party_columns, party_of, upsert
from hub.storage.tables import cdr_ratings

_c = cdr_ratings.c
_GET = select(cdr_ratings).where(and_(_c.party_key == bindparam("party_key"), _c.cdr_key == bindparam("k")))
_ORDER = (_c.rated_at, _c.cdr_id, _c.party_key)


def from_core_rating(rating: CdrRating) -> dict[str, Any]:
    return {
        **party_columns(rating.cpo_party),
        "cdr_key": key(rating.cdr_id),
        "cdr_id": rating.cdr_id,
        "emsp_party_key": rating.emsp_party.key(),
        "emsp_party": str(rating.emsp_party),
        "session_id": rating.session_id,
        "start": rating.start,
        "end": rating.end,
        "token_uid": rating.token_uid,
        "cpo_cost_json": rating.cpo_cost.model_dump_json(),
        "msp_cost_json": None if rating.msp_cost is None else rating.msp_cost.model_dump_json(),
        "msp_tariff_id": rating.msp_tariff_id,
        "time_zone": rating.time_zone,
        "credit": rating.credit,
        "credit_reference_id": rating.credit_reference_id,
        "rated_at": rating.rated_at,
    }


def to_core_rating(row: Any) -> CdrRating:
    return CdrRating(
        cdr_id=row.cdr_id,
        cpo_party=party_of(row),
        emsp_party=PartyRef.parse(row.emsp_party),
        session_id=row.session_id,
        start=row.start,
        end=row.end,
        token_uid=row.token_uid,
        cpo_cost=CdrCost.model_validate_json(row.cpo_cost_json),
        msp_cost=None if row.msp_cost_json is None else CdrCost.model_validate_json(row.msp_cost_json),
        msp_tariff_id=row.msp_tariff_id,
        time_zone=row.time_zone,
        credit=row.credit,
        credit_reference_id=row.credit_reference_id,
        rated_at=row.rated_at,
    )


class SqlCdrRatingRepository(SqlRepository):
    __slots__ = ()

    async def get(self, cpo_party: PartyRef, cdr_id: str) -> CdrRating | None:
        row = (await self._tx.read(_GET, {"party_key": cpo_party.key(), "k": key(cdr_id)})).first()
        return None if row is None else to_core_rating(row)

    async def put(self, rating: CdrRating) -> None:
        await self._tx.write(upsert(cdr_ratings, self._dialect), from_core_rating(rating))

    async def list(
        self, emsp_party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[CdrRating]:
        statement = select(cdr_ratings)
        if emsp_party is not None:
            statement = statement.where(_c.emsp_party_key == emsp_party.key())
        statement = page(statement.order_by(*_ORDER), offset, limit)
        return [to_core_rating(row) for row in await self._tx.read(statement)]
