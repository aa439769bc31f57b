"""Versioned schema migrations: modules `mNNNN_<name>.py`, each with `VERSION` and
`async def upgrade(connection, dialect)`, applied in order, one transaction each, recorded in
`schema_migrations`. A database newer than the code is refused.

Imports SQLAlchemy, the standard library and hub.storage internals only.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.storage.engine import Backend, SqlTransaction
from hub.storage.tables import schema_migrations

_MODULE_NAME = re.compile(r"^m(\d{4})_\w+$")
# Any constant works: it only has to be the same in every hub process sharing one PostgreSQL database.
_ADVISORY_LOCK_KEY = 0x0C91_4B0B


class SchemaVersionError(RuntimeError):
    """The database was migrated by a newer hub than this one: refuse to touch it."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    upgrade: Callable[[AsyncConnection, str], Awaitable[None]]


def discover() -> tuple[Migration, ...]:
    """All migrations of this package, ordered by version; versions must run 1, 2, 3 … without gaps."""
    found: list[Migration] = []
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE_NAME.match(info.name)
        if match is None:
            continue
        module: Any = importlib.import_module(f"{__name__}.{info.name}")
        if int(match.group(1)) != module.VERSION:
            raise RuntimeError(f"migration {info.name} declares VERSION {module.VERSION}")
        found.append(Migration(version=module.VERSION, name=info.name, upgrade=module.upgrade))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must be 1..N without gaps: {[m.version for m in found]}")
    return tuple(found)


MIGRATIONS = discover()
LATEST_VERSION = MIGRATIONS[-1].version


async def current_version(conn: AsyncConnection) -> int:
    """The highest applied version, 0 for an empty database."""
    exists = await conn.run_sync(lambda sync: sync.dialect.has_table(sync, schema_migrations.name))
    if not exists:
        return 0
    version = (await conn.execute(select(func.max(schema_migrations.c.version)))).scalar()
    return int(version or 0)


def _refuse_newer(version: int) -> None:
    if version > LATEST_VERSION:
        raise SchemaVersionError(
            f"the database schema is at version {version}, newer than this hub knows ({LATEST_VERSION}); "
            "run a hub release at least as new as the one that migrated it"
        )


async def apply_migrations(backend: Backend, target: int | None = None) -> list[int]:
    """Bring the schema up to `target` (default: the latest); returns the versions applied now.

    Each migration runs in its own transaction together with its `schema_migrations` row; on PostgreSQL
    an advisory lock makes concurrent hub processes apply it once."""
    target = LATEST_VERSION if target is None else target
    if not 0 <= target <= LATEST_VERSION:
        raise ValueError(f"no migration {target}; the latest is {LATEST_VERSION}")
    applied: list[int] = []
    while True:
        tx = SqlTransaction(backend)
        try:
            conn = await tx.begin_write()
            if backend.is_postgres:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
            await conn.run_sync(lambda sync: schema_migrations.create(sync, checkfirst=True))
            version = await current_version(conn)
            _refuse_newer(version)
            if version >= target:
                await tx.commit()
                return applied
            migration = MIGRATIONS[version]
            await migration.upgrade(conn, backend.dialect)
            await conn.execute(
                insert(schema_migrations).values(
                    version=migration.version, name=migration.name, applied_at=datetime.now(UTC)
                )
            )
            await tx.commit()
            applied.append(migration.version)
        finally:
            await tx.close()


async def schema_version(backend: Backend) -> int:
    tx = SqlTransaction(backend)
    try:
        return await current_version(await tx.connection())
    finally:
        await tx.close()
