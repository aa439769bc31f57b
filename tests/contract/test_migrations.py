"""Migrations contract (SQL backends): a fresh database ends at the latest version, re-running is a no-op,
a newer database is refused, an upgrade keeps the data, and the migrated schema equals tables.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select

from hub.core.models import TokenType
from hub.storage import LATEST_VERSION, SchemaVersionError, build_database, open_database
from hub.storage.migrations import MIGRATIONS
from hub.storage.migrations.m0001_initial import schema_v1
from hub.storage.repositories.commands import from_core_command
from hub.storage.repositories.sessions import from_core_session
from hub.storage.repositories.tokens import from_core_token
from hub.storage.tables import METADATA, schema_migrations
from tests.contract.builders import CPO, MSP, a_command, a_session, a_token, at
from tests.contract.conftest import SQL_KINDS

pytestmark = pytest.mark.parametrize("sql_url", SQL_KINDS, indirect=True)


async def applied_versions(db: Any) -> list[int]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(schema_migrations.c.version).order_by(schema_migrations.c.version))
        return [row.version for row in rows]


def test_migrations_are_numbered_without_gaps(sql_url: str) -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert LATEST_VERSION >= 2


async def test_a_fresh_database_is_migrated_to_the_latest_version(sql_url: str) -> None:
    db = await open_database(sql_url)
    try:
        assert await db.schema_version() == LATEST_VERSION
        assert await applied_versions(db) == list(range(1, LATEST_VERSION + 1))
    finally:
        await db.close()


async def test_migrating_again_is_a_no_op(sql_url: str) -> None:
    db = await open_database(sql_url)
    try:
        assert await db.migrate() == []
    finally:
        await db.close()
    reopened = await open_database(sql_url)
    try:
        assert await reopened.migrate() == []
        assert await applied_versions(reopened) == list(range(1, LATEST_VERSION + 1))
    finally:
        await reopened.close()


async def test_processes_starting_together_migrate_once(sql_url: str) -> None:
    first, second = build_database(sql_url), build_database(sql_url)
    try:
        applied = await asyncio.gather(first.migrate(), second.migrate())
        assert sorted(applied[0] + applied[1]) == list(range(1, LATEST_VERSION + 1))
        assert await applied_versions(first) == list(range(1, LATEST_VERSION + 1))
    finally:
        await first.close()
        await second.close()


async def test_a_database_newer_than_the_code_is_refused(sql_url: str) -> None:
    db = await open_database(sql_url)
    try:
        tx = db.transaction()
        future = {
            "version": LATEST_VERSION + 1,
            "name": "m9999_future",
            "applied_at": datetime(2030, 1, 1, tzinfo=UTC),
        }
        await tx.write(insert(schema_migrations), future)
        await tx.commit()
        await tx.close()
    finally:
        await db.close()

    with pytest.raises(SchemaVersionError, match=rf"version {LATEST_VERSION + 1}, newer than this hub knows"):
        await open_database(sql_url)


async def test_upgrading_from_version_1_keeps_the_data(sql_url: str) -> None:
    db = build_database(sql_url)
    try:
        assert await db.migrate(target=1) == [1]
        v1 = schema_v1().tables
        reservation = a_command("cmd-1", reservation_id="Res-ABC")
        session = a_session()
        command_v1 = {k: v for k, v in from_core_command(reservation).items() if k != "reservation_key"}
        tx = db.transaction()
        await tx.write(insert(v1["commands"]), command_v1)
        await tx.write(insert(v1["sessions"]), from_core_session(session))
        await tx.commit()
        await tx.close()

        assert await db.migrate() == list(range(2, LATEST_VERSION + 1))

        async with db.unit_of_work() as uow:
            assert await uow.commands.get("cmd-1") == reservation
            assert await uow.commands.find_reservation("cp001", "res-abc", MSP) == reservation
            assert await uow.sessions.get("ses-0001") == session
        assert await db.schema_version() == LATEST_VERSION
    finally:
        await db.close()


async def test_tk_04_upgrading_tokens_to_the_type_key_keeps_them(sql_url: str) -> None:
    db = build_database(sql_url)
    try:
        assert await db.migrate(target=4) == list(range(1, 5))
        rfid, other = a_token("T1"), a_token("T2", party=CPO, type=TokenType.OTHER, own=True)
        tx = db.transaction()
        for token in (rfid, other):
            await tx.write(insert(schema_v1().tables["tokens"]), from_core_token(token))
        await tx.commit()
        await tx.close()

        assert await db.migrate() == list(range(5, LATEST_VERSION + 1))

        app = a_token("t1", type=TokenType.APP_USER, last_updated=at(1))
        async with db.unit_of_work() as uow:
            await uow.tokens.put(app)
            await uow.commit()
        async with db.unit_of_work() as uow:
            assert await uow.tokens.get("T1", MSP, TokenType.RFID) == rfid
            assert await uow.tokens.get("T1", MSP, TokenType.APP_USER) == app
            assert await uow.tokens.get("t2") == other
            assert len(await uow.tokens.list()) == 3
    finally:
        await db.close()


async def test_the_migrated_schema_equals_the_table_definitions(sql_url: str) -> None:
    db = await open_database(sql_url)
    try:
        async with db.engine.connect() as conn:
            actual = await conn.run_sync(describe_database)
    finally:
        await db.close()
    assert actual == describe_metadata()


def describe_database(sync_conn: Any) -> dict[str, Any]:
    inspector = inspect(sync_conn)
    described: dict[str, Any] = {}
    for table in METADATA.sorted_tables:
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        indexes = {
            ix["name"]: (tuple(ix["column_names"]), bool(ix["unique"]))
            for ix in inspector.get_indexes(table.name)
        }
        primary_key = tuple(inspector.get_pk_constraint(table.name)["constrained_columns"])
        described[table.name] = (columns, indexes, primary_key)
    return described


def describe_metadata() -> dict[str, Any]:
    described: dict[str, Any] = {}
    for table in METADATA.sorted_tables:
        columns = {c.name: bool(c.nullable) for c in table.columns}
        indexes = {ix.name: (tuple(c.name for c in ix.columns), bool(ix.unique)) for ix in table.indexes}
        primary_key = tuple(c.name for c in table.primary_key.columns)
        described[table.name] = (columns, indexes, primary_key)
    return described
