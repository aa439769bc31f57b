"""Fixtures of the repository contract suite: `database` runs each test on every storage backend (SQLite,
PostgreSQL, and the in-memory fake when tests/fakes/memory.py provides it); `sql_database` on the SQL ones;
`sql_url` is a brand-new empty database (migration tests). To stay fast, the SQL fixtures migrate once a run:
SQLite tests get a copy of a migrated file, PostgreSQL tests share one migrated database emptied before each.

Under CI=true an unreachable PostgreSQL fails the test; elsewhere it is skipped.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import delete

from hub.storage import SqlDatabase, open_database
from hub.storage.tables import METADATA, schema_migrations
from tests.db import fresh_database_url, postgres_available, postgres_base_url, running_in_ci

T = TypeVar("T")

SQL_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _memory_available() -> bool:
    if importlib.util.find_spec("tests.fakes.memory") is None:
        return False
    return hasattr(importlib.import_module("tests.fakes.memory"), "InMemoryDatabase")


MEMORY_AVAILABLE = _memory_available()
ALL_KINDS = [*SQL_KINDS, *(["memory"] if MEMORY_AVAILABLE else [])]


async def require_postgres() -> None:
    if await postgres_available():
        return
    message = f"PostgreSQL test server not reachable at {postgres_base_url()} (set HUB_TEST_POSTGRES_URL)"
    if running_in_ci():
        pytest.fail(message)
    pytest.skip(message)


async def fresh_url(kind: str, tmp_path: Path) -> tuple[str, Any]:
    """A fresh empty database URL plus its cleanup (PostgreSQL availability checked first)."""
    if kind == "postgres":
        await require_postgres()
    return await fresh_database_url(kind, tmp_path)


@pytest.fixture
async def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh empty SQL database URL of the kind the test is parametrized with (`kind`)."""
    url, cleanup = await fresh_url(request.param, tmp_path)
    try:
        yield url
    finally:
        await cleanup()


def _run_elsewhere(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a thread of its own (session fixtures have no event loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _migrate(url: str) -> None:
    db = await open_database(url)
    await db.close()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once per run; each test works on a copy."""
    url, _ = _run_elsewhere(fresh_database_url("sqlite", tmp_path_factory.mktemp("template")))
    _run_elsewhere(_migrate(url))
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture(scope="session")
def migrated_postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database for the whole run, emptied before each test that uses it."""
    url, cleanup = _run_elsewhere(fresh_database_url("postgres", tmp_path_factory.mktemp("pg")))
    _run_elsewhere(_migrate(url))
    yield url
    _run_elsewhere(cleanup())


async def _emptied(db: SqlDatabase) -> SqlDatabase:
    tx = db.transaction()
    try:
        for table in reversed(METADATA.sorted_tables):
            if table is not schema_migrations:
                await tx.write(delete(table))
        await tx.commit()
    finally:
        await tx.close()
    return db


async def open_empty_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> SqlDatabase:
    """An empty, migrated database of `kind` (faster than creating one: see the session fixtures)."""
    if kind == "postgres":
        await require_postgres()
        return await _emptied(await open_database(request.getfixturevalue("migrated_postgres_url")))
    copy = tmp_path / "hub.db"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), copy)
    return await open_database(f"sqlite:///{copy}")


@pytest.fixture(params=SQL_KINDS)
async def sql_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlDatabase]:
    db = await open_empty_database(request.param, request, tmp_path)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture(params=ALL_KINDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A `hub.core.ports.Database` of every backend, empty and migrated."""
    if request.param == "memory":
        from tests.fakes.memory import InMemoryDatabase

        memory = InMemoryDatabase()
        yield memory
        await memory.close()
        return
    db = await open_empty_database(request.param, request, tmp_path)
    try:
        yield db
    finally:
        await db.close()
