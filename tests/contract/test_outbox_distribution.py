"""Outbox contract, distribution status: `latest` gives the newest message of each (target, key) of a
topic, delivered or not; `retry_failed` makes failed undelivered messages of a topic due again."""

from __future__ import annotations

from typing import Any

from hub.core.models import OutboxMessage
from tests.contract.builders import T0, a_message, at
from tests.contract.helpers import committed, read

TOPIC = "ocpi.token.updated"


def a_push(target: str | None, key: str, **overrides: Any) -> OutboxMessage:
    return a_message(key, **({"topic": TOPIC, "target": target} | overrides))


async def add_all(database: Any, *messages: OutboxMessage) -> list[int]:
    async def add(uow: Any) -> list[int]:
        return [await uow.outbox.add(message) for message in messages]

    return await committed(database, add)


async def latest_ids(database: Any, topic: str = TOPIC, prefix: str | None = None) -> list[int]:
    return [m.id for m in await read(database, lambda uow: uow.outbox.latest(topic, prefix))]


async def test_latest_gives_the_newest_message_per_target_and_key(database: Any) -> None:
    ids = await add_all(
        database,
        a_push("p1|NL*CPO", "k1"),
        a_push("p1|NL*CPO", "k2"),
        a_push("p2|DE*ABC", "k1"),
        a_push("p1|NL*CPO", "k1", payload={"v": 2}),
        a_message("k1", topic="session.updated", target="p1|NL*CPO"),  # another topic
    )
    first_k1, k2, other_target, newest_k1, _ = ids

    latest = await read(database, lambda uow: uow.outbox.latest(TOPIC))

    assert [m.id for m in latest] == [newest_k1, k2, other_target]  # ordered by target, key
    assert latest[0].payload == {"v": 2}
    assert first_k1 not in [m.id for m in latest]


async def test_latest_includes_delivered_messages_with_their_state(database: Any) -> None:
    delivered, failed, pending = await add_all(
        database, a_push("p1|A", "k1"), a_push("p1|A", "k2"), a_push("p1|A", "k3")
    )

    async def progress(uow: Any) -> None:
        await uow.outbox.mark_delivered(delivered, at(1))
        await uow.outbox.mark_failed(failed, "HTTP 500", at(5))

    await committed(database, progress)

    latest = {m.id: m for m in await read(database, lambda uow: uow.outbox.latest(TOPIC))}

    assert latest[delivered].delivered_at == at(1)
    assert (latest[failed].attempts, latest[failed].last_error) == (1, "HTTP 500")
    assert (latest[pending].attempts, latest[pending].delivered_at) == (0, None)


async def test_latest_filters_by_target_prefix_literally(database: Any) -> None:
    mine, p_x1, p2, none = await add_all(
        database,
        a_push("p_1|NL*CPO", "k1"),
        a_push("pX1|NL*CPO", "k1"),  # `_` is no wildcard
        a_push("p2|NL*CPO", "k1"),
        a_push(None, "k1"),
    )

    assert await latest_ids(database, prefix="p_1|") == [mine]
    assert await latest_ids(database, prefix="nothing") == []
    # without a prefix, rows without a target too (first); ordered by target as Python orders text
    assert await latest_ids(database) == [none, p2, p_x1, mine]
    assert await latest_ids(database, topic="no.such.topic") == []


async def test_retry_failed_makes_failed_messages_of_the_topic_due(database: Any) -> None:
    failed, also_failed, other_target, fresh, delivered, other_topic = await add_all(
        database,
        a_push("p1|A", "k1"),
        a_push("p1|B", "k2"),
        a_push("p2|A", "k3"),
        a_push("p1|A", "k4"),
        a_push("p1|A", "k5"),
        a_message("k6", topic="session.updated", target="p1|A"),
    )

    async def fail(uow: Any) -> None:
        for message_id in (failed, also_failed, other_target, delivered, other_topic):
            await uow.outbox.mark_failed(message_id, "refused", at(60))
        await uow.outbox.mark_delivered(delivered, at(2))

    await committed(database, fail)

    retried = await committed(database, lambda uow: uow.outbox.retry_failed(TOPIC, "p1|", at(3)))

    assert retried == 2
    due = await read(database, lambda uow: uow.outbox.claim_due(at(3), 10))
    assert sorted(m.id for m in due) == sorted([failed, also_failed, fresh])
    assert all(m.attempts == 1 for m in due if m.id != fresh)  # attempts are kept
    assert other_target not in [m.id for m in due]
    assert other_topic not in [m.id for m in due]


async def test_retry_failed_without_prefix_covers_every_target(database: Any) -> None:
    first, second = await add_all(database, a_push("p1|A", "k1"), a_push(None, "k2"))

    async def fail(uow: Any) -> None:
        await uow.outbox.mark_failed(first, "refused", at(60))
        await uow.outbox.mark_failed(second, "refused", at(60))

    await committed(database, fail)

    assert await committed(database, lambda uow: uow.outbox.retry_failed(TOPIC, None, T0)) == 2
    assert await committed(database, lambda uow: uow.outbox.retry_failed("other", None, T0)) == 0
    due = await read(database, lambda uow: uow.outbox.claim_due(T0, 10))
    assert sorted(m.id for m in due) == sorted([first, second])
