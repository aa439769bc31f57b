"""The scheduler against the in-memory database: the outbox drainer (backoff, one key in order, a failing
deliverer retried later, a message nobody wants closed) and the periodic jobs (each survives its own
exceptions; the first drain runs at once)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from hub.core.chargepoint import BootInfo
from hub.core.clock import FixedClock
from hub.core.models import OutboxMessage, SessionStatus
from hub.core.outbox import Topic, outbox_message
from hub.scheduler import MAX_BACKOFF, PENDING_TIMEOUT, HubScheduler, OutboxDrainer, backoff
from tests.fakes.memory import InMemoryDatabase
from tests.unit.core_kit import STATION, T0, a_token, make_kit


class Recorder:
    """A deliverer that records what it got and fails while `failures` lasts."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.delivered: list[tuple[str, str]] = []
        self.attempts = 0

    async def __call__(self, message: OutboxMessage) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("partner down")
        self.delivered.append((message.key, message.payload["n"]))


async def add(
    db: InMemoryDatabase, clock: FixedClock, key: str, n: str, topic: Topic = Topic.SESSION_UPDATED
) -> None:
    async with db.unit_of_work() as uow:
        await uow.outbox.add(outbox_message(topic, key, {"n": n}, clock.now()))
        await uow.commit()


def undelivered(db: InMemoryDatabase) -> list[OutboxMessage]:
    return [m for m in db.committed("outbox") if m.delivered_at is None]


def test_backoff_doubles_from_two_seconds_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 10)] == [2, 4, 8, 1024]
    assert backoff(12) == backoff(500) == MAX_BACKOFF == timedelta(hours=1)


async def test_each_key_is_delivered_in_order_one_message_per_pass() -> None:
    db, clock = InMemoryDatabase(), FixedClock(T0)
    drainer = OutboxDrainer(db, clock)
    recorder = Recorder()
    drainer.register("session.", recorder)
    for key, n in [("session:A", "a1"), ("session:A", "a2"), ("session:B", "b1"), ("session:A", "a3")]:
        await add(db, clock, key, n)

    assert await drainer.drain_once() == 2
    assert recorder.delivered == [("session:A", "a1"), ("session:B", "b1")]
    assert await drainer.drain_once() == 1
    assert await drainer.drain_once() == 1
    assert await drainer.drain_once() == 0
    assert [n for key, n in recorder.delivered if key == "session:A"] == ["a1", "a2", "a3"]
    assert undelivered(db) == []


async def test_a_failing_delivery_is_retried_after_its_backoff_and_holds_back_its_key() -> None:
    db, clock = InMemoryDatabase(), FixedClock(T0)
    drainer = OutboxDrainer(db, clock)
    recorder = Recorder(failures=2)
    drainer.register("session.", recorder)
    await add(db, clock, "session:A", "a1")
    await add(db, clock, "session:A", "a2")

    assert await drainer.drain_once() == 0
    (first, second) = undelivered(db)
    assert (first.attempts, first.next_attempt_at, first.last_error) == (
        1,
        T0 + timedelta(seconds=2),
        "ConnectionError('partner down')",
    )
    assert second.attempts == 0
    assert await drainer.drain_once() == 0  # not due yet: no new attempt
    assert recorder.attempts == 1

    clock.advance(seconds=2)
    assert await drainer.drain_once() == 0  # fails again: now 4 s
    assert undelivered(db)[0].next_attempt_at == clock.now() + timedelta(seconds=4)
    clock.advance(seconds=3)
    assert await drainer.drain_once() == 0
    assert recorder.attempts == 2
    clock.advance(seconds=1)
    assert await drainer.drain_once() == 1
    assert await drainer.drain_once() == 1
    assert recorder.delivered == [("session:A", "a1"), ("session:A", "a2")]
    assert undelivered(db) == []


async def test_a_message_without_deliverer_is_closed_without_a_call() -> None:
    db, clock = InMemoryDatabase(), FixedClock(T0)
    drainer = OutboxDrainer(db, clock)
    recorder = Recorder()
    drainer.register("session.", recorder)
    await add(db, clock, "tariff:NL*CPO:STD", "t1", topic=Topic.TARIFF_DELETED)

    assert await drainer.drain_once() == 0
    assert recorder.attempts == 0
    (closed,) = db.committed("outbox")
    assert closed.delivered_at == T0
    assert await drainer.drain_once() == 0


