"""Migration 7: priced CDRs — `tariffs.min_price_incl_vat` / `max_price_incl_vat`, `tariff_versions` (every
stored version of a tariff, filled here with the current tariffs) and `cdr_ratings` (our eMSP's price of a
partner CPO's CDR beside the CPO's). Frozen as at version 7.

Imports SQLAlchemy, the standard library and hub.storage column types only.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.storage.types import UtcDateTime, id_type, json_type

VERSION = 7


def _str(name: str, *, nullable: bool = True) -> Column[str]:
    return Column(name, String(), nullable=nullable)


def _id(name: str) -> Column[str]:
    return Column(name, id_type(), nullable=False)


def schema_v7() -> MetaData:
    """The tables this migration adds."""
    md = MetaData()
    Table(
        "tariff_versions",
        md,
        _id("party_key"),
        _id("id_key"),
        Column("last_updated", UtcDateTime(), nullable=False),
        _id("id"),
        _str("country_code", nullable=False),
        _str("party_id", nullable=False),
        Column("tariff_json", json_type(), nullable=False),
        PrimaryKeyConstraint("party_key", "id_key", "last_updated"),
    )
    Table(
        "cdr_ratings",
        md,
        _id("party_key"),
        _id("cdr_key"),
        _id("cdr_id"),
        _str("country_code", nullable=False),
        _str("party_id", nullable=False),
        _id("emsp_party_key"),
        _str("emsp_party", nullable=False),
        _str("session_id"),
        Column("start", UtcDateTime(), nullable=False),
        Column("end", UtcDateTime(), nullable=False),
        _str("token_uid", nullable=False),
        Column("cpo_cost_json", json_type(), nullable=False),
        Column("msp_cost_json", json_type(), nullable=True),
        _str("msp_tariff_id"),
        _str("time_zone"),
        Column("credit", Boolean(), nullable=False),
        _str("credit_reference_id"),
        Column("rated_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("party_key", "cdr_key"),
        Index("ix_cdr_ratings_rated", "rated_at", "cdr_id"),
        Index("ix_cdr_ratings_emsp_rated", "emsp_party_key", "rated_at"),
    )
    return md


def _tariffs_v6() -> Table:
    """The columns of `tariffs` the first versions are made of, as they were at version 6."""
    return Table(
        "tariffs",
        MetaData(),
        _id("party_key"),
        _id("id_key"),
        _id("id"),
        _str("country_code", nullable=False),
        _str("party_id", nullable=False),
        _str("currency", nullable=False),
        Column("elements_json", json_type(), nullable=False),
        _str("type"),
        _str("min_price_excl_vat"),  # Decimal text, passed on as the JSON string the core reads
        _str("max_price_excl_vat"),
        Column("start_date_time", UtcDateTime(), nullable=True),
        Column("end_date_time", UtcDateTime(), nullable=True),
        Column("source_json", json_type(), nullable=True),
        Column("last_updated", UtcDateTime(), nullable=False),
    )


def _first_version(row: Any) -> dict[str, Any]:
    """A version-6 tariff row as a `tariff_versions` row, its JSON in the core tariff's shape of version 7."""
    document = {
        "id": row.id,
        "party": {"country_code": row.country_code, "party_id": row.party_id},
        "currency": row.currency,
        "elements": json.loads(row.elements_json),
        "type": row.type,
        "min_price_excl_vat": row.min_price_excl_vat,
        "max_price_excl_vat": row.max_price_excl_vat,
        "min_price_incl_vat": None,
        "max_price_incl_vat": None,
        "start_date_time": None if row.start_date_time is None else row.start_date_time.isoformat(),
        "end_date_time": None if row.end_date_time is None else row.end_date_time.isoformat(),
        "source": None if row.source_json is None else json.loads(row.source_json),
        "last_updated": row.last_updated.isoformat(),
    }
    return {
        "party_key": row.party_key,
        "id_key": row.id_key,
        "last_updated": row.last_updated,
        "id": row.id,
        "country_code": row.country_code,
        "party_id": row.party_id,
        "tariff_json": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
    }


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    # One column per statement: SQLite's ALTER TABLE adds a single column.
    for column in ("min_price_incl_vat", "max_price_incl_vat"):
        await connection.execute(text(f"ALTER TABLE tariffs ADD COLUMN {column} TEXT"))
    schema = schema_v7()
    await connection.run_sync(schema.create_all)
    # Tariffs stored before versions were kept become their own first version, so a session that started
    # under one still finds it by time.
    rows = [_first_version(row) for row in await connection.execute(select(_tariffs_v6()))]
    if rows:
        await connection.execute(insert(schema.tables["tariff_versions"]), rows)
