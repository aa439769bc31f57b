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
from collections import deque, namedtuple
from collections.abc import Iterator, Sequence
from typing import Any

import aiosqlite
from sqlalchemy import exc as sa_exc
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


# --- the hot path's statements, straight to sqlite3 ---------------------------------------------------------
# SQLAlchemy's execution pipeline (execution context, parameter processing, result set-up) costs several times
# what SQLite itself takes for a one-row write. The unit of work's hottest statements (BEGIN/COMMIT, outbox
# inserts, session upserts, location updates) are compiled once by SQLAlchemy and then run on the raw sqlite3
# connection, with the same bind processors SQLAlchemy would apply. Only while statements run inline (INLINE).


class PlainStatement:
    """A statement compiled once for SQLite (qmark style): its SQL, parameter order and bind processors."""

    __slots__ = (
        "constants",
        "names",
        "processors",
        "row_processors",
        "row_type",
        "sql",
        "statement",
        "usable",
    )

    def __init__(self, statement: Any, dialect: Any, keys: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self.statement = statement  # kept alive: the cache is keyed by its id()
        self.sql: str = compiled.string
        # Parameters expanded at execution time (IN lists) need SQLAlchemy: such statements go its way.
        self.usable = not compiled.post_compile_params and "POSTCOMPILE" not in self.sql
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        processors = compiled._bind_processors
        self.processors = tuple(processors.get(name) for name in self.names)
        # Values the statement carries itself (literals SQLAlchemy turned into bound parameters).
        self.constants: dict[str, Any] = {}
        for name in self.names:
            if name not in keys:
                bind = compiled.binds[name]
                if bind.required:
                    raise ValueError(f"statement parameter {name!r} has no value")
                self.constants[name] = bind.effective_value
        # SELECTs: rows with attribute access, values through the columns' result processors.
        columns = compiled._result_columns if statement.is_select else []
        self.row_type: type[tuple[Any, ...]] | None = (
            namedtuple("PlainRow", [c.keyname for c in columns]) if columns else None
        )
        self.row_processors = tuple(c.type._cached_result_processor(dialect, None) for c in columns)

    def rows(self, raw_rows: list[Any]) -> list[Any]:
        """Driver rows as named rows with SQLAlchemy's result processing (a SELECT's only)."""
        row_type, processors = self.row_type, self.row_processors
        assert row_type is not None
        return [
            row_type(*[v if p is None or v is None else p(v) for v, p in zip(raw, processors, strict=True)])
            for raw in raw_rows
        ]

    def parameters(self, params: dict[str, Any]) -> list[Any]:
        if self.constants:
            params = {**self.constants, **params}
        return [
            params[name] if processor is None else processor(params[name])
            for name, processor in zip(self.names, self.processors, strict=True)
        ]


_PLAIN: dict[tuple[int, tuple[str, ...]], PlainStatement] = {}


def plain_statement(statement: Any, dialect: Any, params: dict[str, Any]) -> PlainStatement:
    keys = tuple(params)
    plain = _PLAIN.get((id(statement), keys))
    if plain is None or plain.statement is not statement:
        plain = _PLAIN[(id(statement), keys)] = PlainStatement(statement, dialect, keys)
    return plain


class PlainResult:
    """The little of a CursorResult the repositories use on writes."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Any]:
        return self._rows

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise (
                sa_exc.NoResultFound("expected exactly one row")
                if not self._rows
                else sa_exc.MultipleResultsFound("expected exactly one row")
            )
        return self._rows[0][0]


def raw_sqlite(dbapi_connection: Any) -> sqlite3.Connection | None:
    """The sqlite3 connection under a pooled DBAPI connection, when statements may run on it directly."""
    if not INLINE or not isinstance(dbapi_connection, _OneTripConnection):
        return None
    raw = getattr(dbapi_connection._connection, "_conn", None)
    return raw if isinstance(raw, sqlite3.Connection) else None


def run_plain(raw: sqlite3.Connection, sql: str, parameters: Sequence[Any] = ()) -> PlainResult:
    """Run one statement on the raw connection; driver errors become SQLAlchemy's (IntegrityError, …)."""
    try:
        cursor = raw.execute(sql, parameters)
        try:
            rows = cursor.fetchall() if cursor.description else []
            return PlainResult(rows, cursor.rowcount)
        finally:
            cursor.close()
    except sqlite3.Error as error:
        raise sa_exc.DBAPIError.instance(sql, parameters, error, sqlite3.Error) from error
