"""Migration 8: `platforms.invited_role`, the role an invitation names for a partner whose OCPI version
carries none in its credentials (2.1.1: one party, no role). Existing rows keep NULL.

Imports SQLAlchemy only.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

VERSION = 8


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    await connection.execute(text("ALTER TABLE platforms ADD COLUMN invited_role VARCHAR(16)"))
