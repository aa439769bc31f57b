"""Unit-of-work contract: nothing is visible before commit, rollback discards everything (outbox rows
included), and concurrent units of work all commit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.contract.builders import CPO, a_message, a_party, a_session, at
from tests.contract.helpers import read


async def test_nothing_is_visible_before_commit(database: Any) -> None:
    async with database.unit_of_work() as writer:
        await writer.sessions.put(a_session())
        await writer.outbox.add(a_message())
        # the writer reads its own writes …
        assert await writer.sessions.get("ses-0001") == a_session()

        # … nobody else does until it commits
        async with database.unit_of_work() as reader:
            assert await reader.sessions.get("ses-0001") is None
            assert await reader.outbox.depth() == 0
        await writer.commit()

    assert await read(database, lambda uow: uow.sessions.get("ses-0001")) == a_session()
    assert await read(database, lambda uow: uow.outbox.depth()) == 1


async def test_rollback_discards_everything_including_outbox(database: Any) -> None:
    async with database.unit_of_work() as uow:
        await uow.parties.put(a_party())
        await uow.sessions.put(a_session())
        await uow.outbox.add(a_message())
        await uow.rollback()

    assert await read(database, lambda uow: uow.parties.get(CPO)) is None
    assert await read(database, lambda uow: uow.sessions.get("ses-0001")) is None
    assert await read(database, lambda uow: uow.outbox.depth()) == 0


async def test_leaving_without_commit_rolls_back(database: Any) -> None:
    async with database.unit_of_work() as uow:
        await uow.sessions.put(a_session())

    assert await read(database, lambda uow: uow.sessions.get("ses-0001")) is None


async def test_an_error_inside_rolls_back(database: Any) -> None:
    class HandlerError(Exception):
        pass

    async def write_then_fail() -> None:
        async with database.unit_of_work() as uow:
            await uow.sessions.put(a_session())
            await uow.outbox.add(a_message())
            raise HandlerError

    with pytest.raises(HandlerError):
        await write_then_fail()

    assert await read(database, lambda uow: uow.sessions.get("ses-0001")) is None
    assert await read(database, lambda uow: uow.outbox.depth()) == 0


async def test_a_unit_of_work_that_only_reads_then_writes_sees_fresh_data(database: Any) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.sessions.get("ses-0001") is None
        await uow.sessions.put(a_session())
        await uow.commit()

    assert await read(database, lambda uow: uow.sessions.get("ses-0001")) == a_session()


async def test_concurrent_units_of_work_all_commit(database: Any) -> None:
    """Many writers at once (the OCPP hot path): none fails with a lock error, every write lands."""

    async def write(n: int) -> None:
        async with database.unit_of_work() as uow:
            await uow.sessions.get(f"s{n}")
            await uow.sessions.put(a_session(f"s{n}", transaction_id=str(n), last_updated=at(n)))
            await uow.outbox.add(a_message(f"session/s{n}"))
            await uow.commit()

    await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(40))), timeout=60)

    listed = await read(database, lambda uow: uow.sessions.list())
    assert [s.id for s in listed] == [f"s{n}" for n in range(40)]
    assert await read(database, lambda uow: uow.outbox.depth()) == 40


async def test_a_cancelled_unit_of_work_rolls_back_and_blocks_nobody(database: Any) -> None:
    """A station handler cancelled mid-transaction (its socket closed) must not keep the write lock."""
    holding = asyncio.Event()

    async def cancelled_writer() -> None:
        async with database.unit_of_work() as uow:
            await uow.sessions.put(a_session("abandoned"))
            holding.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(cancelled_writer())
    await asyncio.wait_for(holding.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async with asyncio.timeout(10):
        async with database.unit_of_work() as uow:
            await uow.sessions.put(a_session("next"))
            await uow.commit()
    assert await read(database, lambda uow: uow.sessions.get("abandoned")) is None
    assert await read(database, lambda uow: uow.sessions.get("next")) == a_session("next")
