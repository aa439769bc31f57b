"""SQL PartnerRecordRepository: objects partners pushed to our hosted parties, keyed by (module, party, id)
case-insensitively. `data_json` is the wire JSON written with Decimals as JSON numbers (their exact text)
and read back with `parse_float=Decimal`, so a record reads back equal to what was stored (a Decimal
without fraction or exponent, e.g. Decimal("100"), reads back as the equal int 100).

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, select

from hub.core.models import PartnerRecord, PartyRef
from hub.storage.base import SqlRepository, in_window, key, page, party_columns, party_of, upsert
from hub.storage.tables import partner_records

_r = partner_records.c
_PK = and_(
    _r.module == bindparam("module"), _r.party_key == bindparam("party_key"), _r.id_key == bindparam("id_key")
)
_GET = select(partner_records).where(_PK)
_DELETE = delete(partner_records).where(_PK)
_ORDER = (_r.last_updated, _r.id, _r.party_key)


def dump_wire_json(value: Any) -> str:
    """Compact JSON of a wire value (see PartnerRecord.data): Decimals as numbers, non-ASCII kept."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, Decimal | float):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        out.append(str(number))
    elif isinstance(value, dict):
        out.append("{")
        for n, (name, item) in enumerate(value.items()):
            if n:
                out.append(",")
            out.append(json.dumps(str(name), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for n, item in enumerate(value):
            if n:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


def load_wire_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def from_core_partner_record(record: PartnerRecord) -> dict[str, Any]:
    return {
        "module": record.module,
        **party_columns(record.party),
        "id_key": key(record.id),
        "id": record.id,
        "data_json": dump_wire_json(record.data),
        "last_updated": record.last_updated,
    }


def to_core_partner_record(row: Any) -> PartnerRecord:
    return PartnerRecord(
        module=row.module,
        party=party_of(row),
        id=row.id,
        data=load_wire_json(row.data_json),
        last_updated=row.last_updated,
    )


def _where(
    statement: Select[Any],
    module: str,
    party: PartyRef | None,
    date_from: datetime | None,
    date_to: datetime | None,
) -> Select[Any]:
    statement = statement.where(_r.module == module)
    if party is not None:
        statement = statement.where(_r.party_key == party.key())
    return in_window(statement, _r.last_updated, date_from, date_to)


class SqlPartnerRecordRepository(SqlRepository):
    __slots__ = ()

    @staticmethod
    def _pk(module: str, party: PartyRef, record_id: str) -> dict[str, str]:
        return {"module": module, "party_key": party.key(), "id_key": key(record_id)}

    async def get(self, module: str, party: PartyRef, record_id: str) -> PartnerRecord | None:
        row = (await self._tx.read(_GET, self._pk(module, party, record_id))).first()
        return None if row is None else to_core_partner_record(row)

    async def put(self, record: PartnerRecord) -> None:
        await self._tx.write(upsert(partner_records, self._dialect), from_core_partner_record(record))

    async def delete(self, module: str, party: PartyRef, record_id: str) -> None:
        await self._tx.write(_DELETE, self._pk(module, party, record_id))

    async def list(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[PartnerRecord]:
        statement = _where(select(partner_records), module, party, date_from, date_to)
        statement = page(statement.order_by(*_ORDER), offset, limit)
        return [to_core_partner_record(row) for row in await self._tx.read(statement)]

    async def count(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int:
        statement = _where(
            select(func.count()).select_from(partner_records), module, party, date_from, date_to
        )
        return int((await self._tx.read(statement)).scalar_one())
