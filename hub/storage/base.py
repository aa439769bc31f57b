"""Helpers the SQL repositories share: lookup keys, party columns, JSON codecs, per-dialect upserts, paging.

Imports SQLAlchemy, pydantic, core models and hub.storage internals only.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Column, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from hub.core.models import PartyRef
from hub.storage.engine import SqlTransaction


def key(value: str) -> str:
    """The case-insensitive lookup key of a partner-facing id."""
    return value.lower()


def party_text(ref: PartyRef | None) -> str | None:
    """An optional party reference as `CC*PID` text (original case)."""
    return None if ref is None else str(ref)


def parse_party(text: str | None) -> PartyRef | None:
    return None if text is None else PartyRef.parse(text)


def party_columns(ref: PartyRef) -> dict[str, str]:
    return {"party_key": ref.key(), "country_code": ref.country_code, "party_id": ref.party_id}


def party_of(row: Any) -> PartyRef:
    return PartyRef(country_code=row.country_code, party_id=row.party_id)


JSON_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def dump_json(adapter: TypeAdapter[Any], value: Any) -> str:
    return adapter.dump_json(value).decode()


def dialect_insert(table: Table, dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported dialect {dialect}")


@functools.cache
def upsert(table: Table, dialect: str) -> Insert:
    """INSERT … ON CONFLICT (primary key) DO UPDATE every other column; executed with one row's values."""
    statement = dialect_insert(table, dialect)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[c.name for c in table.primary_key],
        set_={c.name: statement.excluded[c.name] for c in table.c if not c.primary_key},
    )


@functools.cache
def insert_new(table: Table, dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING RETURNING the primary key: no row back means the key existed.

    Unlike catching an integrity error, this leaves a PostgreSQL transaction usable."""
    statement = dialect_insert(table, dialect)
    return statement.on_conflict_do_nothing().returning(*table.primary_key.columns)  # type: ignore[no-any-return]


def in_window(
    statement: Select[Any], column: Column[Any], date_from: datetime | None, date_to: datetime | None
) -> Select[Any]:
    """date_from inclusive, date_to exclusive (OCPI pagination)."""
    if date_from is not None:
        statement = statement.where(column >= date_from)
    if date_to is not None:
        statement = statement.where(column < date_to)
    return statement


def page(statement: Select[Any], offset: int, limit: int | None) -> Select[Any]:
    if offset:
        statement = statement.offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return statement


class SqlRepository:
    """Base of the repositories: they run statements on the unit of work's transaction."""

    __slots__ = ("_dialect", "_tx")

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx
        self._dialect = tx.backend.dialect
