"""Database-level behaviour of the SQL backends: URL forms, SQLite settings and write serialisation, the
shared in-memory database, PostgreSQL isolation, and ping on an unreachable server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from hub.storage import (
    DatabaseClosedError,
    NestedWriteError,
    SqlDatabase,
    build_database,
    database_url,
    open_database,
)
from tests.contract.builders import a_party, a_session
from tests.contract.conftest import SQL_KINDS
from tests.contract.helpers import put_all, read


@pytest.mark.parametrize(
    ("url", "expected", "memory"),
    [
        ("sqlite:///hub.db", "sqlite+aiosqlite:///hub.db", False),
        ("sqlite:///data/hub.db", "sqlite+aiosqlite:///data/hub.db", False),
        ("sqlite:////var/lib/hub.db", "sqlite+aiosqlite:////var/lib/hub.db", False),
        ("sqlite:///:memory:", "sqlite+aiosqlite://", True),
        ("sqlite://", "sqlite+aiosqlite://", True),
        ("postgresql://hub:pw@db:5432/hub", "postgresql+asyncpg://hub:pw@db:5432/hub", False),
        ("postgres://hub@db/hub", "postgresql+asyncpg://hub@db/hub", False),
        ("postgresql+asyncpg://hub@db/hub", "postgresql+asyncpg://hub@db/hub", False),
        ("postgresql://hub@db/hub?sslmode=require", "postgresql+asyncpg://hub@db/hub?ssl=require", False),
    ],
)
def test_database_urls_map_to_the_async_drivers(url: str, expected: str, memory: bool) -> None:
    parsed, is_memory = database_url(url)

    assert parsed.render_as_string(hide_password=False) == expected
    assert is_memory is memory


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL 'mysql://hub:\\*\\*\\*@db/hub'"):
        database_url("mysql://hub:secret@db/hub")


async def test_relative_sqlite_paths_are_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = await open_database("sqlite:///hub-relative.db")
    try:
        await put_all(db, "parties", a_party())
    finally:
        await db.close()

    assert (tmp_path / "hub-relative.db").is_file()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    db = await open_database(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        async with db.engine.connect() as conn:
            settings = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
    finally:
        await db.close()

    assert settings[0] == "wal"
    assert settings[1] == 1  # NORMAL
    assert settings[2] == 1
    assert settings[3] > 0


async def test_in_memory_sqlite_persists_across_units_of_work() -> None:
    db = await open_database("sqlite:///:memory:")
    try:
        await put_all(db, "sessions", a_session())

        async def writer(n: int) -> None:
            await put_all(db, "sessions", a_session(f"s{n}"))

        await asyncio.wait_for(asyncio.gather(*(writer(n) for n in range(10))), timeout=30)

        assert await read(db, lambda uow: uow.sessions.get("ses-0001")) == a_session()
        assert len(await read(db, lambda uow: uow.sessions.list())) == 11
        assert await db.ping()
    finally:
        await db.close()


async def test_a_second_writing_unit_of_work_in_the_same_task_fails_fast_on_sqlite(tmp_path: Path) -> None:
    db = await open_database(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        async with db.unit_of_work() as outer:
            await outer.parties.put(a_party())
            async with db.unit_of_work() as inner:
                assert await inner.parties.list() == []  # reading is fine
                with pytest.raises(NestedWriteError):
                    async with asyncio.timeout(10):  # the same task: a deadlock would hang here
                        await inner.sessions.put(a_session())
            await outer.commit()
        assert await read(db, lambda uow: uow.parties.list()) == [a_party()]
    finally:
        await db.close()


@pytest.mark.parametrize("sql_url", [SQL_KINDS[1]], indirect=True)
async def test_postgres_units_of_work_are_read_committed(sql_url: str) -> None:
    db = await open_database(sql_url)
    try:
        tx = db.transaction()
        level = (await tx.read(text("SHOW transaction_isolation"))).scalar()
        await tx.close()
    finally:
        await db.close()

    assert level == "read committed"


async def test_ping_is_false_when_the_database_is_unreachable() -> None:
    db = build_database("postgresql://postgres@127.0.0.1:1/nothing")  # nothing listens on port 1
    try:
        assert await db.ping() is False
    finally:
        await db.close()


async def test_ping_is_true_on_a_working_database(sql_database: SqlDatabase) -> None:
    assert await sql_database.ping() is True


async def test_a_closed_database_answers_no_ping_and_opens_no_connection(sql_database: SqlDatabase) -> None:
    await sql_database.close()

    assert await sql_database.ping() is False
    with pytest.raises(DatabaseClosedError):
        await read(sql_database, lambda uow: uow.parties.list())


async def test_sqlite_also_runs_on_sqlalchemys_own_aiosqlite_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-trip cursor is an optimisation: without it (older aiosqlite) storage behaves the same."""
    monkeypatch.setattr("hub.storage.db.fast_dbapi", lambda: None)
    db = await open_database(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        async with db.engine.connect() as conn:
            adapter = type((await conn.get_raw_connection()).dbapi_connection)
        assert adapter.__module__.startswith("sqlalchemy.")
        await put_all(db, "sessions", a_session())
        async with db.unit_of_work() as uow:
            await uow.sessions.put(a_session("discarded"))
            await uow.rollback()

        assert await read(db, lambda uow: uow.sessions.list()) == [a_session()]
    finally:
        await db.close()
