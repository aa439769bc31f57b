"""Outbox contract: messages are written in the caller's transaction, claimed oldest first with at most one
per key (so a key is delivered in order), retried with backoff, and never claimed by two open units of work
at once (`FOR UPDATE SKIP LOCKED` on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.core.models import OutboxMessage
from tests.contract.builders import T0, a_message, at
from tests.contract.helpers import committed, read


async def add_all(database: Any, *messages: OutboxMessage) -> list[int]:
    async def add(uow: Any) -> list[int]:
        return [await uow.outbox.add(message) for message in messages]

    return await committed(database, add)


async def claim(database: Any, now: Any = T0, limit: int = 10) -> list[int]:
    """Claim in a unit of work that ends at once (claims are released), returning the ids."""
    return [m.id for m in await read(database, lambda uow: uow.outbox.claim_due(now, limit))]


async def test_added_message_round_trips(database: Any) -> None:
    message = a_message()
    [message_id] = await add_all(database, message)

    [claimed] = await read(database, lambda uow: uow.outbox.claim_due(T0, 10))

    assert claimed == message.model_copy(update={"id": message_id})
    assert claimed.payload == {"id": "ses-0001", "kwh": "1.5005", "名前": "充电桩"}


async def test_ids_increase_in_insertion_order(database: Any) -> None:
    ids = await add_all(database, a_message("a"), a_message("b"), a_message("c"))

    assert ids == sorted(ids)
    assert len(set(ids)) == 3


async def test_claim_due_takes_the_oldest_message_of_each_key_oldest_first(database: Any) -> None:
    k1_first, k2_first, k1_second, k3_first = await add_all(
        database, a_message("k1"), a_message("k2"), a_message("k1"), a_message("k3")
    )

    assert await claim(database) == [k1_first, k2_first, k3_first]
    assert await claim(database, limit=2) == [k1_first, k2_first]
    assert k1_second not in await claim(database)


async def test_messages_not_yet_due_wait_and_hold_back_their_key(database: Any) -> None:
    later, after_later, due = await add_all(
        database,
        a_message("k1", next_attempt_at=at(10)),
        a_message("k1", next_attempt_at=T0),  # due, but behind a message of its key that is not
        a_message("k2", next_attempt_at=at(-1)),
    )

    assert await claim(database, now=T0) == [due]
    assert await claim(database, now=at(10)) == [later, due]
    assert after_later not in await claim(database, now=at(20))


async def test_delivery_moves_a_key_on(database: Any) -> None:
    first, second = await add_all(database, a_message("k1"), a_message("k1"))

    async def deliver(uow: Any) -> None:
        [message] = await uow.outbox.claim_due(T0, 10)
        await uow.outbox.mark_delivered(message.id, at(1))

    await committed(database, deliver)

    assert await claim(database) == [second]
    assert await read(database, lambda uow: uow.outbox.depth()) == 1
    assert first != second


async def test_failure_counts_an_attempt_and_backs_off_without_letting_the_key_pass(database: Any) -> None:
    first, second = await add_all(database, a_message("k1"), a_message("k1"))

    async def fail(uow: Any) -> None:
        await uow.outbox.claim_due(T0, 10)
        await uow.outbox.mark_failed(first, "HTTP 503 from partner", at(5))

    await committed(database, fail)
    await committed(database, fail)

    assert await claim(database, now=at(4)) == []
    [retried] = await read(database, lambda uow: uow.outbox.claim_due(at(5), 10))
    assert (retried.id, retried.attempts, retried.last_error) == (first, 2, "HTTP 503 from partner")
    assert retried.next_attempt_at == at(5)
    assert second not in await claim(database, now=at(6))


async def test_depth_counts_undelivered_messages(database: Any) -> None:
    ids = await add_all(database, a_message("a"), a_message("b"), a_message("c"))
    assert await read(database, lambda uow: uow.outbox.depth()) == 3

    async def deliver_two(uow: Any) -> None:
        for message_id in ids[:2]:
            await uow.outbox.mark_delivered(message_id, at(1))

    await committed(database, deliver_two)

    assert await read(database, lambda uow: uow.outbox.depth()) == 1


async def test_rolled_back_messages_are_gone(database: Any) -> None:
    async with database.unit_of_work() as uow:
        await uow.outbox.add(a_message())
        await uow.rollback()

    assert await claim(database) == []
    assert await read(database, lambda uow: uow.outbox.depth()) == 0


async def test_rolled_back_delivery_is_claimed_again(database: Any) -> None:
    [message_id] = await add_all(database, a_message())
    async with database.unit_of_work() as uow:
        await uow.outbox.claim_due(T0, 10)
        await uow.outbox.mark_delivered(message_id, at(1))
        await uow.rollback()

    assert await claim(database) == [message_id]


async def test_open_units_of_work_claim_disjoint_messages(database: Any) -> None:
    """Two drainers at once (two hub processes on PostgreSQL: SKIP LOCKED) never claim the same message,
    and the second never jumps ahead within a key the first holds."""
    k1, k2, k1_next, k3 = await add_all(
        database, a_message("k1"), a_message("k2"), a_message("k1"), a_message("k3")
    )
    async with database.unit_of_work() as first, database.unit_of_work() as second:
        assert [m.id for m in await first.outbox.claim_due(T0, 2)] == [k1, k2]
        assert [m.id for m in await second.outbox.claim_due(T0, 10)] == [k3]
        await first.outbox.mark_delivered(k1, at(1))
        await first.commit()
        await second.commit()

    # once the first unit of work ended, its claims are free again: k2 was not delivered
    assert await claim(database) == [k2, k1_next, k3]


async def test_a_claim_with_a_small_limit_leaves_the_rest(database: Any) -> None:
    ids = await add_all(database, *(a_message(f"k{n}", created=T0 + timedelta(seconds=n)) for n in range(5)))
    async with database.unit_of_work() as first, database.unit_of_work() as second:
        taken_first = [m.id for m in await first.outbox.claim_due(T0, 2)]
        taken_second = [m.id for m in await second.outbox.claim_due(T0, 2)]

    assert taken_first == ids[:2]
    assert taken_second == ids[2:4]
