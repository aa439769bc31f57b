"""The engine a database runs on and the transaction one unit of work owns.

SQLite: the driver runs in autocommit mode; a unit of work reads outside a transaction (each statement
sees the latest committed data, like READ COMMITTED) and at its first write takes the process's write lock
and issues `BEGIN IMMEDIATE`, so concurrent writers queue on an asyncio lock instead of failing with
"database is locked". An in-memory database has one connection: there a unit of work holds the lock
throughout.
PostgreSQL: one pooled connection and one READ COMMITTED transaction per unit of work.
Imports SQLAlchemy, the standard library and hub.storage's row cache and SQLite driver only.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable

from hub.storage.cache import DROP, Key, RowCache
from hub.storage.sqlite_driver import PlainResult, plain_statement, raw_sqlite, run_plain

# SQLite WAL: the pooled connections do not checkpoint (wal_autocheckpoint=0, set in db.py); every this many
# commits a PASSIVE checkpoint runs on a worker thread with its own connection, so its page copying and fsync
# never stall the event loop (where statements run, see sqlite_driver.INLINE).
CHECKPOINT_EVERY_COMMITS = 500

# SQLite file: open connections kept between units of work (checking one out of SQLAlchemy's pool and back
# costs more than the statements of a short unit of work).
IDLE_CONNECTIONS_MAX = 8

# Tables whose rows the RowCache holds: a write to one that a repository does not stage clears the cache.
CACHED_TABLES = frozenset({"locations", "tariffs", "tokens"})


class NestedWriteError(RuntimeError):
    """A task holding SQLite's write lock opened a second unit of work that writes: it would wait forever."""


class DatabaseClosedError(RuntimeError):
    """The database was closed (the hub is shutting down): no new connections."""


