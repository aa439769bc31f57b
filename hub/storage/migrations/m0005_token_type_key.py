"""Migration 5: tokens are keyed on (party_key, uid_key, type) (OCPI TK-04: one uid may name an RFID and an
APP_USER token of the same eMSP). Existing rows are kept. SQLite cannot alter a primary key: the table is
rebuilt (new table, copy, drop, rename, indexes again). Frozen as at version 5.

Imports SQLAlchemy and hub.storage column types only.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, MetaData, PrimaryKeyConstraint, String, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.storage.types import UtcDateTime, id_type

VERSION = 5

_REBUILT = "tokens_v5"
_INDEXES = (
    "CREATE INDEX ix_tokens_uid ON tokens (uid_key)",
    "CREATE INDEX ix_tokens_updated ON tokens (last_updated, party_key, uid)",
)


def _id(name: str) -> Column[str]:
    return Column(name, id_type(), nullable=False)


def _str(name: str, *, nullable: bool = True) -> Column[str]:
    return Column(name, String(), nullable=nullable)


def tokens_v5(name: str = "tokens") -> MetaData:
    """The tokens table as of this migration (without its indexes), under `name`."""
    md = MetaData()
    Table(
        name,
        md,
        _id("party_key"),
        _str("country_code", nullable=False),
        _str("party_id", nullable=False),
        _id("uid_key"),
        _id("uid"),
        _str("type", nullable=False),
        _str("contract_id", nullable=False),
        _str("visual_number"),
        _str("issuer", nullable=False),
        _str("group_id"),
        Column("valid", Boolean(), nullable=False),
        _str("whitelist", nullable=False),
        _str("language"),
        Column("own", Boolean(), nullable=False),
        Column("last_updated", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("party_key", "uid_key", "type"),
    )
    return md


async def _upgrade_postgres(connection: AsyncConnection) -> None:
    name = (
        await connection.execute(
            text("SELECT conname FROM pg_constraint WHERE conrelid = 'tokens'::regclass AND contype = 'p'")
        )
    ).scalar_one()
    await connection.execute(
        text(
            f'ALTER TABLE tokens DROP CONSTRAINT "{name}", '
            f'ADD CONSTRAINT "{name}" PRIMARY KEY (party_key, uid_key, type)'
        )
    )


async def _upgrade_sqlite(connection: AsyncConnection) -> None:
    rebuilt = tokens_v5(_REBUILT)
    new, old = rebuilt.tables[_REBUILT], tokens_v5().tables["tokens"]  # same columns before and after
    await connection.run_sync(rebuilt.create_all)
    await connection.execute(insert(new).from_select([c.name for c in new.c], select(*old.c)))
    await connection.execute(text("DROP TABLE tokens"))
    await connection.execute(text(f"ALTER TABLE {_REBUILT} RENAME TO tokens"))
    for statement in _INDEXES:
        await connection.execute(text(statement))


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    if dialect == "postgresql":
        await _upgrade_postgres(connection)
    else:
        await _upgrade_sqlite(connection)
