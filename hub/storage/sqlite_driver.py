"""A faster DBAPI adapter for SQLAlchemy's `sqlite+aiosqlite` dialect. SQLAlchemy's own adapter makes three
or four trips to aiosqlite's worker thread per statement (open a cursor, execute, fetch, close), and on the
OCPP hot path those thread hand-offs are most of what a statement costs.

Statements run inline on the event loop's thread: with WAL and `synchronous=NORMAL` a statement or a COMMIT
is tens of microseconds of C code with no fsync, cheaper than any hand-off, and a unit of work then holds
SQLite's write lock only for the time its statements take instead of across several loop iterations (which
made concurrent writers queue behind each other). Connecting and closing still run on aiosqlite's thread,
which is why connections are opened with `check_same_thread=False`; a connection is used by one unit of work
at a time, so the two threads never use it at once.

Relies on aiosqlite's `Connection._execute` (run a function on the connection's thread); `fast_dbapi()`
returns None when it is missing, and the engine then uses SQLAlchemy's stock adapter.
Imports SQLAlchemy, aiosqlite and the standard library only.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_dbapi

try:  # SQLAlchemy 2.1
    from sqlalchemy.util.concurrency import await_
except ImportError:  # SQLAlchemy 2.0 names it await_only
    from sqlalchemy.util.concurrency import await_only as await_

_Outcome = tuple[Any, list[Any] | None, int, int | None]

INLINE = True  # run statements on the event loop's thread (see the module docstring)


def _run_in_thread(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


async def _run_inline(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    return _run_in_thread(conn, operation, parameters, many)


class OneTripCursor:
    """A buffered DBAPI cursor whose `execute` runs, fetches and closes on the worker thread in one go."""

    server_side = False
    arraysize = 1
    __slots__ = ("_adapt_connection", "_rows", "description", "lastrowid", "rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        connection: Any = self._adapt_connection._connection
        try:
            if INLINE:
                # Still one (non-suspending) await: SQLAlchemy's async engine insists that one happens.
                outcome: _Outcome = await_(_run_inline(connection._conn, operation, parameters, many))
            else:
                outcome = await_(
                    connection._execute(_run_in_thread, connection._conn, operation, parameters, many)
                )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = deque(rows or ())

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._run(operation, () if parameters is None else parameters, False)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._run(operation, seq_of_parameters, True)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """Nothing to do: the driver cursor was closed on the worker thread already."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        return None


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            return super().cursor(server_side=True)
        return OneTripCursor(self)


class _OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        stock = super().connect(*arg, **kw)
        return _OneTripConnection(self, stock._connection)


def fast_dbapi() -> AsyncAdapt_aiosqlite_dbapi | None:
    """The DBAPI module to give `create_async_engine(..., module=...)`, or None to use SQLAlchemy's."""
    if not callable(getattr(aiosqlite.Connection, "_execute", None)):
        return None
    return _OneTripDbapi(aiosqlite, sqlite3)
