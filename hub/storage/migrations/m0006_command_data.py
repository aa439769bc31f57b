"""Migration 6: `commands.data_json`, a nullable JSON text column for what a command carries beyond its common
fields (a station's charging schedule, the profile id of a charging limit). Existing rows keep NULL.

Imports SQLAlchemy only.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

VERSION = 6


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    await connection.execute(text("ALTER TABLE commands ADD COLUMN data_json TEXT"))
