"""Migration 3: an index on `sessions (status, start)`, so the minutely job that expires PENDING sessions
(`SessionRepository.find_pending`) is an index range scan instead of a read of every session ever stored.

Imports SQLAlchemy only.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

VERSION = 3


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    await connection.execute(text("CREATE INDEX ix_sessions_status_start ON sessions (status, start)"))