async def test_a_delivery_in_flight_is_leased_so_no_other_pass_claims_it() -> None:
    db, clock = InMemoryDatabase(), FixedClock(T0)
    drainer, other = OutboxDrainer(db, clock), OutboxDrainer(db, clock)  # as in a second hub process
    release, entered = asyncio.Event(), asyncio.Event()

    async def slow(message: OutboxMessage) -> None:
        entered.set()
        await release.wait()

    others = Recorder()
    drainer.register("session.", slow)
    other.register("session.", others)
    await add(db, clock, "session:A", "a1")
    first = asyncio.create_task(drainer.drain_once())
    await asyncio.wait_for(entered.wait(), 2)

    assert await other.drain_once() == 0
    assert others.attempts == 0
    release.set()
    assert await first == 1


# --- the jobs ------------------------------------------------------------------------------------------


async def test_the_expiry_job_turns_old_pending_sessions_invalid() -> None:
    kit = await make_kit()
    await kit.online()
    start = await kit.core.commands.start_session(station_id=STATION, token=a_token())
    await kit.core.commands.wait_result(start.id, 2)
    scheduler = HubScheduler(kit.core)

    kit.clock.advance(minutes=4)
    await scheduler.expire_pending_sessions()
    assert [s.status for s in kit.db.committed("sessions")] == [SessionStatus.PENDING]
    kit.clock.advance(seconds=PENDING_TIMEOUT.total_seconds() - 4 * 60 + 1)
    with capture_logs() as logs:
        await scheduler.expire_pending_sessions()
    assert [s.status for s in kit.db.committed("sessions")] == [SessionStatus.INVALID]
    assert {"event": "pending_sessions_expired", "count": 1, "log_level": "info"} in logs


async def test_the_last_seen_job_persists_heartbeats() -> None:
    kit = await make_kit()
    await kit.online()
    scheduler = HubScheduler(kit.core)
    kit.clock.advance(minutes=1)
    await kit.core.chargepoints.heartbeat(STATION)

    await scheduler.flush_last_seen()

    (station,) = kit.db.committed("stations")
    assert station.last_seen == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("job", "target", "event"),
    [
        ("expire_pending_sessions", "sessions.expire_pending", "expire_pending_sessions_failed"),
        ("flush_last_seen", "chargepoints.flush_last_seen", "flush_last_seen_failed"),
        ("drain", "drainer.drain_once", "outbox_drain_failed"),
    ],
)
async def test_a_job_logs_its_exception_and_runs_again_next_time(
    job: str, target: str, event: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = await make_kit()
    scheduler = HubScheduler(kit.core)
    calls: list[int] = []

    async def broken(*args: object) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return 0

    owner_name, _, method = target.rpartition(".")
    owner = scheduler.drainer if owner_name == "drainer" else getattr(kit.core, owner_name)
    monkeypatch.setattr(owner, method, broken)
    with capture_logs() as logs:
        await getattr(scheduler, job)()
        await getattr(scheduler, job)()
    assert len(calls) == 2
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == [event]


async def test_the_first_drain_runs_as_soon_as_the_scheduler_starts() -> None:
    kit = await make_kit()
    scheduler = HubScheduler(kit.core, drain_interval_s=3600, maintenance_interval_s=3600)
    delivered = asyncio.Event()

    async def deliver(message: OutboxMessage) -> None:
        delivered.set()

    scheduler.drainer.register("", deliver)
    await add(kit.db, kit.clock, "session:A", "a1")
    scheduler.start()
    try:
        await asyncio.wait_for(delivered.wait(), 5)
    finally:
        await scheduler.shutdown()


async def test_shutdown_keeps_the_last_heartbeats() -> None:
    kit = await make_kit()
    await kit.online()
    await kit.core.chargepoints.boot(STATION, BootInfo(vendor="ACME", model="Fast-1"))
    scheduler = HubScheduler(kit.core, drain_interval_s=3600, maintenance_interval_s=3600)
    scheduler.start()
    kit.clock.advance(minutes=2)
    await kit.core.chargepoints.heartbeat(STATION)

    await scheduler.shutdown()

    (station,) = kit.db.committed("stations")
    assert station.last_seen == T0 + timedelta(minutes=2)
