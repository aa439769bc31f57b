"""Scheduled jobs (apscheduler 3): drain the outbox with retry and exponential backoff, expire PENDING
sessions no station started, persist station last-seen times. Adapters register a deliverer per topic
prefix; a message no adapter wants is closed as delivered, so the outbox never grows without bound.

Composition layer: may import anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from hub.core.clock import Clock
from hub.core.metrics import METRICS
from hub.core.models import OutboxMessage
from hub.core.ports import Database
from hub.core.services import Core

log = structlog.get_logger(__name__)

Deliverer = Callable[[OutboxMessage], Awaitable[None]]

MAX_BACKOFF = timedelta(hours=1)
BATCH = 200
CONCURRENCY = 64  # deliveries in flight at once
LEASE = timedelta(seconds=60)
# A PENDING session older than this never started: OCPP ConnectionTimeOut defaults to 3 minutes.
PENDING_TIMEOUT = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s … capped at one hour."""
    return min(timedelta(seconds=2 ** min(attempts, 20)), MAX_BACKOFF)


class OutboxDrainer:
    """Delivers due outbox messages, one per key at a time so each key stays in order."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._deliverers: list[tuple[str, Deliverer]] = []
        self._lock = asyncio.Lock()
        self.closed = False
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._depth = METRICS.gauge("outbox_depth", "Outbox messages not yet delivered")
        self._sent = METRICS.counter("outbox_deliveries_total", "Outbox delivery attempts by result")

    async def _deliver(
        self, message: OutboxMessage, deliverer: Deliverer
    ) -> tuple[OutboxMessage, Exception | None]:
        async with self._slots:
            try:
                await deliverer(message)
            except Exception as exc:  # any delivery failure is retried later, never lost
                return message, exc
            return message, None

    def register(self, topic_prefix: str, deliverer: Deliverer) -> None:
        """Deliver topics starting with `topic_prefix`; the latest registration that matches wins."""
        self._deliverers.insert(0, (topic_prefix, deliverer))

    def _deliverer_for(self, topic: str) -> Deliverer | None:
        return next((d for prefix, d in self._deliverers if topic.startswith(prefix)), None)

    async def drain_once(self) -> int:
        """One pass; returns how many messages were delivered.

        Claiming and recording results are short transactions; the network I/O in between runs outside any
        transaction (SQLite has one writer). A claimed message is leased for LEASE so that no other hub
        process claims it while it is in flight."""
        async with self._lock:
            if self.closed:  # the hub is stopping: the database may be gone
                return 0
            now = self._clock.now()
            work: list[tuple[OutboxMessage, Deliverer]] = []
            async with self._db.unit_of_work() as uow:
                for message in await uow.outbox.claim_due(now, BATCH):
                    assert message.id is not None
                    deliverer = self._deliverer_for(message.topic)
                    if deliverer is None:
                        await uow.outbox.mark_delivered(message.id, now)
                        self._sent.inc({"result": "no_receiver"})
                    else:
                        await uow.outbox.lease(message.id, now + LEASE)
                        work.append((message, deliverer))
                await uow.commit()
            # One message per key is claimed, so deliveries of different keys may run side by side: a status
            # change fanned out to 50 partners is 50 concurrent pushes, not 50 round trips in a row.
            results = await asyncio.gather(*(self._deliver(message, d) for message, d in work))
            async with self._db.unit_of_work() as uow:
                done = self._clock.now()
                delivered = 0
                for message, error in results:
                    assert message.id is not None
                    if error is None:
                        await uow.outbox.mark_delivered(message.id, done)
                        self._sent.inc({"result": "delivered"})
                        delivered += 1
                    else:
                        await uow.outbox.mark_failed(
                            message.id, repr(error)[:500], done + backoff(message.attempts + 1)
                        )
                        self._sent.inc({"result": "failed"})
                        log.warning(
                            "outbox_delivery_failed",
                            topic=message.topic,
                            key=message.key,
                            attempts=message.attempts + 1,
                            error=repr(error)[:200],
                        )
                self._depth.set(await uow.outbox.depth())
                await uow.commit()
            return delivered


class HubScheduler:
    """The hub's periodic jobs. Each job logs and survives its own exceptions, so one bad pass never stops
    the schedule."""

    def __init__(
        self,
        core: Core,
        *,
        drain_interval_s: float = 1.0,
        maintenance_interval_s: float = 60.0,
        pending_timeout: timedelta = PENDING_TIMEOUT,
    ) -> None:
        self.core = core
        self.drainer = OutboxDrainer(core.db, core.clock)
        self.pending_timeout = pending_timeout
        self._maintenance = asyncio.Lock()
        self._kicked = False
        self._stopping = False
        self._kick_task: asyncio.Task[None] | None = None
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        jobs: list[tuple[str, Callable[[], Awaitable[None]], float]] = [
            ("outbox-drain", self.drain, drain_interval_s),
            ("expire-pending-sessions", self.expire_pending_sessions, maintenance_interval_s),
            ("flush-last-seen", self.flush_last_seen, maintenance_interval_s),
        ]
        for job_id, job, interval_s in jobs:
            self._scheduler.add_job(
                job, "interval", seconds=interval_s, id=job_id, max_instances=1, coalesce=True
            )
        # The first drain runs at once (not one interval after start): apscheduler's time is the wall clock.
        self._scheduler.modify_job("outbox-drain", next_run_time=datetime.now(UTC))

    async def drain(self) -> None:
        try:
            await self.drainer.drain_once()
        except Exception:
            log.exception("outbox_drain_failed")

    def kick(self) -> None:
        """Drain now rather than at the next tick: called when the core has written outbox rows, so a status
        change reaches partners in milliseconds. Passes repeat while they deliver something (a fan-out row
        expands into one row per receiver, delivered by the next pass)."""
        self._kicked = True
        if self._kick_task is None or self._kick_task.done():
            self._kick_task = asyncio.get_running_loop().create_task(self._drain_while_kicked())

    async def _drain_while_kicked(self) -> None:
        while self._kicked and not self._stopping:
            self._kicked = False
            try:
                while await self.drainer.drain_once() and not self._stopping:
                    pass
            except Exception:
                log.exception("outbox_drain_failed")

    def add_job(self, job_id: str, job: Callable[[], Awaitable[None]], interval_s: float) -> None:
        """An adapter's periodic job (e.g. the OCPI resync); it must log and survive its own errors."""
        self._scheduler.add_job(
            job, "interval", seconds=interval_s, id=job_id, max_instances=1, coalesce=True
        )

    async def expire_pending_sessions(self) -> None:
        async with self._maintenance:
            try:
                expired = await self.core.sessions.expire_pending(self.pending_timeout)
            except Exception:
                log.exception("expire_pending_sessions_failed")
            else:
                if expired:
                    log.info("pending_sessions_expired", count=expired)

    async def flush_last_seen(self) -> None:
        async with self._maintenance:
            try:
                await self.core.chargepoints.flush_last_seen()
            except Exception:
                log.exception("flush_last_seen_failed")

    def start(self) -> None:
        self._scheduler.start()

    async def shutdown(self) -> None:
        self._stopping = True
        self._scheduler.shutdown(wait=False)
        if self._kick_task is not None:
            await asyncio.gather(self._kick_task, return_exceptions=True)
        # Let a drain that is running finish its transaction before the database closes; none starts after.
        async with self.drainer._lock:
            self.drainer.closed = True
        # Waits for a maintenance job in progress, then keeps the last heartbeats.
        await self.flush_last_seen()
