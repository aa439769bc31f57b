"""Opening a database: URL parsing, the async engines (aiosqlite, asyncpg), migrations on open, and
`SqlDatabase`, the storage side of `hub.core.ports.Database`.

Imports SQLAlchemy, the standard library, core ports and hub.storage internals only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from hub.core.ports import Database
from hub.storage.engine import Backend, SqlTransaction
from hub.storage.migrations import LATEST_VERSION, apply_migrations, schema_version
from hub.storage.repositories import SqlUnitOfWork
from hub.storage.secrets import TokenCipher, random_secret_key
from hub.storage.sqlite_driver import fast_dbapi

SQLITE_BUSY_TIMEOUT_MS = 10_000
PING_TIMEOUT_S = 5.0
POSTGRES_CONNECT_TIMEOUT_S = 10.0

# The key of databases opened without one (tests, tools): random, the same for the whole process, so a
# database reopened in this process reads its tokens again, but another process cannot.
_PROCESS_SECRET_KEY = random_secret_key()


class SqlDatabase:
    """Implements `hub.core.ports.Database` on SQLite or PostgreSQL."""

    latest_schema_version = LATEST_VERSION

    def __init__(self, backend: Backend, url: URL, cipher: TokenCipher) -> None:
        self._backend = backend
        self.url = url
        self._cipher = cipher

    @property
    def dialect(self) -> str:
        """`"sqlite"` or `"postgresql"`."""
        return self._backend.dialect

    @property
    def engine(self) -> AsyncEngine:
        return self._backend.engine

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._backend, self._cipher)

    def transaction(self) -> SqlTransaction:
        """A bare transaction for maintenance tools and tests (`read`/`write` SQLAlchemy statements,
        `commit`, `close`), with the same locking as a unit of work."""
        return SqlTransaction(self._backend)

    async def ping(self) -> bool:
        """True when the database answers a trivial query within a few seconds; never raises."""
        if self._backend.closed:
            return False
        try:
            async with asyncio.timeout(PING_TIMEOUT_S), self._backend.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # any failure means "not reachable"; /health reports it
            return False
        return True

    async def close(self) -> None:
        """Dispose of the engine's connections; afterwards `ping()` is False and no new connection is made."""
        self._backend.closed = True
        await self._backend.wait_checkpoint()
        await self._backend.close_idle()
        await self._backend.engine.dispose()

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations (up to `target`, default all); returns the versions applied now.
        Raises `SchemaVersionError` when the database is newer than this code."""
        return await apply_migrations(self._backend, target)

    async def schema_version(self) -> int:
        return await schema_version(self._backend)


def database_url(url: str) -> tuple[URL, bool]:
    """The async-driver URL for `url`, and whether it names an in-memory SQLite database.

    Accepts `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite:///:memory:` (also `sqlite://`),
    `postgresql://…`, `postgres://…` and `postgresql+asyncpg://…`."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if memory:
            return URL.create("sqlite+aiosqlite", query=parsed.query), True
        return parsed.set(drivername="sqlite+aiosqlite"), False
    if backend in ("postgresql", "postgres"):
        query = dict(parsed.query)
        if "sslmode" in query:  # libpq's spelling; asyncpg calls it `ssl`
            query["ssl"] = query.pop("sslmode")
        return parsed.set(drivername="postgresql+asyncpg", query=query), False
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}")


def build_database(url: str, *, secret_key: bytes | None = None) -> SqlDatabase:
    """An engine for `url` without touching the database (no connection, no migration).

    `secret_key` encrypts partner tokens at rest (see hub.storage.secrets); None means a random key of this
    process (tests and tools: what it stores cannot be read by another process)."""
    async_url, memory = database_url(url)
    if async_url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(async_url, memory)
    else:
        engine = create_async_engine(
            async_url,
            isolation_level="READ COMMITTED",
            pool_size=10,
            max_overflow=20,
            pool_timeout=30,
            connect_args={
                "timeout": POSTGRES_CONNECT_TIMEOUT_S,
                "server_settings": {"application_name": "ocpi-hub"},
            },
        )
    backend = Backend(engine, single_connection=memory)
    if backend.is_sqlite and not memory:
        backend.wal_file = async_url.database
    cipher = TokenCipher(_PROCESS_SECRET_KEY if secret_key is None else secret_key)
    return SqlDatabase(backend, async_url, cipher)


async def open_database(url: str, *, secret_key: bytes | None = None) -> SqlDatabase:
    """Connect to `url`, bring its schema up to date and return the database (see `database_url`; for
    `secret_key` see `build_database`)."""
    db = build_database(url, secret_key=secret_key)
    try:
        await db.migrate()
    except BaseException:
        await db.close()
        raise
    return db


def _sqlite_engine(url: URL, memory: bool) -> AsyncEngine:
    # Autocommit at the driver: the unit of work issues BEGIN IMMEDIATE / COMMIT / ROLLBACK itself, and
    # nothing else may (so SQLAlchemy's own rollbacks, e.g. on pool check-in, are skipped).
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True}
    dbapi = fast_dbapi()
    if dbapi is not None:
        options["module"] = dbapi
        options["connect_args"] = {"check_same_thread": False}
    if memory:
        engine = create_async_engine(url, poolclass=StaticPool, **options)
    else:
        engine = create_async_engine(url, pool_size=5, max_overflow=20, pool_timeout=30, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # Checkpoints run off the loop (Backend.committed). SQLite's own, on the writer's connection,
                # stays as a safety net at 10,000 pages (~40 MB) in case those cannot keep up (a PASSIVE
                # checkpoint racing steady writes may never let the WAL restart), and the WAL file is cut back
                # to 64 MiB once it restarts, so its size stays bounded either way.
                cursor.execute("PRAGMA wal_autocheckpoint=10000")
                cursor.execute("PRAGMA journal_size_limit=67108864")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        finally:
            cursor.close()

    return engine


def _as_port(db: SqlDatabase) -> Database:
    """Never called: lets mypy prove that SqlDatabase (and so SqlUnitOfWork) implements the core's ports."""
    return db
