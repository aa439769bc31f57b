"""The in-memory database behaves like a transactional store: copy on begin, apply on commit, rollback
discards outbox rows too; pagination and case rules as the ports document them."""

from __future__ import annotations

from datetime import timedelta

from hub.core.models import OutboxMessage, SessionStatus
from tests.fakes.memory import InMemoryDatabase
from tests.unit.core_kit import CPO, MSP, T0, a_location, a_session, a_token, at


async def test_rollback_discards_state_and_outbox_rows() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        await uow.sessions.put(a_session())
        await uow.outbox.add(OutboxMessage(topic="t", key="k", payload={}, created=T0, next_attempt_at=T0))
        await uow.rollback()
    assert db.committed("sessions") == []
    assert db.committed("outbox") == []


async def test_a_unit_of_work_sees_its_snapshot_not_later_commits() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as early:
        async with db.unit_of_work() as late:
            await late.locations.put(a_location())
            await late.commit()
        assert await early.locations.get(CPO, "LOC001") is None
    async with db.unit_of_work() as after:
        assert await after.locations.get(CPO, "loc001") is not None


async def test_concurrent_units_of_work_keep_each_others_writes() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as one, db.unit_of_work() as two:
        await one.tokens.put(a_token("AAA"))
        await two.tokens.put(a_token("BBB"))
        await one.commit()
        await two.commit()
    assert sorted(t.uid for t in db.committed("tokens")) == ["AAA", "BBB"]


async def test_location_pages_are_ordered_and_date_to_is_exclusive() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        for n in range(5):
            await uow.locations.put(a_location(id=f"L{4 - n}", last_updated=at(n)))
        await uow.commit()
    async with db.unit_of_work() as uow:
        page = await uow.locations.list(date_from=at(1), date_to=at(4), offset=1, limit=5)
        count = await uow.locations.count(date_from=at(1), date_to=at(4))
    assert [loc.id for loc in page] == ["L2", "L1"]
    assert count == 3


async def test_token_lookup_is_case_insensitive_and_prefers_own_tokens() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        await uow.tokens.put(a_token("abc123", party=CPO, own=False))
        await uow.tokens.put(a_token("ABC123", party=MSP, own=True))
        await uow.commit()
    async with db.unit_of_work() as uow:
        found = await uow.tokens.get("AbC123")
        other = await uow.tokens.get("abc123", CPO)
    assert found is not None
    assert found.party == MSP
    assert other is not None
    assert other.uid == "abc123"


async def test_transaction_numbers_are_never_handed_out_twice_even_after_rollback() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        first = await uow.sessions.next_transaction_number()
        await uow.rollback()
    async with db.unit_of_work() as uow:
        second = await uow.sessions.next_transaction_number()
    assert (first, second) == (1, 2)


async def test_claimed_outbox_rows_are_invisible_to_other_claimers_until_released() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        for key in ("a", "a", "b"):
            await uow.outbox.add(
                OutboxMessage(topic="t", key=key, payload={}, created=T0, next_attempt_at=T0)
            )
        await uow.commit()
    async with db.unit_of_work() as one, db.unit_of_work() as two:
        first = await one.outbox.claim_due(T0 + timedelta(seconds=1), 10)
        second = await two.outbox.claim_due(T0 + timedelta(seconds=1), 10)
    assert [(m.id, m.key) for m in first] == [(1, "a"), (3, "b")]  # one per key, the oldest
    assert second == []
    async with db.unit_of_work() as again:
        assert len(await again.outbox.claim_due(T0 + timedelta(seconds=1), 10)) == 2


async def test_active_sessions_are_pending_or_active_oldest_first() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        await uow.sessions.put(a_session(id="s2", start=at(5), status=SessionStatus.ACTIVE))
        await uow.sessions.put(a_session(id="s1", start=at(1), status=SessionStatus.PENDING))
        await uow.sessions.put(a_session(id="s3", start=at(0), status=SessionStatus.COMPLETED))
        await uow.commit()
    async with db.unit_of_work() as uow:
        active = await uow.sessions.find_active("cp001")
    assert [s.id for s in active] == ["s1", "s2"]
