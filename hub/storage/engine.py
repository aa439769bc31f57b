"""The engine a database runs on and the transaction one unit of work owns.

SQLite: the driver runs in autocommit mode; a unit of work reads outside a transaction (each statement
sees the latest committed data, like READ COMMITTED) and at its first write takes the process's write lock
and issues `BEGIN IMMEDIATE`, so concurrent writers queue on an asyncio lock instead of failing with
"database is locked". An in-memory database has one connection: there a unit of work holds the lock
throughout.
PostgreSQL: one pooled connection and one READ COMMITTED transaction per unit of work.
Imports SQLAlchemy and the standard library only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable


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

    async def connect(self) -> AsyncConnection:
        if self.closed:
            raise DatabaseClosedError("the database is closed")
        return await self.engine.connect()


class SqlTransaction:
    """The connection, transaction and per-transaction state of one unit of work."""

    __slots__ = ("_conn", "_writing", "backend", "claimed", "location_evse_keys")

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._conn: AsyncConnection | None = None
        self._writing = False
        self.claimed: list[int] = []
        # (party_key, location_key) -> evse_keys of the locations read in this transaction (locations.put)
        self.location_evse_keys: dict[tuple[str, str], str] = {}

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

    async def write(
        self, statement: Executable, params: dict[str, Any] | list[dict[str, Any]] | None = None
    ) -> CursorResult[Any]:
        conn = self._conn if self._writing else await self.begin_write()
        assert conn is not None
        return await conn.execute(statement, params)

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
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
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
                    await conn.exec_driver_sql("COMMIT")
        except BaseException:
            await self._abort()
            raise
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
                await conn.close()

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
