"""The SQL backends' read caches and hot-path statements (hub/storage/cache.py, engine.write_plain) change
nothing a unit of work can observe: rolled-back writes are never seen, committed ones at once, raw SQL on a
cached table is seen too, and a duplicate idempotency key is still a ConflictError. SQLite's WAL is
checkpointed off the event loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from hub.core.errors import ConflictError
from hub.core.models import EvseStatus
from hub.storage import SqlDatabase, open_database
from hub.storage.cache import RowCache, is_missing
from hub.storage.engine import CHECKPOINT_EVERY_COMMITS
from hub.storage.tables import locations
from tests.contract.builders import CPO, a_location, a_message, a_session, a_tariff, a_token


async def test_a_rolled_back_location_put_is_not_seen(sql_database: SqlDatabase) -> None:
    location = a_location()
    async with sql_database.unit_of_work() as uow:
        await uow.locations.put(location)
        await uow.commit()
    async with sql_database.unit_of_work() as uow:
        assert await uow.locations.get(location.party, location.id) == location  # now cached
    changed_evse = location.evses[0].model_copy(update={"status": EvseStatus.CHARGING})
    changed = location.model_copy(update={"evses": (changed_evse, *location.evses[1:])})
    async with sql_database.unit_of_work() as uow:
        await uow.locations.put(changed)
        assert await uow.locations.get(location.party, location.id) == changed  # its own write
        await uow.rollback()
    async with sql_database.unit_of_work() as uow:
        assert await uow.locations.get(location.party, location.id) == location
    async with sql_database.unit_of_work() as uow:
        await uow.locations.put(changed)
        await uow.commit()
    async with sql_database.unit_of_work() as uow:
        assert await uow.locations.get(location.party.model_copy(), location.id.lower()) == changed


async def test_raw_sql_on_a_cached_table_is_seen(sql_database: SqlDatabase) -> None:
    location = a_location()
    async with sql_database.unit_of_work() as uow:
        await uow.locations.put(location)
        await uow.commit()
    async with sql_database.unit_of_work() as uow:
        assert (await uow.locations.get(location.party, location.id)) is not None
    tx = sql_database.transaction()
    try:
        await tx.write(update(locations).values(name="Renamed"))
        await tx.commit()
    finally:
        await tx.close()
    async with sql_database.unit_of_work() as uow:
        found = await uow.locations.get(location.party, location.id)
    assert found is not None
    assert found.name == "Renamed"


async def test_tokens_and_tariffs_are_seen_after_they_change(sql_database: SqlDatabase) -> None:
    token = a_token()
    async with sql_database.unit_of_work() as uow:
        assert await uow.tokens.get(token.uid) is None  # a cached miss
        assert await uow.tariffs.get(CPO, "STD") is None
        await uow.tokens.put(token)
        await uow.tariffs.put(a_tariff())
        await uow.commit()
    async with sql_database.unit_of_work() as uow:
        assert await uow.tokens.get(token.uid.lower()) == token
        assert await uow.tokens.get(token.uid, token.party) == token
        assert await uow.tariffs.get(CPO, "std") == a_tariff()
    blocked = token.model_copy(update={"valid": False})
    async with sql_database.unit_of_work() as uow:
        await uow.tokens.put(blocked)
        await uow.tariffs.delete(CPO, "STD")
        await uow.commit()
    async with sql_database.unit_of_work() as uow:
        assert await uow.tokens.get(token.uid) == blocked
        assert await uow.tariffs.get(CPO, "STD") is None


async def test_a_duplicate_idempotency_key_is_still_a_conflict(sql_database: SqlDatabase) -> None:
    first = a_session("S1", idempotency_key="start|CP1|1")
    async with sql_database.unit_of_work() as uow:
        await uow.sessions.put(first)
        await uow.commit()
    async with sql_database.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            await uow.sessions.put(a_session("S2", idempotency_key="start|CP1|1"))


async def test_the_sqlite_wal_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    """The backend checkpoints off the loop every CHECKPOINT_EVERY_COMMITS commits (SQLite's own checkpoint on
    the writer's connection is only a safety net at 10,000 pages, never reached here)."""
    db = await open_database(f"sqlite:///{tmp_path / 'hub.db'}")
    backend = db._backend
    try:
        for round_ in range(4):
            for n in range(CHECKPOINT_EVERY_COMMITS):
                async with db.unit_of_work() as uow:
                    await uow.outbox.add(a_message(f"k/{round_}/{n}"))
                    await uow.commit()
            await backend.wait_checkpoint()
            assert backend.checkpoints_run == round_ + 1
        async with db.unit_of_work() as uow:
            assert await uow.outbox.depth() == 4 * CHECKPOINT_EVERY_COMMITS  # nothing lost on the way
    finally:
        await db.close()


def test_cache_entries_expire_and_a_read_racing_a_commit_is_not_stored() -> None:
    now = [0.0]
    cache = RowCache(ttl_s=5.0, clock=lambda: now[0])
    cache.fill(("token", "a"), "A", cache.generation)
    assert cache.get(("token", "a")) == "A"
    generation = cache.generation  # a read begins …
    cache.apply({("token", "b"): "B2"})  # … a unit of work commits meanwhile …
    cache.fill(("token", "b"), "B1", generation)  # … and what the read saw is not kept
    assert cache.get(("token", "b")) == "B2"
    now[0] = 5.5
    assert is_missing(cache.get(("token", "a")))
