"""Migration 2: `commands.reservation_key`, the lower-cased reservation id, with an index, so
`CommandRepository.find_reservation` (case-insensitive, per station) is an index lookup. Existing rows are
back-filled in Python so the key is lower-cased exactly as the repositories do it (SQLite's lower() is
ASCII-only).

Imports SQLAlchemy only.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

VERSION = 2

_KEY_TYPE = {"postgresql": 'VARCHAR COLLATE "C"'}


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    column_type = _KEY_TYPE.get(dialect, "VARCHAR")
    await connection.execute(text(f"ALTER TABLE commands ADD COLUMN reservation_key {column_type}"))
    rows = (
        await connection.execute(
            text("SELECT id_key, reservation_id FROM commands WHERE reservation_id IS NOT NULL")
        )
    ).all()
    if rows:
        await connection.execute(
            text("UPDATE commands SET reservation_key = :key WHERE id_key = :id_key"),
            [{"key": reservation_id.lower(), "id_key": id_key} for id_key, reservation_id in rows],
        )
    await connection.execute(
        text("CREATE INDEX ix_commands_reservation ON commands (station_key, reservation_key)")
    )