class Backend:
    """An engine plus the per-process state its units of work share (SQLite write lock, outbox claims)."""

    def __init__(self, engine: AsyncEngine, *, single_connection: bool = False) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self.is_postgres = self.dialect == "postgresql"
        # An in-memory SQLite database lives on one connection: units of work take turns on it.
        self.single_connection = single_connection
        self.write_lock = asyncio.Lock()
        self.write_owner: asyncio.Task[Any] | None = None
        # SQLite has no row locks: outbox messages claimed by an open unit of work are listed here instead.
        self.claim_lock = asyncio.Lock()
        self.claimed: set[int] = set()
        # The highest OCPP transaction number handed out by this process (SQLite counter floor).
        self.last_transaction_number = 0
        self.closed = False
        # Rows the hot path reads on every message; only where this process is the one writer (SQLite).
        self.cache: RowCache | None = RowCache() if self.is_sqlite else None
        # The database file that background checkpoints run on (None: no WAL, e.g. in-memory or PostgreSQL).
        self.wal_file: str | None = None
        self._commits = 0
        self._checkpoint: asyncio.Future[None] | None = None
        self.checkpoints_run = 0
        self._idle: list[AsyncConnection] = []

    def committed(self) -> None:
        """A write transaction committed (SQLite): now and then checkpoint the WAL off the loop."""
        if self.wal_file is None:
            return
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY_COMMITS and self._checkpoint is None and not self.closed:
            self._commits = 0
            loop = asyncio.get_running_loop()
            self._checkpoint = loop.run_in_executor(None, _checkpoint_wal, self.wal_file)
            self._checkpoint.add_done_callback(self._checkpoint_done)

    def _checkpoint_done(self, _future: asyncio.Future[None]) -> None:
        self._checkpoint = None
        self.checkpoints_run += 1

    async def wait_checkpoint(self) -> None:
        """Wait for a background checkpoint still running (before the engine is disposed)."""
        if self._checkpoint is not None:
            await asyncio.shield(self._checkpoint)

    async def connect(self) -> AsyncConnection:
        if self.closed:
            raise DatabaseClosedError("the database is closed")
        if self._idle:
            return self._idle.pop()
        return await self.engine.connect()

    async def release(self, conn: AsyncConnection) -> None:
        """Give back a connection whose unit of work ended (no transaction open on it)."""
        if (
            self.is_sqlite
            and not self.single_connection
            and not self.closed
            and len(self._idle) < IDLE_CONNECTIONS_MAX
            and not conn.closed
            and not conn.invalidated
        ):
            self._idle.append(conn)
            return
        await conn.close()

    async def close_idle(self) -> None:
        """Close the connections kept between units of work (before the engine is disposed)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()


def _checkpoint_wal(path: str) -> None:
    """PASSIVE checkpoint (never waits for readers or writers) on a short-lived connection of its own."""
    try:
        conn = sqlite3.connect(path, timeout=0, check_same_thread=False)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:
        pass  # busy or closing: the next one catches up (the last connection to close checkpoints too)
    finally:
        conn.close()


class SqlTransaction:
    """The connection, transaction and per-transaction state of one unit of work."""

    __slots__ = (
        "_clear_cache",
        "_conn",
        "_raw",
        "_raw_for",
        "_staged",
        "_writing",
        "backend",
        "claimed",
        "location_evse_keys",
    )

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._conn: AsyncConnection | None = None
        self._writing = False
        self.claimed: list[int] = []
        # (party_key, location_key) -> evse_keys of the locations read in this transaction (locations.put)
        self.location_evse_keys: dict[tuple[str, str], str] = {}
        # Cache entries this transaction wrote (applied to the backend's cache when it commits).
        self._staged: dict[Key, Any] | None = None
        self._clear_cache = False
        # The raw sqlite3 connection under _conn (plain statements), and the AsyncConnection it belongs to.
        self._raw: sqlite3.Connection | None = None
        self._raw_for: AsyncConnection | None = None

    # --- the row cache (see hub.storage.cache) --------------------------------------------------------

    @property
    def cache_generation(self) -> int:
        cache = self.backend.cache
        return -1 if cache is None else cache.generation

    def cached(self, key: Key) -> Any:
        """What this transaction or the backend's cache knows of `key` (test with `is_missing`)."""
        staged = self._staged
        if staged is not None and key in staged:
            value = staged[key]
            return RowCache.missing() if value is DROP else value
        cache = self.backend.cache
        return RowCache.missing() if cache is None or self._clear_cache else cache.get(key)

    def fill_cache(self, key: Key, value: Any, generation: int) -> None:
        """Remember what a read returned (not inside a transaction that wrote that key or raw SQL)."""
        cache = self.backend.cache
        if cache is not None and not self._clear_cache and (self._staged is None or key not in self._staged):
            cache.fill(key, value, generation)

    def stage(self, key: Key, value: Any = DROP) -> None:
        """This transaction wrote `key`: its new value (or DROP) reaches the cache at commit."""
        if self.backend.cache is not None:
            if self._staged is None:
                self._staged = {}
            self._staged[key] = value

    async def connection(self) -> AsyncConnection:
        """The connection to read on (in-memory SQLite: after taking the lock)."""
        conn = self._conn
        if self.backend.single_connection and not self._writing:
            return await self.begin_write()
        if conn is None:
            conn = self._conn = await self.backend.connect()
        return conn

    async def read(self, statement: Executable, params: dict[str, Any] | None = None) -> CursorResult[Any]:
        conn = self._conn
        if conn is None or (self.backend.single_connection and not self._writing):
            conn = await self.connection()
        return await conn.execute(statement, params)

    async def read_plain(self, statement: Executable, params: dict[str, Any]) -> list[Any]:
        """`read` for the hot path's lookups, as a list of rows: on SQLite run straight on sqlite3 (compiled
        once, results through the same processors SQLAlchemy applies); elsewhere the same as `read`."""
        conn = self._conn
        if conn is None or (self.backend.single_connection and not self._writing):
            conn = await self.connection()
        raw = self._raw_of(conn)
        plain = None if raw is None else plain_statement(statement, self.backend.engine.dialect, params)
        if raw is None or plain is None or not plain.usable:
            return list(await conn.execute(statement, params))
        return plain.rows(run_plain(raw, plain.sql, plain.parameters(params)).all())

    async def write(
        self,
        statement: Executable,
        params: dict[str, Any] | list[dict[str, Any]] | None = None,
        *,
        staged: bool = False,
    ) -> CursorResult[Any]:
        """Run a write; `staged` says the caller staged its effect on the row cache itself."""
        self._note_write(statement, staged)
        conn = self._conn if self._writing else await self.begin_write()
        assert conn is not None
        return await conn.execute(statement, params)

    async def write_plain(
        self, statement: Executable, params: dict[str, Any], *, staged: bool = False
    ) -> CursorResult[Any] | PlainResult:
        """`write` for the hot path's one-row statements: on SQLite run straight on sqlite3 (compiled once,
        see `sqlite_driver.PlainStatement`); elsewhere the same as `write`."""
        conn = self._conn if self._writing else await self.begin_write()
        assert conn is not None
        raw = self._raw_of(conn)
        plain = None if raw is None else plain_statement(statement, self.backend.engine.dialect, params)
        if raw is None or plain is None or not plain.usable:
            return await self.write(statement, params, staged=staged)
        self._note_write(statement, staged)
        return run_plain(raw, plain.sql, plain.parameters(params))

    def _note_write(self, statement: Executable, staged: bool) -> None:
        if not (staged or statement.is_select or self._clear_cache) and self.backend.cache is not None:
            table = getattr(statement, "table", None)
            if table is None or getattr(table, "name", None) in CACHED_TABLES:
                self._clear_cache = True

    def _raw_of(self, conn: AsyncConnection) -> sqlite3.Connection | None:
        if self._raw_for is not conn:
            sync = conn.sync_connection
            raw = None
            if self.backend.is_sqlite and sync is not None:
                raw = raw_sqlite(sync.connection.dbapi_connection)
            self._raw, self._raw_for = raw, conn
        return self._raw

    async def _driver_sql(self, conn: AsyncConnection, sql: str) -> None:
        raw = self._raw_of(conn)
        if raw is not None:
            run_plain(raw, sql)
        else:
            await conn.exec_driver_sql(sql)

    async def begin_write(self) -> AsyncConnection:
        """Make sure this transaction may write (SQLite: take the write lock, BEGIN IMMEDIATE)."""
        conn = self._conn
        if self._writing and conn is not None:
            return conn
        backend = self.backend
        if not backend.is_sqlite:
            if conn is None:
                conn = self._conn = await backend.connect()
            self._writing = True
            return conn
        if conn is None and not backend.single_connection:
            # Take a pooled connection before queueing for the lock: the lock holder never waits for the pool.
            conn = self._conn = await backend.connect()
        task = asyncio.current_task()
        if task is not None and backend.write_owner is task:
            raise NestedWriteError(
                "this task already holds the SQLite write lock in another unit of work; commit or leave it "
                "before writing in a new one (on an in-memory database, before using a new one at all)"
            )
        await backend.write_lock.acquire()
        backend.write_owner = task
        try:
            if conn is None:
                conn = self._conn = await backend.connect()
            await self._driver_sql(conn, "BEGIN IMMEDIATE")
        except BaseException:
            # Failed or cancelled: the BEGIN may still run on the driver's thread, so the connection's state
            # is unknown and it must not go back to the pool.
            self._release_write()
            await self._discard()
            raise
        self._writing = True
        return conn

    async def commit(self) -> None:
        conn = self._conn
        try:
            if conn is not None:
                if not self.backend.is_sqlite:
                    await conn.commit()
                elif self._writing:
                    await self._driver_sql(conn, "COMMIT")
        except BaseException:
            await self._abort()
            raise
        cache = self.backend.cache
        if self._writing and self.backend.is_sqlite:
            self.backend.committed()
        if cache is not None:
            if self._clear_cache:
                cache.clear()
            elif self._staged:
                cache.apply(self._staged)
        await self._end()

    async def rollback(self) -> None:
        conn = self._conn
        try:
            if conn is not None:
                if not self.backend.is_sqlite:
                    await conn.rollback()
                elif self._writing:
                    await conn.exec_driver_sql("ROLLBACK")
        except BaseException:
            await self._abort()
            raise
        await self._end()

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        try:
            if self._writing or (self._conn is not None and not self.backend.is_sqlite):
                await self.rollback()
        finally:
            await self._end()
            conn, self._conn = self._conn, None
            if conn is not None:
                await self.backend.release(conn)

    async def _abort(self) -> None:
        """After a failed or cancelled COMMIT/ROLLBACK."""
        try:
            await self._discard()
        finally:
            await self._end()

    async def _discard(self) -> None:
        """Never hand this connection to anyone again (its transaction state is unknown)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.invalidate()

    async def _end(self) -> None:
        self.location_evse_keys.clear()
        self._staged = None
        self._clear_cache = False
        if self.claimed:
            self.backend.claimed.difference_update(self.claimed)
            self.claimed.clear()
        if self._writing:
            self._writing = False
            if self.backend.is_sqlite:
                try:
                    if self.backend.single_connection:
                        conn, self._conn = self._conn, None
                        if conn is not None:
                            await conn.close()
                finally:
                    self._release_write()

    def _release_write(self) -> None:
        self.backend.write_owner = None
        self.backend.write_lock.release()
