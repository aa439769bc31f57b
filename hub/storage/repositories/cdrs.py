"""SQL CdrRepository: CDRs are immutable, so `add` refuses an existing id with ConflictError; cost and
charging periods are stored as JSON values.

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from hub.core.errors import ConflictError
from hub.core.models import AuthMethod, Cdr, CdrCost, PartyRef, TokenType
from hub.storage.base import (
    SqlRepository,
    in_window,
    insert_new,
    key,
    page,
    parse_party,
    party_columns,
    party_of,
    party_text,
)
from hub.storage.repositories.sessions import PERIODS
from hub.storage.tables import cdrs

_c = cdrs.c
_ORDER = (_c.last_updated, _c.id)
_GET = select(cdrs).where(_c.id_key == bindparam("k"))
_BY_SESSION = select(cdrs).where(_c.session_key == bindparam("k")).order_by(*_ORDER)


def from_core_cdr(cdr: Cdr) -> dict[str, Any]:
    return {
        "id_key": key(cdr.id),
        "id": cdr.id,
        **party_columns(cdr.party),
        "session_id": cdr.session_id,
        "session_key": key(cdr.session_id),
        "start": cdr.start,
        "end": cdr.end,
        "location_id": cdr.location_id,
        "evse_uid": cdr.evse_uid,
        "connector_id": cdr.connector_id,
        "station_id": cdr.station_id,
        "token_uid": cdr.token_uid,
        "token_party": party_text(cdr.token_party),
        "token_type": cdr.token_type.value,
        "contract_id": cdr.contract_id,
        "auth_method": cdr.auth_method.value,
        "authorization_reference": cdr.authorization_reference,
        "tariff_id": cdr.tariff_id,
        "cost_json": cdr.cost.model_dump_json(),
        "charging_periods_json": PERIODS.dump_json(cdr.charging_periods).decode(),
        "credit": cdr.credit,
        "credit_reference_id": cdr.credit_reference_id,
        "remark": cdr.remark,
        "last_updated": cdr.last_updated,
    }


def to_core_cdr(row: Any) -> Cdr:
    return Cdr(
        id=row.id,
        party=party_of(row),
        session_id=row.session_id,
        start=row.start,
        end=row.end,
        location_id=row.location_id,
        evse_uid=row.evse_uid,
        connector_id=row.connector_id,
        station_id=row.station_id,
        token_uid=row.token_uid,
        token_party=parse_party(row.token_party),
        token_type=TokenType(row.token_type),
        contract_id=row.contract_id,
        auth_method=AuthMethod(row.auth_method),
        authorization_reference=row.authorization_reference,
        tariff_id=row.tariff_id,
        cost=CdrCost.model_validate_json(row.cost_json),
        charging_periods=PERIODS.validate_json(row.charging_periods_json),
        credit=row.credit,
        credit_reference_id=row.credit_reference_id,
        remark=row.remark,
        last_updated=row.last_updated,
    )


class SqlCdrRepository(SqlRepository):
    __slots__ = ()

    async def get(self, cdr_id: str) -> Cdr | None:
        row = (await self._tx.read(_GET, {"k": key(cdr_id)})).first()
        return None if row is None else to_core_cdr(row)

    async def add(self, cdr: Cdr) -> None:
        result = await self._tx.write_plain(insert_new(cdrs, self._dialect), from_core_cdr(cdr))
        if result.first() is None:
            raise ConflictError(f"CDR {cdr.id} exists already; CDRs are immutable")

    async def find_by_session(self, session_id: str) -> Sequence[Cdr]:
        return [to_core_cdr(row) for row in await self._tx.read_plain(_BY_SESSION, {"k": key(session_id)})]

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Cdr]:
        statement = select(cdrs)
        if party is not None:
            statement = statement.where(_c.party_key == party.key())
        statement = in_window(statement, _c.last_updated, date_from, date_to).order_by(*_ORDER)
        return [to_core_cdr(row) for row in await self._tx.read(page(statement, offset, limit))]
