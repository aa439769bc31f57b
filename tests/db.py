"""Test databases: a fresh, empty SQLite file or PostgreSQL database per test, and whether the
PostgreSQL test server is reachable. Used by tests/conftest.py and tests/contract/conftest.py.

Imports asyncpg, SQLAlchemy (URL handling) and the standard library.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 3.0

_available: bool | None = None


def postgres_base_url() -> str:
    """The server to create test databases on (env `HUB_TEST_POSTGRES_URL`)."""
    return os.environ.get("HUB_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _asyncpg_dsn(url: str) -> str:
    """asyncpg takes libpq-style DSNs: drop a SQLAlchemy driver suffix (`postgresql+asyncpg://`)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT_S)


async def postgres_available() -> bool:
    """Whether the PostgreSQL test server answers (checked once per test run)."""
    global _available
    if _available is None:
        try:
            conn = await _connect(postgres_base_url())
        except (OSError, TimeoutError, asyncpg.PostgresError):
            _available = False
        else:
            await conn.close()
            _available = True
    return _available


async def _noop() -> None:
    return None


async def fresh_database_url(kind: str, tmp_path: Path) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A new, empty database of `kind` ("sqlite" or "postgres") and a coroutine function that removes it.

    SQLite: a file in `tmp_path` (pytest removes the directory). PostgreSQL: `hubtest_<random>` created on
    the server of `postgres_base_url()`; the cleanup ends leftover connections and drops it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'hub-{uuid.uuid4().hex[:8]}.db'}", _noop
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    base = postgres_base_url()
    name = f"hubtest_{uuid.uuid4().hex[:12]}"
    conn = await _connect(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()

    async def drop() -> None:
        admin = await _connect(base)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            # WITH (FORCE) (PostgreSQL 13+) also ends a connection that arrived in between.
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    return url, drop
